"""Grades for Canvas: a gradebook CSV exported from Canvas (Grades > Export), filled in, to import
back (Grades > Import). See docs/export-moodle-canvas.md.

The file is Canvas's own (GradebookExporter): a header `Student, ID, [SIS User ID,] SIS Login ID,
[Integration ID,] [Root Account,] Section`, custom columns, one column per assignment named
`Title (id)`, then the read-only totals; a `Points Possible` row (and, before it, a `Manual Posting`
row when an assignment is posted manually); then one row per student. Its separator (`,` or `;`),
decimal separator, BOM and line ends are kept. Students are recognised by Canvas's user ID, SIS
User ID or SIS Login ID; assignments by their title, or the new columns are added and Canvas
creates those assignments on import. Headers are compared through `lms.header_key` (apostrophes
and quotes typed either way).

A student's cell that holds no number is Canvas's word, not a grade to replace: `EX` (excused),
`N/A` (the assignment is not assigned to that student), a letter of a GPA scale. It is written
back as it was, and named in a warning.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .lms import (ClassGrades, ExportError, check_emails, check_matched, check_unique, describe_student,
                  detect_decimal, format_number, header_key, minimal_csv, norm_key, parse_number, plain, read_csv,
                  write_atomic)

STUDENT_COLUMNS = ("Student", "LastName", "FirstName", "ID", "SIS User ID", "SIS Login ID", "Integration ID",
                   "Root Account", "Section")
_STUDENT_KEYS = {header_key(name): name for name in STUDENT_COLUMNS}
# Canvas's computed columns (GradebookImporter::NON_ASSIGNMENT_COLUMN_HEADERS, "Unposted ..." included)
TOTALS = re.compile(r"current score|current points|current grade|final score|final points|final grade|"
                    r"override score|override grade|override status")        # on header_key
READ_ONLY = re.compile(r"read\s+only|lecture\s+seule", re.I)   # Canvas translates "(read only)"
# What GradebookExporter writes instead of a score: "EX" for an excused student, "N/A" where the
# assignment is not assigned to the student (both read back by GradebookImporter, "EX" in any case).
MARKERS = {"ex": "excused in Canvas", "n/a": "the assignment is not assigned to this student in Canvas"}
HIDDEN_ROW = re.compile(r"^\s*(Muted|Manual Posting.*)?\s*$", re.I)
TEST_STUDENT = {"student, test", "test student"}   # Canvas's Student View user: never in nbgrader
TITLE_AND_ID = re.compile(r"^(.*?)\s*\((\d+)\)\s*$")


@dataclass
class Written:
    path: Path
    students: int
    columns: dict[str, str]      # Canvas column -> "total" or a notebook
    added: list[str]
    decimal: str
    factor: dict[str, float]
    warnings: list[str]
    left: int = 0                # students' cells left as they were (EX, N/A, a letter grade)


def _title(header: str) -> str:
    m = TITLE_AND_ID.match(header)
    return m.group(1) if m else header.strip()


def _columns(header: list[str], path: Path) -> dict[str, int]:
    found = {}
    for i, name in enumerate(header):
        known = _STUDENT_KEYS.get(header_key(name))
        if known is not None and known not in found:
            found[known] = i
    has_name = "Student" in found or ("LastName" in found and "FirstName" in found)
    missing = [c for c, ok in (("Student", has_name), ("ID", "ID" in found), ("Section", "Section" in found)) if not ok]
    if missing or not header or _STUDENT_KEYS.get(header_key(header[0])) not in ("Student", "LastName"):
        raise ExportError(
            f"{path} is not a gradebook exported from Canvas: missing column(s) {', '.join(missing) or 'Student'} "
            f"(its columns: {', '.join(header) or 'none'}). Export it from Canvas: Grades > Export > "
            "Export Entire Gradebook")
    return found


def _targets(cls: ClassGrades, header: list[str], candidates: list[int], explicit: list[str],
             path: Path) -> dict[int, str]:
    """{column: "total" | notebook}: the --column mappings, else the assignment columns whose title
    is the assignment's or a notebook's name."""
    wanted = {"total": cls.assignment, **{nb: nb for nb in cls.notebooks}}
    targets: dict[int, str] = {}
    if explicit:
        for spec in explicit:
            title, sep, target = spec.rpartition("=")
            title, target = title.strip(), target.strip()
            if not sep or not title:
                raise ExportError(f"--column {spec!r}: expected TITLE=TARGET, e.g. "
                                  f"\"{cls.assignment} (12345)=total\"")
            if target not in wanted:
                raise ExportError(f"--column {spec!r}: the target is 'total' or a notebook of {cls.assignment} "
                                  f"({', '.join(cls.notebooks)})")
            hits = [i for i in candidates if header_key(header[i]) == header_key(title)] or \
                [i for i in candidates if plain(_title(header[i])) == plain(title)]
            if len(hits) != 1:
                raise ExportError(f"--column {spec!r}: {'no' if not hits else 'several'} assignment column(s) of "
                                  f"{path.name} titled {title!r} (its assignment columns: "
                                  f"{', '.join(header[i] for i in candidates) or 'none'})")
            targets[hits[0]] = target
        return targets
    for target, name in wanted.items():
        exact = [i for i in candidates if plain(_title(header[i])) == plain(name)]
        words = set(plain(name).split())
        loose = [i for i in candidates if words and words <= set(plain(_title(header[i])).split())]
        hits = exact or loose
        if len(hits) > 1:
            raise ExportError(f"several columns of {path.name} could hold {name!r}: "
                              f"{', '.join(header[i] for i in hits)}; say which with --column \"TITLE={target}\"")
        if hits and hits[0] not in targets:
            targets[hits[0]] = target
    return targets


def fill_gradebook(cls: ClassGrades, mapping: dict, canvas_csv: Path, output: Path, explicit: list[str] = (),
                   new_columns: str = "total", decimal: str | None = None, rescale: bool = False,
                   allow_unmatched: bool = False) -> Written:
    table = read_csv(canvas_csv, "the Canvas gradebook", delimiters=",;")
    if not table.rows:
        raise ExportError(f"{canvas_csv} is empty: export the gradebook from Canvas again")
    header = table.rows[0]
    col = _columns(header, canvas_csv)
    check_emails(cls, mapping)
    warnings: list[str] = []

    pp_index = next((i for i, row in enumerate(table.rows[1:], 1) if row and "points possible" in header_key(row[0])),
                    None)
    if pp_index is None:
        raise ExportError(f"{canvas_csv} has no 'Points Possible' row: it is not a gradebook as Canvas exports it "
                          "(Grades > Export > Export Entire Gradebook)")
    pp_row = table.rows[pp_index]

    def cell(row: list[str], i: int) -> str:
        return row[i] if i < len(row) else ""

    last_info = max(col.values())
    candidates = [i for i in range(last_info + 1, len(header))
                  if not TOTALS.search(header_key(header[i])) and not READ_ONLY.search(cell(pp_row, i))]
    targets = _targets(cls, header, candidates, list(explicit), canvas_csv)

    maxima = {"total": cls.max_total, **cls.notebooks}
    factor: dict[int, float] = {}
    for i, target in targets.items():
        points = parse_number(cell(pp_row, i))
        factor[i] = 1.0
        if points is not None and abs(points - maxima[target]) > 1e-6:
            if not rescale:
                raise ExportError(
                    f"the Canvas assignment {header[i]!r} is worth {points:g} points but "
                    f"{'the total of ' + cls.assignment if target == 'total' else target} is out of "
                    f"{maxima[target]:g} in the gradebook: set its points to {maxima[target]:g} in Canvas "
                    "and export again, or pass --rescale")
            factor[i] = points / maxima[target] if maxima[target] else 1.0

    added: list[str] = []
    if not targets:
        added = [cls.assignment] if new_columns == "total" else list(cls.notebooks)
        taken = {h.strip() for h in header}
        clash = [a for a in added if a in taken]
        if clash:
            raise ExportError(f"{canvas_csv.name} already has a column {clash[0]!r} that is not an assignment column; "
                              "say which column to fill with --column")

    # Students: Canvas's user ID, SIS User ID and SIS Login ID, against students.csv or the
    # gradebook (lms_user_id is Canvas's user ID; the e-mail address or nbgrader id as login).
    student_rows = [i for i, row in enumerate(table.rows[1:], 1)
                    if i != pp_index and any(c.strip() for c in row) and not all(HIDDEN_ROW.match(c) for c in row)]
    name_of = (lambda row: cell(row, col["Student"])) if "Student" in col else \
        (lambda row: f"{cell(row, col['LastName'])}, {cell(row, col['FirstName'])}")
    skipped = [i for i in student_rows if norm_key(name_of(table.rows[i])) in TEST_STUDENT]
    student_rows = [i for i in student_rows if i not in skipped]

    index: dict[str, dict[str, list[int]]] = {}
    for kind in ("ID", "SIS User ID", "SIS Login ID"):
        if kind in col:
            for i in student_rows:
                value = norm_key(cell(table.rows[i], col[kind]))
                if value:
                    index.setdefault(kind, {}).setdefault(value, []).append(i)

    def keys_of(sid: str) -> list[tuple[str, str, bool]]:
        """(column, value, sure): ids given for the student (sure), then guesses (their e-mail
        address, their nbgrader id, as login)."""
        m = mapping.get(sid, {})
        given = [("ID", m.get("canvas_id")), ("SIS User ID", m.get("sis_user_id")),
                 ("SIS Login ID", m.get("sis_login_id"))]
        if any(v for _, v in given):
            return [(k, v, True) for k, v in given if v]
        s = cls.students[sid]
        return [(k, v, sure) for k, v, sure in (("ID", s.lms_user_id, True),
                                                 ("SIS Login ID", m.get("email") or s.email, False),
                                                 ("SIS Login ID", sid, False)) if v]

    # Last resort, as Canvas's own importer does: the name ("Last, First" or "First Last"), when
    # it is unique in the file and in the gradebook.
    by_name: dict[str, list[int]] = {}
    for i in student_rows:
        by_name.setdefault(norm_key(name_of(table.rows[i])), []).append(i)
    names: dict[str, list[str]] = {}
    for sid, s in cls.students.items():
        if s.first_name and s.last_name:
            for form in {f"{s.last_name}, {s.first_name}", f"{s.first_name} {s.last_name}"}:
                names.setdefault(norm_key(form), []).append(sid)

    def by_unique_name(sid: str) -> int | None:
        s = cls.students[sid]
        if not (s.first_name and s.last_name):
            return None
        for form in (f"{s.last_name}, {s.first_name}", f"{s.first_name} {s.last_name}"):
            rows = by_name.get(norm_key(form), [])
            if len(rows) == 1 and names.get(norm_key(form)) == [sid]:
                return rows[0]
        return None

    def describe(i: int) -> str:
        row = table.rows[i]
        return f"{name_of(row)} (ID {cell(row, col['ID'])})"

    check_unique({sid: v for sid, v in ((s, mapping.get(s, {}).get("canvas_id") or cls.students[s].lms_user_id)
                                        for s in cls.students) if v}, "Canvas user ID")
    matched: dict[int, str] = {}
    missing_students = []
    for sid in sorted(cls.students):
        hit = None
        for kind, value, _ in keys_of(sid):
            rows = index.get(kind, {}).get(norm_key(value))
            if rows:
                if len(rows) > 1:
                    raise ExportError(f"{canvas_csv.name}: several rows with {kind} {value!r}: "
                                      + "; ".join(describe(i) for i in rows))
                hit = rows[0]
                break
        if hit is None and not any(sure and kind in col for kind, _, sure in keys_of(sid)):
            hit = by_unique_name(sid)   # no id of this student's in the file to go by: the name
        if hit is None:
            missing_students.append(sid)
        elif hit in matched:
            raise ExportError(f"students {matched[hit]} and {sid} of the gradebook both match the Canvas row "
                              f"{describe(hit)}: give them distinct ids (--students students.csv)")
        else:
            matched[hit] = sid
    extra = [describe(i) for i in student_rows if i not in matched]
    missing = [describe_student(cls.students[sid], mapping.get(sid, {}).get("email", "")) for sid in missing_students]
    check_matched(missing, extra, f"the Canvas gradebook {canvas_csv.name}", allow_unmatched, warnings)
    if skipped:
        warnings.append(f"left Canvas's test student as it was: {', '.join(describe(i) for i in skipped)}")

    numbers = [cell(pp_row, i) for i in range(len(pp_row))] + \
        [cell(table.rows[r], i) for r in student_rows[:20] for i in candidates]
    decimal = decimal or detect_decimal(numbers, default="," if table.delimiter == ";" else ".")

    width = len(header)
    out = []
    left: list[str] = []
    for r, row in enumerate(table.rows):
        row = list(row)
        if r > 0 and any(c.strip() for c in row):
            row += [""] * (width - len(row))
        if r == 0:
            row += added
        elif r == pp_index:
            row += [format_number(cls.max_total if a == cls.assignment else cls.notebooks[a], decimal) for a in added]
        elif r in matched:
            student = cls.students[matched[r]]
            for i, target in targets.items():
                reason = _not_a_score(row[i])
                if reason is not None:
                    left.append(f"{describe_student(student)}, {header[i].strip()!r}: {row[i].strip()!r} left as it "
                                f"was ({reason})")
                    continue
                value = student.total if target == "total" else student.notebooks[target]
                row[i] = format_number(value * factor[i], decimal)
            row += [format_number(student.total if a == cls.assignment else student.notebooks[a], decimal)
                    for a in added]
        elif any(c.strip() for c in row):
            row += [""] * len(added)
        out.append(row)
    path = write_atomic(output, minimal_csv(out, table.delimiter, table.newline), bom=table.bom)
    columns = {header[i]: t for i, t in targets.items()} | {a: ("total" if a == cls.assignment else a) for a in added}
    return Written(path, len(matched), columns, added, decimal,
                   {header[i]: f for i, f in factor.items()}, warnings + left, len(left))


def _not_a_score(value: str) -> str | None:
    """Why a student's cell of an assignment column must be left as it is: Canvas wrote a marker
    or a grade that is not a number there; None for a number or an empty cell."""
    if not value.strip() or parse_number(value) is not None:
        return None
    return MARKERS.get(header_key(value), "not a number: a letter grade or a status the kit does not overwrite")
