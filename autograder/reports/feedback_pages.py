"""One feedback page per student, in French, beside nbgrader's own feedback:
`feedback/<student>/descente_gradient/resume.html`, with each check passed or failed, its
message, its points, and the student's training curve against the reference, per notebook."""
from __future__ import annotations

from pathlib import Path

from ..course import load
from . import htmlkit as html
from .outcomes import NotebookOutcome
from .plots import training_figure

PAGE_NAME = "resume.html"


def _check_rows(outcome: NotebookOutcome) -> list[list[str]]:
    rows = []
    for c in outcome.checks:
        if c.passed:
            verdict, message = '<span class="ok">réussi</span>', ""
        else:
            verdict = '<span class="ko">échoué</span>'
            message = html.text(c.message)
        rows.append([f"<code>{c.check}</code>", html.points(c.score, c.max_score), verdict, message])
    return rows


def notebook_section(outcome: NotebookOutcome) -> str:
    step = outcome.step
    reference = load(step.assignment).reference_curve(step.name)
    figure, missing = "", ""
    if reference or outcome.history:
        figure = ("<p>Ton apprentissage (en bleu) et la descente de référence (en noir pointillé), "
                  "sur les données du notebook :</p>"
                  + html.image(training_figure(reference, outcome.history),
                               f"regret et w de {outcome.student} pour {step.name}, avec la référence"))
    if outcome.history is None and reference:
        missing = ('<p class="note">Pas de courbe pour ton apprentissage : ta cellule d\'apprentissage ne remplit '
                   "pas la liste <code>historique</code> (facultative), ou le notebook n'a pas pu être exécuté "
                   "jusqu'au bout. Cela ne retire aucun point.</p>")
    return (f'<h2 id="{step.name}">{step.name} — <code>{step.filename}</code> : '
            f"{html.points(outcome.score, outcome.max_score)} points</h2>"
            f'<p class="note">Le détail de nbgrader : <a href="{step.notebook}.html">{step.notebook}.html</a></p>'
            + html.table(["vérification", "points", "résultat", "message"], _check_rows(outcome))
            + figure + missing)


def student_page(student: str, assignment: str, outcomes: list[NotebookOutcome]) -> str:
    score = sum(o.score for o in outcomes)
    most = sum(o.max_score for o in outcomes)
    failed = sum(1 for o in outcomes for c in o.checks if not c.passed)
    curves = any(o.history for o in outcomes) or any(load(o.step.assignment).reference_curve(o.step.name)
                                                     for o in outcomes)
    summary = ("Toutes les vérifications sont réussies." if failed == 0
               else f"{failed} vérification(s) échouée(s) : le message dit pourquoi"
                    + (", la courbe montre l'effet." if curves else "."))
    body = (f"<h1>Retour sur « {assignment} » — {html.text(student)}</h1>"
            f'<p class="total">Total : <strong>{html.points(score, most)} points</strong>. {summary}</p>'
            + "".join(notebook_section(o) for o in outcomes))
    return html.page(f"{assignment} — {student}", body, lang="fr")


def write_student_pages(course_dir: Path, assignment: str, outcomes: dict[str, list[NotebookOutcome]]) -> list[Path]:
    """Write feedback/<student>/<assignment>/resume.html for each student; returns the paths."""
    paths = []
    for student, notebooks in outcomes.items():
        path = Path(course_dir) / "feedback" / student / assignment / PAGE_NAME
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(student_page(student, assignment, notebooks), encoding="utf-8")
        paths.append(path)
    return paths
