"""The course contract (../shared/COURSE.md) as data: steps, notebooks, locked data cells.

Every grading path reads the notebooks through this module, so the names below are the
single place where a notebook, a cell's `grade_id` and a check meet.
"""
from __future__ import annotations

from dataclasses import dataclass

ASSIGNMENT = "descente_gradient"


def render(value) -> str:
    """Write a number or a (nested) list as the seed writes it: `2` rather than `2.0` in lists."""
    if isinstance(value, list):
        return "[" + ", ".join(render(v) for v in value) + "]"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e6:
        return str(int(value))
    return repr(value)


@dataclass(frozen=True)
class Step:
    name: str
    notebook: str
    data_cells: dict[str, str]
    canonical: dict
    checks: tuple[str, ...]
    solution_cells: tuple[str, ...]
    mistakes: tuple[str, ...] = ()     # the known wrong loops (reference variants) the training check can name
    display_cells: tuple[str, ...] = ("graphique_entrainement",)   # locked cells that only show the student's run

    @property
    def filename(self) -> str:
        return self.notebook + ".ipynb"

    def data_source(self, grade_id: str, scenario: dict) -> str:
        """The source of a locked data cell, filled in with a scenario's values."""
        fmt = {k: render(v) if k != "w" else repr(float(v)) for k, v in scenario.items()}
        return self.data_cells[grade_id].format(**fmt)


_HYPER = "learning_rate = {learning_rate}\nn_iters = {n_iters}"

_NUMPY_DATA = "X = np.array({X}, dtype=np.float32)\nY = np.array({Y}, dtype=np.float32)"
_TORCH_DATA = "X = torch.tensor({X}, dtype=torch.float32)\nY = torch.tensor({Y}, dtype=torch.float32)"
_TORCH_W = "w = torch.tensor({w}, dtype=torch.float32, requires_grad=True)"

_LINE = dict(X=[1.0, 2.0, 3.0, 4.0], Y=[2.0, 4.0, 6.0, 8.0], w=0.0, learning_rate=0.01, n_iters=71)

ETAPE1 = Step(
    name="etape1",
    notebook="etape1_numpy",
    data_cells={"donnees": _NUMPY_DATA, "poids_initial": "w = {w}", "hyperparametres": _HYPER},
    canonical=dict(_LINE),
    checks=("test_avant", "test_regret", "test_gradient", "test_entrainement"),
    solution_cells=("avant", "regret", "gradient", "entrainement"),
    mistakes=("gradient_sum", "gradient_sign", "gradient_no_factor_2", "loss_sum_reported"),
)
ETAPE2 = Step(
    name="etape2",
    notebook="etape2_autograd",
    data_cells={"donnees": _TORCH_DATA, "poids_initial": _TORCH_W, "hyperparametres": _HYPER},
    canonical=dict(_LINE),
    checks=("test_avant", "test_regret", "test_entrainement"),
    solution_cells=("avant", "regret", "entrainement"),
    mistakes=("grad_not_zeroed", "loss_sum", "gradient_sign"),
)
ETAPE3 = Step(
    name="etape3",
    notebook="etape3_perte_optimiseur",
    data_cells={"donnees": _TORCH_DATA, "poids_initial": _TORCH_W, "hyperparametres": _HYPER},
    canonical=dict(_LINE),
    checks=("test_avant", "test_entrainement"),
    solution_cells=("avant", "entrainement"),
    mistakes=("grad_not_zeroed", "loss_sum", "gradient_sign"),
)
ETAPE4 = Step(
    name="etape4",
    notebook="etape4_modele",
    data_cells={
        "donnees": (
            "X_train = torch.tensor({X_train}, dtype=torch.float32)\n"
            "Y_train = torch.tensor({Y_train}, dtype=torch.float32)\n"
            "\n"
            "X_test = torch.tensor({X_test}, dtype=torch.float32)\n"
            "\n"
            "n_samples, n_features = X_train.shape\n"
            "input_size = n_features\n"
            "output_size = n_features"
        ),
        "graine": "torch.manual_seed({seed})",
        "hyperparametres": _HYPER,
    },
    canonical=dict(
        X_train=[[1.0], [2.0], [3.0], [4.0]],
        Y_train=[[2.0], [4.0], [6.0], [8.0]],
        X_test=[5.0],
        seed=0,
        learning_rate=0.01,
        n_iters=1001,
    ),
    checks=("test_modele", "test_entrainement", "test_regression_lineaire"),
    solution_cells=("modele", "entrainement", "regression_lineaire"),
    mistakes=("broadcast", "grad_not_zeroed"),
)

STEPS = {s.name: s for s in (ETAPE1, ETAPE2, ETAPE3, ETAPE4)}
BY_NOTEBOOK = {s.notebook: s for s in STEPS.values()}


def step_of(notebook_name: str) -> Step:
    """The step a notebook file belongs to, from its name (with or without `.ipynb`)."""
    stem = notebook_name.rsplit("/", 1)[-1].removesuffix(".ipynb")
    if stem in BY_NOTEBOOK:
        return BY_NOTEBOOK[stem]
    for step in STEPS.values():
        if stem.startswith(step.name):
            return step
    raise KeyError(f"{notebook_name!r} is not one of the notebooks of {ASSIGNMENT}: "
                   + ", ".join(s.filename for s in STEPS.values()))
