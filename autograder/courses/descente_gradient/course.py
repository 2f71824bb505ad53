"""The lesson's contract (../shared/COURSE.md) as data: steps, notebooks, locked data cells.

The names below are where a notebook, a cell's `grade_id` and a check meet. The data itself (the
values in the locked cells) is read from the notebooks in source/descente_gradient/.
"""
from __future__ import annotations

from autograder.course import Step

ASSIGNMENT = "descente_gradient"

# What the sandbox's warm parent runs once, before forking a child per notebook: the imports of the
# notebooks, and one optimizer step (torch's first one loads torch._dynamo, about 2 s).
WARM_UP = (
    "import numpy as np\nimport torch\nimport torch.nn as nn\nimport matplotlib.pyplot as plt",
    "model = nn.Linear(1, 1)\noptimizer = torch.optim.SGD(model.parameters(), lr=0.01)\n"
    "x = torch.tensor([[1.0], [2.0]])\nL = nn.MSELoss()(model(x), 2 * x)\nL.backward()\n"
    "optimizer.step()\noptimizer.zero_grad()",
    "w = torch.tensor(0.0, requires_grad=True)\n((w * x - x) ** 2).mean().backward()\n"
    "with torch.no_grad():\n    w -= 0.1 * w.grad\nw.grad.zero_()\nprint(f'{w.item():.3f}')\nw",
    # The plot every notebook draws (`dessine_l_apprentissage` in its tools cell: a log scale, a title,
    # labels, a legend, saved as PNG), drawn once: matplotlib's fonts, text layout and PNG encoder are
    # then loaded before the fork, as torch is.
    "import io\nfrom matplotlib.ticker import LogFormatter\nfrom IPython.display import Image, display\n"
    "figure, axe = plt.subplots(figsize=(7, 3.6))\nfigure.subplots_adjust(bottom=0.15)\n"
    "for n, q in ((71, 0.72), (1001, 0.99)):\n"
    "    for style in (dict(lw=4, alpha=0.5), dict(color='black', ls='--')):\n"
    "        axe.plot(range(1, n + 1), [30 * q ** i for i in range(n)], **style, label=f'apprentissage (w final : {q:.5g})')\n"
    "axe.set(title='Le regret L à chaque itération', xlabel='itération', ylabel='L (échelle logarithmique)',\n"
    "        yscale='log')\n"
    "axe.yaxis.set_major_formatter(LogFormatter())\naxe.minorticks_off()\naxe.legend(loc='upper right')\n"
    "image = io.BytesIO()\nfigure.savefig(image, format='png')\nplt.close(figure)\n"
    "display(Image(image.getvalue()))",
)


# Locked cells that only serve the visible tests and the plot of the student's run (skipped on drawn data):
# the helpers of the tools cell (which binds nothing but them), the copy of the course's data, the plot.
_DISPLAY = ("outils", "donnees_du_cours", "graphique_entrainement")
_HYPER = "learning_rate = {learning_rate}\nn_iters = {n_iters}"

_NUMPY_DATA = "X = np.array({X}, dtype=np.float32)\nY = np.array({Y}, dtype=np.float32)"
_TORCH_DATA = "X = torch.tensor({X}, dtype=torch.float32)\nY = torch.tensor({Y}, dtype=torch.float32)"
_TORCH_W = "w = torch.tensor({w}, dtype=torch.float32, requires_grad=True)"

ETAPE1 = Step(
    assignment=ASSIGNMENT,
    name="etape1",
    notebook="etape1_numpy",
    data_cells={"donnees": _NUMPY_DATA, "poids_initial": "w = {w}", "hyperparametres": _HYPER},
    checks=("test_avant", "test_regret", "test_gradient", "test_entrainement"),
    solution_cells=("avant", "regret", "gradient", "entrainement"),
    display_cells=_DISPLAY,
    mistakes=("gradient_sum", "gradient_sign", "gradient_no_factor_2", "loss_sum_reported"),
)
ETAPE2 = Step(
    assignment=ASSIGNMENT,
    name="etape2",
    notebook="etape2_autograd",
    data_cells={"donnees": _TORCH_DATA, "poids_initial": _TORCH_W, "hyperparametres": _HYPER},
    checks=("test_avant", "test_regret", "test_entrainement"),
    solution_cells=("avant", "regret", "entrainement"),
    display_cells=_DISPLAY,
    mistakes=("grad_not_zeroed", "loss_sum", "gradient_sign"),
)
ETAPE3 = Step(
    assignment=ASSIGNMENT,
    name="etape3",
    notebook="etape3_perte_optimiseur",
    data_cells={"donnees": _TORCH_DATA, "poids_initial": _TORCH_W, "hyperparametres": _HYPER},
    checks=("test_avant", "test_entrainement"),
    solution_cells=("avant", "entrainement"),
    display_cells=_DISPLAY,
    mistakes=("grad_not_zeroed", "loss_sum", "gradient_sign"),
)
ETAPE4 = Step(
    assignment=ASSIGNMENT,
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
    checks=("test_modele", "test_entrainement", "test_regression_lineaire"),
    solution_cells=("modele", "entrainement", "regression_lineaire"),
    display_cells=_DISPLAY,
    mistakes=("broadcast", "grad_not_zeroed", "loss_sum"),
)

STEPS = {s.name: s for s in (ETAPE1, ETAPE2, ETAPE3, ETAPE4)}
BY_NOTEBOOK = {s.notebook: s for s in STEPS.values()}


def step_of(notebook_name: str) -> Step:
    """The step of one of this lesson's notebook files (for the lesson's own tools and tests)."""
    return BY_NOTEBOOK[notebook_name.rsplit("/", 1)[-1].removesuffix(".ipynb")]
