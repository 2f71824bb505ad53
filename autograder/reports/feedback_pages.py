"""One summary page per student, in French, beside nbgrader's own feedback pages:
`feedback/<student>/<assignment>/resume.html`. Per step: what each check checks (in the course's
words), its points as nbgrader holds them (the instructor's manual score included), passed or
failed, the message the student was given, the instructor's comments, and the student's training
curve against the reference when the course draws one. Readable on a phone (htmlkit.STYLE)."""
from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from ..course import Course, CourseError, load
from . import htmlkit as html
from .outcomes import CheckOutcome, NotebookOutcome, class_outcomes
from .plots import training_figures

PAGE_NAME = "resume.html"
MAX_MESSAGE = 2000      # characters of a message or comment shown (a student's error can be any size)
MAX_STUDENT = 200
TEACHER = "Commentaire de l'enseignant"
HEADS = ["Ce qui est vérifié", "Points", "Résultat", "Message"]


def _number(value: float) -> str:
    return f"{value:g}".replace(".", ",")


def _points(score: float, max_score: float) -> str:
    return f"{_number(score)} / {_number(max_score)}"


def _check_points(check: CheckOutcome) -> str:
    shown = _points(check.score, check.max_score)
    return shown + (f" (dont {_number(check.extra_credit)} de bonus)" if check.extra_credit else "")


def _verdict(check: CheckOutcome) -> str:
    verdict = '<span class="ok">réussi</span>' if check.passed else '<span class="ko">échoué</span>'
    return verdict + ('<br><span class="note">note de l\'enseignant</span>' if check.manual else "")


def _message(check: CheckOutcome) -> str:
    said = html.text(check.message, MAX_MESSAGE) if check.message else ""
    if check.manual:
        said = ("Vérification automatique : réussie." if check.auto_passed
                else f"Vérification automatique : échouée. {said}")
    if check.comment:
        said += f'<p class="teacher"><strong>{TEACHER} :</strong> {html.text(check.comment, MAX_MESSAGE)}</p>'
    return said


def _title(course: Course, outcome: NotebookOutcome, check: str, linked: bool) -> str:
    title = html.text(course.check_title(outcome.step.name, check) or check)
    link = f'<br><a class="note" href="{outcome.step.notebook}.html#{check}">voir le test dans ton notebook</a>'
    return title + (link if linked else "")


def _curves(course: Course, outcome: NotebookOutcome) -> str:
    words = course.curve_text
    if words is None:
        return ""
    reference = course.reference_curve(outcome.step.name)
    history = outcome.history
    if not (reference or history):
        return ""
    intro = words.both if reference and history else words.yours_only if history else words.reference_only
    loss, parameter = training_figures(reference, history, words.loss, words.parameter)
    drawn = " et ".join(["ton notebook"] * bool(history) + ["la référence"] * bool(reference))
    alt = "{} à chaque itération : " + drawn
    figure = (f"<p>{html.text(intro)}</p>"
              f'<div class="figures">{html.image(loss, alt.format(words.loss))}'
              f"{html.image(parameter, alt.format(words.parameter))}</div>")
    if history:
        return figure
    if not outcome.autograded:
        why = "Pas de courbe de ton notebook : il n'a pas été corrigé."
    elif outcome.problem:
        why = "Pas de courbe de ton notebook : le correcteur n'a pas pu l'exécuter jusqu'au bout."
    else:
        why = words.missing
    return figure + f'<p class="note">{html.text(why)}</p>'


def _answer_comments(course: Course, outcome: NotebookOutcome) -> str:
    return "".join(f'<p class="teacher"><strong>{TEACHER} — '
                   f"{html.text(course.answer_title(outcome.step.name, cell) or f'la cellule `{cell}`')} :</strong> "
                   f"{html.text(comment, MAX_MESSAGE)}</p>"
                   for cell, comment in sorted(outcome.comments.items()))


def notebook_section(course: Course, outcome: NotebookOutcome, nbgrader_page: bool) -> str:
    step = outcome.step
    heading = html.text(course.step_title(step.name) or step.name)
    if nbgrader_page:
        link = f'<a href="{step.notebook}.html">{step.notebook}.html</a>'
        where = f"Ton notebook corrigé, avec la sortie de chaque test : {link}"
    elif outcome.autograded:
        where = "La page de nbgrader pour ce notebook n'est pas encore écrite."
    else:
        where = "Ce notebook n'a pas été corrigé : nbgrader n'en a pas de page."
    rows = {c.check: [_title(course, outcome, c.check, nbgrader_page), _check_points(c), _verdict(c), _message(c)]
            for c in outcome.checks}
    late = (f'<p class="note">Rendu en retard : {_number(outcome.late_penalty)} point(s) de pénalité, retirés des '
            f"{_number(outcome.score)} points de tes vérifications.</p>" if outcome.late_penalty else "")
    return (f'<section><h2 id="{step.name}">{heading} : {_points(outcome.final_score, outcome.max_score)} points</h2>'
            f'<p class="note"><code>{step.filename}</code>. {where}</p>' + late
            + html.stacked_table(HEADS, rows) + _answer_comments(course, outcome) + _curves(course, outcome)
            + "</section>")


def _overview(outcomes: list[NotebookOutcome]) -> str:
    checks = [c for o in outcomes for c in o.checks]
    failed = [c for c in checks if not c.passed]
    manual = sum(1 for c in checks if c.manual)
    explained = all((c.message and c.message != "(aucun message)") or c.comment for c in failed)
    if not failed:
        said = f"Toutes les vérifications sont réussies ({len(checks)} sur {len(checks)})."
    elif len(failed) == 1:
        said = f"1 vérification échouée sur {len(checks)}" + (
            " : son explication est dans le tableau de son étape." if explained
            else ", marquée « échoué » dans le tableau de son étape.")
    else:
        said = f"{len(failed)} vérifications échouées sur {len(checks)}" + (
            " : chacune a son explication dans le tableau de son étape." if explained
            else ", marquées « échoué » dans le tableau de leur étape.")
    if manual == 1:
        said += " Ton enseignant a fixé lui-même la note d'une vérification : elle est marquée"
    elif manual > 1:
        said += f" Ton enseignant a fixé lui-même la note de {manual} vérifications : elles sont marquées"
    return said + (" « note de l'enseignant »." if manual else "")


def student_page(student: str, assignment: str, outcomes: list[NotebookOutcome],
                 nbgrader_pages: set[str] = frozenset()) -> str:
    """The page's HTML; `nbgrader_pages`: the notebooks whose nbgrader feedback page is beside it."""
    course = load(assignment)
    score = sum(o.final_score for o in outcomes)
    most = sum(o.max_score for o in outcomes)
    who = html.text(student, MAX_STUDENT)
    body = (f"<h1>{html.text(course.title)}</h1>"
            f'<p class="note">Retour pour {who}</p>'
            f'<p class="total">Total : <strong>{_points(score, most)} points</strong>. {_overview(outcomes)}</p>'
            + "".join(notebook_section(course, o, o.step.notebook in nbgrader_pages) for o in outcomes))
    return html.page(f"{course.title} — {student[:MAX_STUDENT]}", body, lang="fr")


def _write(folder: Path, student: str, assignment: str, outcomes: list[NotebookOutcome]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    pages = {o.step.notebook for o in outcomes if (folder / f"{o.step.notebook}.html").is_file()}
    path = folder / PAGE_NAME
    temporary = folder / f".{PAGE_NAME}.{os.getpid()}.tmp"
    temporary.write_text(student_page(student, assignment, outcomes, pages), encoding="utf-8")
    os.replace(temporary, path)
    return path


def write_student_pages(course_dir: Path, assignment: str, outcomes: dict[str, list[NotebookOutcome]]) -> list[Path]:
    """Write feedback/<student>/<assignment>/resume.html for each student; returns the paths."""
    return [_write(Path(course_dir) / "feedback" / student / assignment, student, assignment, notebooks)
            for student, notebooks in outcomes.items()]


def write_student_summary(course_dir: Path, assignment: str, student: str, masked: set[str] = frozenset(),
                          note: str = "") -> Path | None:
    """feedback/<student>/<assignment>/resume.html of one student, from the gradebook and the
    grading records only (nothing run again), after nbgrader's own pages are written; None when
    the assignment has no course package or the student no submission in the gradebook. The
    message of each failed check in `masked` ({(notebook, check)}) reads `note` instead (serve's
    policy before the due date)."""
    try:
        load(assignment)
    except CourseError:
        return None
    outcomes = class_outcomes(course_dir, assignment, [student], graded_only=True)
    if student not in outcomes:
        return None
    notebooks = [replace(o, checks=[replace(c, message=note) if (o.step.notebook, c.check) in masked and not c.passed
                                    else c for c in o.checks]) for o in outcomes[student]]
    return _write(Path(course_dir) / "feedback" / student / assignment, student, assignment, notebooks)
