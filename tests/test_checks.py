"""The hidden checks on correct variants and on each mistake of COURSE.md, written as edits of
the instructor's solution (the same mechanism as the sample class). The observer runs here,
in-process: these tests are about what the checks decide and say, not about isolation."""
from __future__ import annotations

import pytest

from autograder.courses.descente_gradient.checks import run_check
from autograder.courses.descente_gradient.course import STEPS
from autograder.courses.descente_gradient.draws import draw
from autograder.nbgrader_cli import ROOT
from autograder.observe import cells_from_notebook, observe
from autograder.courses.descente_gradient.sample_class import EXPECTED_CAUSES, STUDENTS, Edit, Student, submission


def grade(student: Student, step: str, seed: int | None = None) -> dict[str, str | None]:
    tirage = draw(step, seed)
    observation = observe(step, cells_from_notebook(submission(ROOT, student, step)), tirage)
    return {check: run_check(step, check, tirage, observation) for check in STEPS[step].checks}


def variant(step, cell, old, new) -> Student:
    return Student(f"{step}-{cell}", edits=(Edit(step, cell, old, new),))


CORRECT_VARIANTS = [
    ("etape1", "gradient", "return np.mean(2 * x * (y_predit - y))", "return 2*np.mean(x*(y_predit-y))"),
    ("etape1", "gradient", "return np.mean(2 * x * (y_predit - y))", "return np.dot(2*x, y_predit-y)/len(x)"),
    ("etape1", "gradient", "return np.mean(2 * x * (y_predit - y))", "return (2*x*(y_predit-y)).sum() / x.size"),
    ("etape1", "regret", "return ((y_predit - y)**2).mean()", "return np.mean((y - y_predit)**2)"),
    ("etape1", "entrainement", "    w -= learning_rate * dw", "    w = w - learning_rate * dw"),
    ("etape1", "entrainement", "    y_pred = avant(X)", "    y_pred = w * X"),
    ("etape2", "entrainement", "    w.grad.zero_()", "    w.grad = None"),
    ("etape2", "entrainement", "    with torch.no_grad():\n        w -= learning_rate * w.grad",
     "    w.data -= learning_rate * w.grad"),
    ("etape2", "entrainement", "        w -= learning_rate * w.grad", "        w.sub_(learning_rate * w.grad)"),
    ("etape2", "entrainement", "    # Prédiction = lecture avant\n    y_pred = avant(X)",
     "    if w.grad is not None:\n        w.grad.zero_()\n    y_pred = avant(X)"),
    ("etape2", "regret", "return ((y_predit - y)**2).mean()", "return torch.mean((y_predit - y)**2)"),
    ("etape2", "regret", "return ((y_predit - y)**2).mean()", "return nn.functional.mse_loss(y_predit, y)"),
    ("etape3", "entrainement", "    optimizer.zero_grad()", "    optimizer.zero_grad(set_to_none=True)"),
    ("etape3", "entrainement", "regret = nn.MSELoss()", "regret = nn.MSELoss(reduction='mean')"),
    ("etape3", "entrainement", "torch.optim.SGD([w], lr=learning_rate)", "torch.optim.SGD(params=[w], lr=learning_rate)"),
    ("etape3", "entrainement", "L = regret(y_pred, Y)", "L = regret(Y, y_pred)"),
    ("etape4", "modele", "nn.Linear(input_size, output_size)", "nn.Linear(in_features=input_size, out_features=output_size)"),
    ("etape4", "entrainement", "    y_pred = model(X_train)\n", "    optimizer.zero_grad()\n    y_pred = model(X_train)\n"),
    ("etape4", "regression_lineaire", "super().__init__()", "super(LinearRegression, self).__init__()"),
    ("etape4", "regression_lineaire",
     "self.lin = nn.Linear(input_dim, output_dim)\n\n    def forward(self, x):\n        return self.lin(x)",
     "self.reseau = nn.Sequential(nn.Linear(input_dim, output_dim))\n\n    def forward(self, x):\n"
     "        return self.reseau(x)"),
    ("etape4", "regression_lineaire", "return self.lin(x)", "return self.lin(x)\n\n    avant = forward"),
]


@pytest.mark.parametrize("step,cell,old,new", CORRECT_VARIANTS, ids=lambda v: str(v)[:40])
def test_a_correct_variant_passes_every_check(step, cell, old, new):
    assert grade(variant(step, cell, old, new), step) == {c: None for c in STEPS[step].checks}


MISTAKES = [
    # (step, cell, old, new, failing check, cause code)
    ("etape1", "gradient", "np.mean(2 * x * (y_predit - y))", "np.mean(2 * x * (y - y_predit))", "test_gradient", "gradient_sign"),
    ("etape1", "gradient", "np.mean(2 * x * (y_predit - y))", "np.mean(x * (y_predit - y))", "test_gradient", "gradient_no_factor_2"),
    ("etape1", "gradient", "np.mean(2 * x * (y_predit - y))", "np.dot(2*x, y_predit-y).mean()", "test_gradient", "gradient_sum"),
    ("etape1", "regret", "((y_predit - y)**2).mean()", "((y_predit - y)**2).sum()", "test_regret", "loss_sum"),
    ("etape1", "entrainement", "for i in range(n_iters):", "for i in range(71):", "test_entrainement", "hyper_changed"),
    ("etape1", "entrainement", "    w -= learning_rate * dw", "    w -= 0.01 * dw", "test_entrainement", "hyper_changed"),
    ("etape2", "entrainement", "    w.grad.zero_()", "    pass", "test_entrainement", "grad_not_zeroed"),
    ("etape2", "entrainement", "    with torch.no_grad():\n        w -= learning_rate * w.grad",
     "    w -= learning_rate * w.grad", "test_entrainement", "update_outside_no_grad"),
    ("etape2", "entrainement", "        w -= learning_rate * w.grad", "        w = w - learning_rate * w.grad",
     "test_entrainement", "w_rebound"),
    ("etape2", "entrainement", "    w.grad.zero_()\n",
     "    w.grad.zero_()\nw = torch.tensor(2.0, requires_grad=True)\nL = torch.tensor(0.0)\nif False:\n",
     "test_entrainement", "hand_typed"),
    ("etape3", "entrainement", "    optimizer.zero_grad()", "    pass", "test_entrainement", "grad_not_zeroed"),
    ("etape3", "entrainement", "lr=learning_rate", "lr=0.05", "test_entrainement", "optimizer"),
    ("etape4", "entrainement", "L = regret(y_pred, Y_train)", "L = regret(y_pred, Y_train.view(-1))", "test_entrainement", "broadcast"),
    ("etape4", "entrainement", "    optimizer.zero_grad()", "    pass", "test_entrainement", "grad_not_zeroed"),
    ("etape4", "entrainement", "model(X_test)", "model(torch.tensor([5]))", "test_entrainement", "integer_tensor"),
    ("etape4", "regression_lineaire", "def forward(self, x):", "def avant(self, x):", "test_regression_lineaire",
     "avant_instead_of_forward"),
]


@pytest.mark.parametrize("step,cell,old,new,check,cause", MISTAKES, ids=lambda v: str(v)[:30])
def test_a_mistake_fails_its_check_and_names_its_cause(step, cell, old, new, check, cause):
    results = grade(variant(step, cell, old, new), step)
    assert results[check] is not None, f"{check} passed"
    assert getattr(results[check], "code", None) == cause, str(results[check])
    assert results[check].en and str(results[check]) != results[check].en  # French for the student, English beside


@pytest.mark.parametrize("student", STUDENTS, ids=lambda s: s.id)
def test_sample_class_fails_exactly_the_expected_checks_with_the_expected_causes(student):
    for step in STEPS:
        results = grade(student, step)
        assert {c for c, m in results.items() if m is not None} == student.fails.get(step, set()), step
        for check, message in results.items():
            cause = EXPECTED_CAUSES.get((student.id, step, check))
            if cause:
                assert message.code == cause, message


def test_typed_in_numbers_never_pass_whatever_the_draw():
    typed = variant("etape1", "entrainement", "    w -= learning_rate * dw", "    w = 1.9999999")
    for seed in range(5):
        assert grade(typed, "etape1", seed)["test_entrainement"] is not None
