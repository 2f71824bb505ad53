"""The instructor's summary after a kit autograde, in English: the grade table read back from
the gradebook (autograder.reports.table), then why each failing check failed."""
from __future__ import annotations

from ..course import load
from ..nbgrader_settings import gradebook_url
from ..reports.table import format_table, read_scores
from ..text import printable
from .autograde import ClassReport


def summary(course_dir, assignment: str, report: ClassReport) -> str:
    scores = read_scores(gradebook_url(course_dir), assignment)
    graded_students = {g.student for g in report.graded} | {s.student for s in report.skipped}
    lines = [format_table({printable(k, 200): v for k, v in scores.items() if k in graded_students}, load(assignment))]
    reasons = []
    for g in sorted(report.graded, key=lambda g: (g.student, g.notebook)):
        if g.problem:
            reasons.append(f"  {printable(g.student)} / {g.notebook}: {printable(g.problem)}")
            continue
        for d in g.decisions:
            if not d.passed:
                reasons.append(f"  {printable(g.student)} / {g.notebook} / {printable(d.grade_id)}: {printable(d.english)}")
    for s in sorted(report.skipped, key=lambda s: (s.student, s.notebook)):
        reasons.append(f"  {printable(s.student)} / {printable(s.notebook)}: {printable(s.reason)}")
    if reasons:
        lines += ["", "Failing checks (the students' feedback has the French explanation):", *reasons]
    if not report.isolated:
        lines += ["", "WARNING: bubblewrap was not available; student code ran without sandbox isolation."]
    timing = ", ".join(f"{k} {v:.1f} s" for k, v in report.seconds.items())
    wall = sum(g.seconds for g in report.graded)
    cpu = sum(g.cpu_seconds for g in report.graded)
    lines += ["", f"Graded {len(report.graded)} notebooks ({timing}; the sandboxed children ran {wall:.1f} s, "
                  f"{cpu:.1f} s of CPU)."]
    return "\n".join(lines)
