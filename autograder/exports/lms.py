"""What the Moodle and Canvas exports share: the class's grades read from nbgrader's gradebook,
the one-line French feedback of each student, who is who (nbgrader's student table and an
optional `students.csv`), and CSV files read as an LMS writes them and written whole or not at all.

Nothing here knows the lesson: notebooks, their maximum points and the checks that lost points
come from the gradebook; the cause of a failed check comes from the grading record beside the
autograded notebook (`autograder.records`), and is only ever used as a key into text the kit
wrote (see `cause_labels`): no string a student could have written reaches a file. What an
instructor did in formgrader is nbgrader's too: a grade they changed (`Grade.manual_score`) counts
as nbgrader counts it and is said so in the line, and their comments (`Comment.manual_comment`)
follow it.
"""
from __future__ import annotations

import contextlib
import csv
import io
import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from .. import records
from ..course import load


class ExportError(RuntimeError):
    """Bad input: the message says what and who, in English; nothing has been written."""


# ---------------------------------------------------------------------------------------------
# The gradebook


@dataclass
class StudentGrades:
    id: str
    first_name: str
    last_name: str
    email: str
    lms_user_id: str
    submitted: bool
    notebooks: dict[str, float]                       # notebook -> points (late penalty deducted)
    failed: dict[str, list[str]] = field(default_factory=dict)   # notebook -> grade ids that lost points
    checks: dict[str, int] = field(default_factory=dict)         # notebook -> number of graded cells
    # notebook -> {grade id: whether the automatic grading had given every point} of the grades an
    # instructor changed (nbgrader's Grade.manual_score, what formgrader writes)
    reviewed: dict[str, dict[str, bool]] = field(default_factory=dict)
    comments: list[tuple[str, str, str]] = field(default_factory=list)   # (notebook, cell, instructor's comment)
    feedback: str = ""                                # the one-line French summary

    @property
    def total(self) -> float:
        return sum(self.notebooks.values())

    @property
    def name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p) or self.id


@dataclass
class ClassGrades:
    course_dir: Path
    assignment: str
    notebooks: dict[str, float]          # notebook -> maximum points, in name order
    students: dict[str, StudentGrades]   # nbgrader id -> grades, every student of the student table

    @property
    def max_total(self) -> float:
        return sum(self.notebooks.values())


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def read_class(course_dir: Path, assignment: str | None = None) -> ClassGrades:
    """Every student of nbgrader's student table with their points on `assignment` (0 when they
    handed nothing in, as `nbgrader export` counts it), and their feedback line."""
    from nbgrader.api import Gradebook

    from ..nbgrader_settings import course_settings
    from ..reports.table import read_grades

    course_dir = Path(course_dir).resolve()
    settings = course_settings(course_dir)
    if not settings.gradebook_exists():
        raise ExportError(f"no gradebook at {settings.shown_db()} (nbgrader's db_url for {course_dir}): run nbgrader "
                          "autograde (or `python -m autograder demo`) first, or pass --course-dir")
    with Gradebook(settings.db_url) as gb:
        names = sorted(a.name for a in gb.assignments)
        if assignment is None:
            if len(names) != 1:
                raise ExportError(f"the gradebook holds {len(names)} assignments ({', '.join(names) or 'none'}): "
                                  "say which one with --assignment")
            assignment = names[0]
        if assignment not in names:
            raise ExportError(f"no assignment {assignment!r} in the gradebook of {course_dir} (it holds: "
                              f"{', '.join(names) or 'none'}): say which with --assignment")
        source = gb.find_assignment(assignment)
        notebooks = {nb.name: float(nb.max_score or 0) for nb in sorted(source.notebooks, key=lambda n: n.name)}
        if not notebooks:
            raise ExportError(f"assignment {assignment!r} has no notebook in the gradebook: run nbgrader "
                              "generate_assignment first")
        people = [(s.id, _text(s.first_name), _text(s.last_name), _text(s.email), _text(s.lms_user_id))
                  for s in gb.students]
    graded = read_grades(settings.db_url, assignment)   # nbgrader's grades, manual ones and comments included
    students = {}
    for student_id, first, last, email, lms_user_id in people:
        grades = StudentGrades(student_id, first, last, email, lms_user_id, False, {nb: 0.0 for nb in notebooks})
        submission = graded.get(student_id)
        if submission is not None:
            grades.submitted = True
            for nb in notebooks:
                cells = {grade_id: cell for (name, grade_id), cell in submission.cells.items() if name == nb}
                if not cells:
                    continue
                penalty = submission.late_penalties.get(nb, 0.0)
                grades.notebooks[nb] = max(0.0, sum(cell.score for cell in cells.values()) - penalty)
                lost = sorted(g for g, cell in cells.items() if cell.score < cell.max_score)
                grades.checks[nb] = len(cells)
                if lost:
                    grades.failed[nb] = lost
                reviewed = {g: (cell.auto_score or 0.0) >= cell.max_score for g, cell in cells.items() if cell.manual}
                if reviewed:
                    grades.reviewed[nb] = reviewed
            grades.comments = sorted((nb, cell, _text(text)) for (nb, cell), text in submission.comments.items()
                                     if nb in notebooks)
        students[student_id] = grades
    if not students:
        raise ExportError(f"no student in the gradebook of {course_dir}: grade the submissions first "
                          "(nbgrader autograde, or python -m autograder autograde)")
    labels = cause_labels(assignment)
    for grades in students.values():
        grades.feedback = feedback_line(course_dir, assignment, notebooks, grades, labels)
    return ClassGrades(course_dir, assignment, notebooks, students)


# ---------------------------------------------------------------------------------------------
# The feedback line

# Short French labels for the machinery's own causes (any course).
GENERIC_LABELS = {
    "not_done": "pas encore fait",
    "missing": "un nom attendu n'est pas défini",
    "error": "une cellule lève une erreur",
    "not_a_number": "ne renvoie pas un nombre",
    "wrong_value": "valeur inattendue",
    "hand_typed": "résultats écrits à la main",
    "hyper_changed": "hyper-paramètres ou données modifiés",
    "diverged": "l'apprentissage diverge",
    "no_output": "le notebook n'a pas pu être exécuté jusqu'au bout",
    "visible_test": "un test visible de la cellule échoue",
    "timeout": "temps d'exécution dépassé",
}
REVIEWED = "note revue par l'enseignant"      # a grade the instructor changed (formgrader)
MAX_LABEL = 90
MAX_LINE = 600
MAX_COMMENT = 300      # an instructor's comment in the line, at most
MAX_COMMENTS = 900     # all of them


def _first_clause(template: str) -> str | None:
    """The beginning of a kit-written French message, up to its first pause, if it needs no value
    (`Ton gradient a le mauvais signe : ...` -> `ton gradient a le mauvais signe`)."""
    if not isinstance(template, str):
        return None
    cuts = [i for i in (template.find(s) for s in (" : ", " ; ", ". ", " (", "\n")) if i > 0]
    text = template[:min(cuts)] if cuts else template
    text = " ".join(text.replace("`", "").split()).strip(" .,;:!")
    if not text or "{" in text or "}" in text or len(text) > MAX_LABEL:
        return None
    if text[0].isupper() and not text[1:2].isupper():
        text = text[0].lower() + text[1:]
    return text


def cause_labels(assignment: str) -> dict[str, str]:
    """{cause code: short French label}: the machinery's own, and the beginning of each message
    the course's checks define (`MESSAGES = {code: (French, English)}`), when the course package
    exposes them. Kit-written text only."""
    labels = dict(GENERIC_LABELS)
    try:
        messages = load(assignment).messages
    except Exception:   # no such course package, or one that does not import: labels are optional
        messages = {}
    for code, value in messages.items():
        label = _first_clause(value[0] if isinstance(value, (tuple, list)) and value else None)
        if isinstance(code, str) and label:
            labels[code] = label
    return labels


def french_number(value: float) -> str:
    text = f"{round(float(value), 2):.2f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")


def _record(course_dir: Path, assignment: str, student: str, notebook: str) -> dict | None:
    if not student or "/" in student or "\\" in student or student in (".", "..") or "/" in notebook:
        return None
    return records.read(records.path_for(course_dir / "autograded" / student / assignment / f"{notebook}.ipynb"))


def _label(record: dict | None, check: str, labels: dict[str, str], reviewed: dict[str, bool]) -> str | None:
    """The cause of a lost check, in the kit's words; an instructor's change of its grade said
    after it (alone when the automatic grading had given every point: the cause is theirs)."""
    if reviewed.get(check):
        return REVIEWED
    entry = (record or {}).get("checks", {}).get(check)
    code = None if entry is None else "visible_test" if entry.get("passed") else entry.get("code")
    cause = labels.get(code) if isinstance(code, str) else None
    if check in reviewed:
        return f"{cause}, {REVIEWED}" if cause else REVIEWED
    return cause


def _one_line(text: str) -> str:
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())


def feedback_line(course_dir: Path, assignment: str, notebooks: dict[str, float], student: StudentGrades,
                  labels: dict[str, str]) -> str:
    """One line of French: what to look at again, per notebook, from the gradebook's points and the
    causes the grading records name. Only notebook and check names (the gradebook's) and labels
    (the kit's) enter it."""
    if not student.submitted:
        return "Aucun travail rendu."
    total = f"{french_number(student.total)}/{french_number(sum(notebooks.values()))}"
    if not student.failed:
        return _one_line(f"{total} : toutes les vérifications sont réussies." + _comments(student))

    def render(with_labels: bool) -> list[str]:
        parts = []
        for nb in notebooks:
            lost = student.failed.get(nb)
            if not lost:
                continue
            record = _record(course_dir, assignment, student.id, nb) if with_labels else None
            groups: dict[str | None, list[str]] = {}     # checks that failed for the same cause, together
            for check in lost:
                groups.setdefault(_label(record, check, labels, student.reviewed.get(nb, {})), []).append(check)
            if len(lost) == student.checks.get(nb) and len(groups) == 1 and None not in groups:
                items = f"toutes les vérifications ({next(iter(groups))})"
            else:
                items = ", ".join(", ".join(checks) + (f" ({label})" if label else "")
                                  for label, checks in groups.items())
            parts.append(f"{nb} {french_number(student.notebooks[nb])}/{french_number(notebooks[nb])} : {items}")
        return parts

    line = f"{total}. À revoir — " + " ; ".join(render(True)) + "."
    if len(line) > MAX_LINE:
        line = f"{total}. À revoir — " + " ; ".join(render(False)) + "."
    if len(line) > MAX_LINE:
        line = line[:MAX_LINE - 1].rstrip() + "…"
    return _one_line(line + _comments(student))


def _cut(text: str, most: int) -> str:
    return text if len(text) <= most else text[:most - 1].rstrip() + "…"


def _comments(student: StudentGrades) -> str:
    """What the instructor wrote in formgrader (nbgrader's Comment.manual_comment), after the
    kit's line: each comment on one line, bounded."""
    if not student.comments:
        return ""
    parts = [f"{nb} ({cell}) : {_cut(_one_line(text), MAX_COMMENT)}" for nb, cell, text in student.comments]
    title = "Commentaire de l'enseignant" if len(parts) == 1 else "Commentaires de l'enseignant"
    return " " + _cut(f"{title} — " + " ; ".join(parts), MAX_COMMENTS)


# ---------------------------------------------------------------------------------------------
# Who is who

MAPPING_FIELDS = ("email", "username", "idnumber", "participant", "canvas_id", "sis_user_id", "sis_login_id")
_MAPPING_ALIASES = {"student_id": "student_id", "nbgrader_id": "student_id", "student": "student_id",
                    "id_number": "idnumber", "moodle_idnumber": "idnumber", "canvas_user_id": "canvas_id",
                    "sis_login": "sis_login_id", "login_id": "sis_login_id", "sis_id": "sis_user_id",
                    "participant_id": "participant", **{f: f for f in MAPPING_FIELDS}}


# Typographic apostrophes and quotes (French language packs write `Nom d’utilisateur`), and the
# ASCII ones they stand for.
_TYPOGRAPHY = str.maketrans({**dict.fromkeys("\u2019\u2018\u201b\u02bc\u00b4\u0060\u2032\uff07", "'"),
                             **dict.fromkeys("\u201c\u201d\u201e\u201f\u00ab\u00bb\u2033\uff02", '"')})


def header_key(text: str) -> str:
    """A column header (or a cell the kit recognises) as the kit compares it, whatever the LMS's
    language pack typed: Unicode NFC, typographic apostrophes and quotes as `'` and `"`, blanks
    (no-break ones too) as one space, no case. Every header the Moodle and Canvas exports match
    goes through here."""
    text = unicodedata.normalize("NFC", text or "").translate(_TYPOGRAPHY)
    return " ".join(text.split()).casefold()


def norm_key(value: str) -> str:
    """An identity as compared: e-mail addresses, logins and names ignore case, surrounding blanks
    and the typography of apostrophes (`O’Brien` is `O'Brien`)."""
    return unicodedata.normalize("NFC", value).translate(_TYPOGRAPHY).strip().casefold()


def read_mapping(path: Path, cls: ClassGrades) -> dict[str, dict[str, str]]:
    """`students.csv`: one row per student, `student_id` (nbgrader's id) and any of
    email, username, idnumber, participant (Moodle), canvas_id, sis_user_id, sis_login_id."""
    table = read_csv(Path(path), "the students file", delimiters=",;\t")
    if not table.rows:
        raise ExportError(f"{path}: empty students file (expected a header row: student_id,email,...)")
    header = [_MAPPING_ALIASES.get(re.sub(r"[\s-]+", "_", header_key(h)), "") for h in table.rows[0]]
    if "student_id" not in header:
        raise ExportError(f"{path}: no student_id column (nbgrader's student id); its columns are "
                          f"{', '.join(table.rows[0])}")
    if not any(h in MAPPING_FIELDS for h in header):
        raise ExportError(f"{path}: no identity column; give at least one of {', '.join(MAPPING_FIELDS)}")
    mapping: dict[str, dict[str, str]] = {}
    duplicates = []
    for row in table.rows[1:]:
        if not any(c.strip() for c in row):
            continue
        values = {h: row[i].strip() for i, h in enumerate(header) if h and i < len(row) and row[i].strip()}
        sid = values.pop("student_id", "")
        if not sid:
            raise ExportError(f"{path}: a row without student_id: {','.join(row)}")
        if sid in mapping:
            duplicates.append(sid)
        mapping[sid] = values
    if duplicates:
        raise ExportError(f"{path}: students listed twice: {', '.join(sorted(set(duplicates)))}")
    for name in MAPPING_FIELDS:
        check_unique({sid: v[name] for sid, v in mapping.items() if v.get(name)}, name, f"in {path}")
    unknown = sorted(set(mapping) - set(cls.students))
    if unknown:
        raise ExportError(f"{path} lists students who are not in the gradebook: {', '.join(unknown)} "
                          f"(nbgrader's student ids are: {', '.join(sorted(cls.students)) or 'none'})")
    return mapping


def check_unique(keys: dict[str, str], what: str, where: str = "in the gradebook") -> None:
    """Two students with the same e-mail address (or login, or id): an error naming them."""
    owners: dict[str, list[str]] = {}
    for student, key in keys.items():
        owners.setdefault(norm_key(key), []).append(student)
    shared = {k: sorted(v) for k, v in owners.items() if len(v) > 1}
    if shared:
        raise ExportError(f"students with the same {what} {where}: " + "; ".join(
            f"{', '.join(v)} share {k!r}" for k, v in sorted(shared.items())))


def check_emails(cls: ClassGrades, mapping: dict[str, dict[str, str]]) -> None:
    emails = {sid: mapping.get(sid, {}).get("email") or s.email for sid, s in cls.students.items()}
    check_unique({sid: e for sid, e in emails.items() if e}, "e-mail address")


def describe_student(student: StudentGrades, email: str = "") -> str:
    """`id (First Last, e-mail)`: how the messages name a student of the gradebook."""
    details = ", ".join(d for d in (" ".join(p for p in (student.first_name, student.last_name) if p),
                                    email or student.email) if d)
    return f"{student.id} ({details})" if details else student.id


def check_matched(students: list[str], rows: list[str], lms_file: str, allow_unmatched: bool,
                  warnings: list[str]) -> None:
    """Students of the gradebook without a row of `lms_file`, and rows without a student: an
    ExportError naming them, or, with `allow_unmatched`, a warning (their rows stay as they were)."""
    if not (students or rows):
        return
    message = unmatched_message(students, rows, lms_file)
    if not allow_unmatched:
        raise ExportError(message)
    warnings.append(message.replace(", or pass --allow-unmatched to leave them out", "") +
                    ": left out (their rows are written back as they were)")


def unmatched_message(students: list[str], rows: list[str], lms_file: str) -> str:
    parts = []
    if students:
        parts.append(f"in the gradebook but not in {lms_file}: {'; '.join(students)}")
    if rows:
        parts.append(f"in {lms_file} but not in the gradebook: {'; '.join(rows)}")
    return ("students do not match: " + " | ".join(parts) +
            ". Check the e-mail addresses / ids (nbgrader's student table, or --students students.csv), "
            "or pass --allow-unmatched to leave them out")


# ---------------------------------------------------------------------------------------------
# CSV files as the LMS writes them

BOM = "\ufeff"


@dataclass
class CsvTable:
    rows: list[list[str]]
    delimiter: str
    bom: bool
    newline: str


def _split(text: str, delimiter: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False))


def read_csv(path: Path, what: str, delimiters: str = ",;\t") -> CsvTable:
    """A CSV file in UTF-8 (with or without BOM): its rows, and how it was written (separator,
    BOM, line ends), so that the file written back looks like the one read."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise ExportError(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ExportError(f"{what} {path} is not UTF-8 text: save it as \"CSV UTF-8\" and try again") from None
    bom = text.startswith(BOM)
    text = text.removeprefix(BOM)
    newline = "\r\n" if "\r\n" in text else "\n"
    # As Canvas does: the separator that splits the first rows into the same number of fields
    # (the most fields wins); if none does, the one that splits the header most.
    parsed, consistent, widest = {}, {}, {}
    for delimiter in delimiters:
        try:
            parsed[delimiter] = _split(text, delimiter)
        except csv.Error:
            continue
        counts = [len(r) for r in parsed[delimiter][:3] if r]
        widest[delimiter] = counts[0] if counts else 0
        if counts and len(set(counts)) == 1 and counts[0] > 1:
            consistent[delimiter] = counts[0]
    if not parsed:
        raise ExportError(f"{what} {path} is not a readable CSV file")
    scores = consistent or widest
    best = max(scores, key=lambda d: (scores[d], -delimiters.index(d)))
    return CsvTable(parsed[best], best, bom, newline)


_PHP_QUOTED = re.compile(r'[ \t\r\n"\\]')   # PHP's fputcsv: blank, tab, line end, quote, backslash


def php_csv(rows: list[list[str]], delimiter: str, newline: str) -> str:
    """Rows as PHP's fputcsv writes them (Moodle's downloads): a field is quoted when it holds the
    separator, a quote, a backslash or a blank."""
    def cell(value: str) -> str:
        if delimiter in value or _PHP_QUOTED.search(value):
            return '"' + value.replace('"', '""') + '"'
        return value
    return "".join(delimiter.join(cell(v) for v in row) + newline for row in rows)


def minimal_csv(rows: list[list[str]], delimiter: str, newline: str) -> str:
    """Rows quoted only where needed (Ruby's CSV, Canvas's exports)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator=newline, quoting=csv.QUOTE_MINIMAL)
    for row in rows:
        writer.writerow(row)
    return out.getvalue()


def write_atomic(path: Path, text: str, bom: bool) -> Path:
    """The whole file or nothing: written beside its destination, then renamed onto it."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise ExportError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(((BOM if bom else "") + text).encode("utf-8"))
            out.flush()
            os.fsync(out.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise ExportError(f"cannot write {path}: {exc.strerror or exc}") from None
        raise
    return path


# ---------------------------------------------------------------------------------------------
# Numbers

_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)$")


def parse_number(text: str) -> float | None:
    """`22.00`, `22,00`, `1 000,5` -> a float; anything else (`-`, `(read only)`, ``) -> None."""
    value = re.sub(r"[\s\u00a0\u202f]", "", text or "")
    if not _NUMBER.match(value):
        return None
    return float(value.replace(",", "."))


def decimals_of(text: str) -> int | None:
    m = re.search(r"[.,](\d+)\s*$", text or "")
    return len(m.group(1)) if m and parse_number(text) is not None else None


def format_number(value: float, decimal: str = ".", places: int = 2) -> str:
    """Rounded half up to `places` digits, written with the LMS's decimal separator."""
    quantum = Decimal(1).scaleb(-places)
    number = Decimal(repr(float(value))).quantize(quantum, rounding=ROUND_HALF_UP)
    if number == 0:
        number = abs(number)
    return f"{number:.{places}f}".replace(".", decimal)


def detect_decimal(cells: list[str], default: str = ".") -> str:
    """The decimal separator the LMS wrote its numbers with."""
    for cell in cells:
        if parse_number(cell) is not None and "," in cell:
            return ","
    for cell in cells:
        if parse_number(cell) is not None and "." in cell:
            return "."
    return default


def plain(text: str) -> str:
    """A name as compared: no accents, no case, words only (`Descente de gradient` ~ `descente de gradient`)."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(re.sub(r"[\W_]+", " ", text.casefold()).split())
