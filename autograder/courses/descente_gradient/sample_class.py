"""A sample class, written from source/ and release/: the right answer, correct variants,
each mistake of COURSE.md, and an untouched release.

Each student is a list of edits of the release notebooks: a solution cell filled with the
instructor's solution, then, for a mistake, one piece of it replaced. `EXPECTED_FAILURES`
says which checks each student must fail, and is what the tests hold the graders to.
"""
from __future__ import annotations

from pathlib import Path

from autograder import sample_classes
from autograder.sample_classes import Edit, Student

from .course import ASSIGNMENT, STEPS


def _e(step, cell, old, new):
    return Edit(step, cell, old, new)


STUDENTS = [
    Student("alice_juste"),
    Student("bruno_variantes", edits=(
        _e("etape1", "gradient", "return np.mean(2 * x * (y_predit - y))", "return np.dot(2*x, y_predit-y) / len(x)"),
        _e("etape1", "regret", "return ((y_predit - y)**2).mean()", "return np.mean(np.square(y - y_predit))"),
        _e("etape2", "entrainement", "    w.grad.zero_()", "    w.grad = None"),
        _e("etape3", "entrainement", "    y_pred = avant(X)",
           "    optimizer.zero_grad()\n    y_pred = avant(X)"),
        _e("etape4", "regression_lineaire", "        self.lin = nn.Linear(input_dim, output_dim)\n\n"
           "    def forward(self, x):\n        return self.lin(x)",
           "        self.couche = nn.Linear(input_dim, output_dim)\n\n    def forward(self, x):\n"
           "        return self.couche(x)\n\n    avant = forward"),
    )),
    Student("chloe_gradient_somme", edits=(
        _e("etape1", "gradient", "return np.mean(2 * x * (y_predit - y))", "return np.dot(2*x, y_predit-y).mean()"),
    ), fails={"etape1": {"test_gradient", "test_entrainement"}}),
    Student("david_sans_zero_grad", edits=(
        _e("etape2", "entrainement", "    w.grad.zero_()", "    pass"),
        _e("etape3", "entrainement", "    optimizer.zero_grad()", "    pass"),
    ), fails={"etape2": {"test_entrainement"}, "etape3": {"test_entrainement"}}),
    Student("emma_hors_no_grad", edits=(
        _e("etape2", "entrainement", "    with torch.no_grad():\n        w -= learning_rate * w.grad",
           "    w -= learning_rate * w.grad"),
    ), fails={"etape2": {"test_entrainement"}}),
    Student("farid_w_reaffecte", edits=(
        _e("etape2", "entrainement", "        w -= learning_rate * w.grad", "        w = w - learning_rate * w.grad"),
    ), fails={"etape2": {"test_entrainement"}}),
    Student("gabriel_formes", edits=(
        _e("etape4", "entrainement", "L = regret(y_pred, Y_train)", "L = regret(y_pred, Y_train.view(-1))"),
    ), fails={"etape4": {"test_entrainement"}}),
    Student("hugo_avant", edits=(
        _e("etape4", "regression_lineaire", "def forward(self, x):", "def avant(self, x):"),
    ), fails={"etape4": {"test_regression_lineaire"}}),
    Student("ines_a_la_main", edits=(
        _e("etape1", "entrainement", "    w -= learning_rate * dw", "    w = 2.0"),
    ), fails={"etape1": {"test_entrainement"}}),
    Student("karim_entiers", edits=(
        _e("etape4", "entrainement", "model(X_test)", "model(torch.tensor([5]))"),
    ), fails={"etape4": {"test_entrainement"}}),
    Student("lea_regret_somme", edits=(
        _e("etape1", "regret", "return ((y_predit - y)**2).mean()", "return ((y_predit - y)**2).sum()"),
        _e("etape2", "regret", "return ((y_predit - y)**2).mean()", "return ((y_predit - y)**2).sum()"),
    ), fails={"etape1": {"test_regret", "test_entrainement"}, "etape2": {"test_regret", "test_entrainement"}}),
    Student("marc_hyperparametres", edits=(
        _e("etape3", "entrainement", "optimizer = torch.optim.SGD([w], lr=learning_rate)",
           "learning_rate = 0.02\noptimizer = torch.optim.SGD([w], lr=learning_rate)"),
    ), fails={"etape3": {"test_entrainement"}}),
    Student("nina_non_rendu", untouched=True,
            fails={name: set(step.checks) for name, step in STEPS.items()}),
]

EXPECTED_CAUSES = {
    ("chloe_gradient_somme", "etape1", "test_gradient"): "gradient_sum",
    ("david_sans_zero_grad", "etape2", "test_entrainement"): "grad_not_zeroed",
    ("david_sans_zero_grad", "etape3", "test_entrainement"): "grad_not_zeroed",
    ("emma_hors_no_grad", "etape2", "test_entrainement"): "update_outside_no_grad",
    ("farid_w_reaffecte", "etape2", "test_entrainement"): "w_rebound",
    ("gabriel_formes", "etape4", "test_entrainement"): "broadcast",
    ("hugo_avant", "etape4", "test_regression_lineaire"): "avant_instead_of_forward",
    ("ines_a_la_main", "etape1", "test_entrainement"): "hand_typed",
    ("karim_entiers", "etape4", "test_entrainement"): "integer_tensor",
    ("lea_regret_somme", "etape1", "test_regret"): "loss_sum",
    ("lea_regret_somme", "etape2", "test_regret"): "loss_sum",
    ("marc_hyperparametres", "etape3", "test_entrainement"): "hyper_changed",
    ("nina_non_rendu", "etape1", "test_gradient"): "not_done",
}


def solutions(root: Path, step_name: str) -> dict[str, str]:
    """The instructor's solution cells of a step, without the BEGIN/END SOLUTION lines."""
    return sample_classes.solutions(root / "source" / ASSIGNMENT / STEPS[step_name].filename)


def submission(root: Path, student: Student, step_name: str) -> dict:
    """The notebook `student` hands in for `step_name`: the release, filled in and edited."""
    filename = STEPS[step_name].filename
    return sample_classes.submission(root / "release" / ASSIGNMENT / filename, root / "source" / ASSIGNMENT / filename,
                                     student, step_name)


def write_class(root: Path, course_dir: Path, students=None) -> list[str]:
    """Write submitted/<student>/descente_gradient/*.ipynb under course_dir; returns the ids."""
    return sample_classes.write_submissions(course_dir, ASSIGNMENT, STUDENTS if students is None else students,
                                            STEPS.values(), lambda student, name: submission(root, student, name))


def expected_scores(points: dict[tuple[str, str], float]) -> dict[str, dict[tuple[str, str], float]]:
    """Each student's expected score per (step, check), from the points of each test cell."""
    return sample_classes.expected_scores(STUDENTS, points)
