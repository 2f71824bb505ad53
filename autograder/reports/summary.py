"""The instructor's one-page class summary (English): score distribution, the checks that fail
most, the most common mistakes, and the grade table, from the same outcomes as the student pages."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from ..course import Course, load
from . import htmlkit as html
from .outcomes import NotebookOutcome
from .plots import bar_figure, histogram_figure


@dataclass(frozen=True)
class ClassStats:
    totals: dict[str, float]                    # student -> total points
    max_total: float
    failures: Counter                           # (step, check) -> students failing it
    causes: Counter                             # cause code (None: unnamed) -> failed checks with it
    students_by_cause: dict[str | None, list[str]]


def class_stats(outcomes: dict[str, list[NotebookOutcome]]) -> ClassStats:
    totals, failures, causes, who = {}, Counter(), Counter(), {}
    max_total = 0.0
    for student, notebooks in outcomes.items():
        totals[student] = sum(o.score for o in notebooks)
        max_total = max(max_total, sum(o.max_score for o in notebooks))
        for o in notebooks:
            for c in o.checks:
                if not c.passed:
                    failures[(o.step.name, c.check)] += 1
                    causes[c.cause] += 1
                    names = who.setdefault(c.cause, [])
                    if student not in names:
                        names.append(student)
    return ClassStats(totals, max_total, failures, causes, who)


def _short(label: str, width: int = 55) -> str:
    return label if len(label) <= width else label[:width - 1] + "…"


def _grade_table(course: Course, outcomes: dict[str, list[NotebookOutcome]]) -> str:
    rows = []
    for student in sorted(outcomes):
        notebooks = {o.step.name: o for o in outcomes[student]}
        cells = [html.points(notebooks[s].score, notebooks[s].max_score) if s in notebooks else "-" for s in course.steps]
        total = sum(o.score for o in notebooks.values())
        most = sum(o.max_score for o in notebooks.values())
        link = f'<a href="../../feedback/{student}/{course.name}/resume.html">{html.text(student)}</a>'
        rows.append([link, *cells, f"<strong>{html.points(total, most)}</strong>"])
    return html.table(["student", *course.steps, "total"], rows)


def summary_page(course: Course, outcomes: dict[str, list[NotebookOutcome]]) -> str:
    english = course.describe_cause
    stats = class_stats(outcomes)
    totals = list(stats.totals.values())
    mean = sum(totals) / len(totals) if totals else 0.0
    full = sum(1 for t in totals if t >= stats.max_total)
    failing = stats.failures.most_common()
    causes = sorted(stats.causes, key=lambda code: (-len(stats.students_by_cause[code]), -stats.causes[code]))
    cause_rows = [[html.text(english(code)), f"<code>{code or '-'}</code>",
                   str(len(stats.students_by_cause[code])), str(stats.causes[code]),
                   html.text(", ".join(stats.students_by_cause[code]))] for code in causes]
    body = (f"<h1>Class summary — {course.name}</h1>"
            f'<p class="total">{len(totals)} students graded; mean {mean:.1f} / {stats.max_total:g}; '
            f"{full} with full marks.</p>"
            "<h2>Score distribution</h2>"
            + html.image(histogram_figure(totals, stats.max_total), "histogram of total scores")
            + "<h2>Checks that fail most</h2>"
            + (html.image(bar_figure([f"{s}: {c}" for (s, c), _ in failing], [n for _, n in failing],
                                     "students failing the check"), "failed checks") if failing else "<p>None.</p>")
            + html.table(["step", "check", "students failing"],
                         [[s, f"<code>{c}</code>", str(n)] for (s, c), n in failing])
            + "<h2>Most common mistakes</h2>"
              '<p class="note">The cause named in the feedback of each failed check, counted once per '
              "student (a mistake can make several checks fail: see the last columns).</p>"
            + (html.image(bar_figure([_short(english(code)) for code in causes],
                                     [len(stats.students_by_cause[code]) for code in causes],
                                     "students with this mistake"), "most common mistakes") if causes else "")
            + html.table(["mistake", "code", "students", "failed checks", "who"], cause_rows)
            + "<h2>Grades</h2>" + _grade_table(course, outcomes))
    return html.page(f"Class summary — {course.name}", body, lang="en")


def write_summary(course_dir: Path, assignment: str, outcomes: dict[str, list[NotebookOutcome]]) -> Path:
    path = Path(course_dir) / "reports" / assignment / "summary.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(summary_page(load(assignment), outcomes), encoding="utf-8")
    return path
