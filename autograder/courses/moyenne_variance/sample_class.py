"""A small sample class for `moyenne_variance`: the right answer, a correct variant, each known
mistake the tests hold the graders to, results typed in by hand, and an untouched release.

Each student is the release notebooks with their solution cells filled with the instructor's
solution (from source/), then, for a mistake, one piece of it replaced.
"""
from __future__ import annotations

from pathlib import Path

from autograder import sample_classes
from autograder.sample_classes import Edit, Student

from .course import ASSIGNMENT, STEPS

STUDENTS = [
    Student("anna_juste"),
    Student("basile_variantes", edits=(
        Edit("etape1", "moyenne", "return x.sum() / len(x)", "return np.mean(x)"),
        Edit("etape1", "variance", "return ((x - moyenne(x)) ** 2).sum() / len(x)",
             "m = moyenne(x)\n    return np.mean((x - m) ** 2)"),
        Edit("etape2", "normaliser", "return (x - x.mean()) / x.std(correction=0)",
             "centre = x - x.mean()\n    return centre / torch.sqrt((centre ** 2).mean())"),
    )),
    Student("camille_n_moins_1", edits=(
        Edit("etape1", "variance", "return ((x - moyenne(x)) ** 2).sum() / len(x)", "return np.var(x, ddof=1)"),
        Edit("etape2", "normaliser", "x.std(correction=0)", "x.std()"),
    ), fails={"etape1": {"test_variance", "test_resultats"}, "etape2": {"test_normaliser", "test_resultat"}},
        causes={("etape1", "test_variance"): "variance_n_moins_1", ("etape1", "test_resultats"): "variance_n_moins_1",
                ("etape2", "test_normaliser"): "ecart_type_corrige", ("etape2", "test_resultat"): "ecart_type_corrige"}),
    Student("dylan_a_la_main", edits=(
        Edit("etape1", "resultats", "m = moyenne(x)\nv = variance(x)", "m = 5.0\nv = 4.0"),
        Edit("etape2", "resultat", "z = normaliser(x)",
             "z = torch.tensor([-1.5, -0.5, -0.5, -0.5, 0.0, 0.0, 1.0, 2.0])"),
    ), fails={"etape1": {"test_resultats"}, "etape2": {"test_resultat"}},
        causes={("etape1", "test_resultats"): "hand_typed", ("etape2", "test_resultat"): "hand_typed"}),
    Student("eva_non_rendu", untouched=True,
            fails={"etape1": {"test_moyenne", "test_variance", "test_resultats"},
                   "etape2": {"test_normaliser", "test_resultat"}},
            causes={("etape1", "test_moyenne"): "not_done", ("etape2", "test_normaliser"): "not_done"}),
]


def _step(name: str):
    return next(s for s in STEPS if s.name == name)


def solutions(root: Path, step_name: str) -> dict[str, str]:
    """The instructor's solution cells of a step, without the BEGIN/END SOLUTION lines."""
    return sample_classes.solutions(root / "source" / ASSIGNMENT / _step(step_name).filename)


def submission(root: Path, release: Path, student: Student, step_name: str) -> dict:
    """The notebook `student` hands in for `step_name`: the release, filled in and edited."""
    filename = _step(step_name).filename
    return sample_classes.submission(release / filename, root / "source" / ASSIGNMENT / filename, student, step_name)


def write_class(root: Path, course_dir: Path, students=None) -> list[str]:
    """Write submitted/<student>/moyenne_variance/*.ipynb under course_dir, from root's source/ and
    the release of course_dir (made by `nbgrader generate_assignment`), else root's; the ids."""
    root, course_dir = Path(root), Path(course_dir)
    release = course_dir / "release" / ASSIGNMENT
    release = release if release.is_dir() else root / "release" / ASSIGNMENT
    return sample_classes.write_submissions(course_dir, ASSIGNMENT, STUDENTS if students is None else students,
                                            STEPS, lambda student, name: submission(root, release, student, name))


def expected_scores(points: dict[tuple[str, str], float]) -> dict[str, dict[tuple[str, str], float]]:
    """Each student's expected score per (step, check), from the points of each test cell."""
    return sample_classes.expected_scores(STUDENTS, points)
