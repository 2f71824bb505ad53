"""Grades for Moodle, two ways (docs/export-moodle-canvas.md):

1. `gradebook_csv`: a CSV for the course gradebook's import ("Import > CSV file"): one row per
   student, an identity column Moodle can map users by (e-mail address, username or ID number),
   one column per notebook, the total and a feedback column.
2. `fill_worksheet`: the assignment's offline grading worksheet, as Moodle lets you download it
   ("Download grading worksheet"), with its Grade and Feedback comments columns filled in, every
   other cell as it was, to upload back ("Upload grading worksheet").

Moodle's column names are those of its language packs (mod/assign, core, assignfeedback_comments);
English and French are recognised, apostrophes and quotes typed either way (`lms.header_key`). The
worksheet's importer needs the Identifier, Grade and "Last modified (grade)" columns
(assignfeedback_offline_grade_importer::init) and reads the grade with the user's decimal separator
(unformat_float), hence the separator of the worksheet's own numbers is kept.

What the teacher already wrote stays: a feedback comment is kept and the kit's line is added after
it, as a paragraph of its own (`moodle_feedback`), unless `replace_feedback`; a row whose grade
Moodle says cannot be changed ("Grade can be changed" = No: locked or overridden in the gradebook)
is written back as it was, and named in a warning.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .lms import (ClassGrades, ExportError, check_emails, check_matched, check_unique, decimals_of, describe_student,
                  detect_decimal, format_number, header_key, norm_key, parse_number, php_csv, read_csv, write_atomic)
from .moodle_feedback import FeedbackCounts, feedback_cell

# The worksheet's columns, as Moodle names them in English and French.
WORKSHEET_COLUMNS = {
    "identifier": ("Identifier", "Identifiant"),
    "fullname": ("Full name", "Nom complet"),
    "email": ("Email address", "Adresse de courriel"),
    "username": ("Username", "Nom d'utilisateur"),
    "idnumber": ("ID number", "Numéro d'identification"),
    "grade": ("Grade", "Note"),
    "maxgrade": ("Maximum grade", "Note maximale"),
    "canchange": ("Grade can be changed", "La note peut être modifiée"),
    "scale": ("Scale", "Barème"),
    "modified": ("Last modified (grade)", "Dernière modification (note)"),
    "feedback": ("Feedback comments", "Feedback par commentaires"),
}
REQUIRED = ("identifier", "grade", "modified")   # what Moodle's worksheet importer refuses to go without
_KEYS = {header_key(name): key for key, names in WORKSHEET_COLUMNS.items() for name in names}

# "Grade can be changed" holds core's get_string('yes') or get_string('no') in the teacher's
# language (mod/assign/gradingtable.php, col_gradecanbechanged); English, French and the other
# large language packs, compared through header_key.
CAN_CHANGE = {"yes", "oui", "ja", "sí", "si", "sim", "tak", "ano", "igen", "da", "evet"}
CANNOT_CHANGE = {"no", "non", "nein", "nee", "nej", "nei", "nie", "ne", "nem", "nu", "não", "nao", "hayır"}

# The gradebook CSV's identity column: header, and where its value comes from.
IDENTITIES = {"email": "Email address", "username": "Username", "idnumber": "ID number"}


@dataclass
class Written:
    path: Path
    students: int
    grade_column: str
    feedback_column: str | None
    decimal: str
    factor: float
    warnings: list[str]
    feedback: FeedbackCounts | None = None     # worksheet: what became of the comments already there
    left: int = 0                              # worksheet: students whose row was left as it was (grade locked)


def _identity_of(cls: ClassGrades, mapping: dict, identity: str) -> dict[str, str]:
    """{student: value} of `identity` from students.csv, else the gradebook (e-mail; the nbgrader
    id as username)."""
    values = {}
    for sid, student in cls.students.items():
        value = mapping.get(sid, {}).get(identity)
        if not value and identity == "email":
            value = student.email
        if not value and identity == "username":
            value = sid
        values[sid] = value or ""
    return values


def _missing_identity(values: dict[str, str], identity: str) -> None:
    missing = sorted(sid for sid, v in values.items() if not v)
    if missing:
        hint = ("set it in nbgrader's student table (nbgrader db student add ID --email=...) or give "
                "--students students.csv with an email column") if identity == "email" else \
            f"give --students students.csv with a {identity} column"
        raise ExportError(f"no {identity} for {len(missing)} student(s) of the gradebook: {', '.join(missing)}; {hint}")


def gradebook_csv(cls: ClassGrades, mapping: dict, output: Path, identity: str = "email",
                  decimal: str = ".") -> Written:
    """A CSV Moodle's gradebook imports as it is (Grades > Import > CSV file)."""
    check_emails(cls, mapping)
    values = _identity_of(cls, mapping, identity)
    _missing_identity(values, identity)
    check_unique(values, identity.replace("email", "e-mail address"))
    total_column = f"{cls.assignment} (total)"
    feedback_column = f"{cls.assignment} (feedback)"
    rows = [["First name", "Last name", IDENTITIES[identity], *cls.notebooks, total_column, feedback_column]]
    order = sorted(cls.students.values(), key=lambda s: (s.last_name.casefold(), s.first_name.casefold(), s.id))
    for s in order:
        rows.append([s.first_name or s.id, s.last_name, values[s.id],
                     *(format_number(s.notebooks[nb], decimal) for nb in cls.notebooks),
                     format_number(s.total, decimal), s.feedback])
    path = write_atomic(output, php_csv(rows, ",", "\n"), bom=True)
    return Written(path, len(order), total_column, feedback_column, decimal, 1.0, [])


def _columns(header: list[str], path: Path) -> dict[str, int]:
    found: dict[str, int] = {}
    for i, name in enumerate(header):
        key = _KEYS.get(header_key(name))
        if key is not None:
            if key in found:
                raise ExportError(f"{path}: the worksheet has the column {name.strip()!r} twice")
            found[key] = i
    missing = [k for k in REQUIRED if k not in found]
    if missing:
        raise ExportError(
            f"{path} is not a Moodle grading worksheet as Moodle writes it: missing column(s) "
            + ", ".join(" / ".join(repr(n) for n in WORKSHEET_COLUMNS[k]) for k in missing)
            + f" (its columns: {', '.join(h for h in header) or 'none'}). Download it again from the "
              "assignment: View all submissions > Grading action > Download grading worksheet")
    return found


def _participant(identifier: str) -> str:
    m = re.search(r"(\d+)\s*$", identifier or "")
    return m.group(1) if m else ""


def _locked(row: list[str], col: dict[str, int], header: list[str]) -> str | None:
    """Why this row's grade must be left as it is, from the worksheet's "Grade can be changed"
    column; None when it may be changed (or the worksheet does not say)."""
    if "canchange" not in col:
        return None
    value = row[col["canchange"]] if col["canchange"] < len(row) else ""
    said = header_key(value)
    if not said or said in CAN_CHANGE:
        return None
    where = f"column {header[col['canchange']].strip()!r} = {value.strip()!r}"
    if said in CANNOT_CHANGE:
        return f"Moodle will not change this grade ({where}: locked or overridden in the gradebook)"
    return f"the worksheet does not say whether Moodle may change this grade ({where})"


def fill_worksheet(cls: ClassGrades, mapping: dict, worksheet: Path, output: Path, decimal: str | None = None,
                   rescale: bool = False, allow_unmatched: bool = False, replace_feedback: bool = False) -> Written:
    """The worksheet with each student's total in Grade and their feedback line in Feedback
    comments (after the comment already there, unless `replace_feedback`); rows whose grade
    Moodle will not change written back as they were."""
    table = read_csv(worksheet, "the worksheet")
    if not table.rows:
        raise ExportError(f"{worksheet} is empty: download the grading worksheet again from Moodle")
    header, body = table.rows[0], table.rows[1:]
    col = _columns(header, worksheet)
    warnings = []
    check_emails(cls, mapping)

    # How rows and students meet: the participant number students.csv gives, else the first
    # identity column the worksheet shows (e-mail address, username, ID number).
    if any(m.get("participant") for m in mapping.values()):
        kind = "participant"
    else:
        kind = next((k for k in ("email", "username", "idnumber") if k in col), None)
    if kind is None:
        raise ExportError(
            f"{worksheet} shows no Email address, Username or ID number column to recognise students by: "
            "give --students students.csv with a participant column (the number after 'Participant' in the "
            "Identifier column), or have Moodle show e-mail addresses (Site administration > Users > "
            "Permissions > User policies > Show user identity) and download the worksheet again")

    def row_key(row: list[str]) -> str:
        if kind == "participant":
            return _participant(row[col["identifier"]] if col["identifier"] < len(row) else "")
        return norm_key(row[col[kind]]) if col[kind] < len(row) else ""

    def describe(row: list[str]) -> str:
        cells = [row[col[k]] for k in ("identifier", "fullname", "email", "username", "idnumber")
                 if k in col and col[k] < len(row) and row[col[k]].strip()]
        return " ".join(cells) or "(empty row)"

    rows_by_key: dict[str, list[int]] = {}
    for i, row in enumerate(body):
        if any(c.strip() for c in row):
            rows_by_key.setdefault(row_key(row), []).append(i)
    shared = {k: v for k, v in rows_by_key.items() if len(v) > 1 and k}
    if shared:
        raise ExportError(f"{worksheet}: several rows with the same {kind}: " + "; ".join(
            " and ".join(describe(body[i]) for i in v) for v in shared.values()))

    if kind == "participant":
        keys = {sid: _participant(mapping.get(sid, {}).get("participant", "")) for sid in cls.students}
    else:
        keys = _identity_of(cls, mapping, kind)
    if not allow_unmatched:
        _missing_identity(keys, kind)
    check_unique({sid: v for sid, v in keys.items() if v}, kind.replace("email", "e-mail address"))

    matched: dict[int, str] = {}
    missing_students = []
    for sid in sorted(cls.students):
        key = norm_key(keys[sid]) if keys[sid] else ""
        found = rows_by_key.get(key) if key else None
        if found:
            matched[found[0]] = sid
        else:
            missing_students.append(sid)
    extra_rows = [describe(row) for i, row in enumerate(body) if any(c.strip() for c in row) and i not in matched]
    missing = [describe_student(cls.students[sid], mapping.get(sid, {}).get("email", "")) for sid in missing_students]
    check_matched(missing, extra_rows, f"the worksheet {worksheet.name}", allow_unmatched, warnings)

    # The scale: the worksheet's Maximum grade against the gradebook's total.
    if "maxgrade" not in col:
        if "scale" in col:
            raise ExportError(f"{worksheet}: the assignment is graded with a scale; set its grade type to Point "
                              f"(maximum {cls.max_total:g}) in Moodle and download the worksheet again")
        lms_max = None
    else:
        maxima = {parse_number(row[col["maxgrade"]]) for row in body if col["maxgrade"] < len(row)
                  and parse_number(row[col["maxgrade"]]) is not None}
        lms_max = max(maxima) if maxima else None
        if len(maxima) > 1:
            raise ExportError(f"{worksheet}: the Maximum grade column holds several values ({sorted(maxima)})")
    factor = 1.0
    if lms_max is not None and abs(lms_max - cls.max_total) > 1e-6:
        if not rescale:
            raise ExportError(
                f"the Moodle assignment is graded out of {lms_max:g} but {cls.assignment} is out of "
                f"{cls.max_total:g} in the gradebook: set the assignment's Maximum grade to "
                f"{cls.max_total:g} in Moodle (Settings > Grade) and download the worksheet again, "
                "or pass --rescale to scale the totals")
        factor = lms_max / cls.max_total

    numbers = [row[col[k]] for row in body for k in ("maxgrade", "grade") if k in col and col[k] < len(row)]
    decimal = decimal or detect_decimal(numbers)
    places = next((d for d in (decimals_of(row[col["maxgrade"]]) for row in body
                               if "maxgrade" in col and col["maxgrade"] < len(row)) if d is not None), 2)
    if "feedback" not in col:
        warnings.append("the worksheet has no Feedback comments column: grades only. Enable Feedback comments "
                        "in the assignment's settings (Feedback types) and download the worksheet again to "
                        "send the feedback too")

    width = len(header)
    out = [list(header)]
    counts = FeedbackCounts() if "feedback" in col else None
    left = 0
    for i, row in enumerate(body):
        row = list(row)
        reason = _locked(row, col, header) if i in matched else None
        if reason is not None:
            left += 1
            warnings.append(f"{describe_student(cls.students[matched[i]])}, {row[col['identifier']].strip()}: grade "
                            f"and feedback left as they were: {reason}")
        elif i in matched:
            row += [""] * (width - len(row))
            student = cls.students[matched[i]]
            row[col["grade"]] = format_number(student.total * factor, decimal, places)
            if counts is not None:
                row[col["feedback"]] = feedback_cell(row[col["feedback"]], student.feedback, replace_feedback, counts)
        out.append(row)
    path = write_atomic(output, php_csv(out, table.delimiter, table.newline), bom=True)
    return Written(path, len(matched) - left, header[col["grade"]],
                   header[col["feedback"]] if "feedback" in col else None, decimal, factor, warnings, counts, left)
