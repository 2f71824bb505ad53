"""A corpus of realistic student submissions of the four notebooks of `descente_gradient`.

Each variant is one notebook as a student hands it in: the release notebook of its step, every
solution cell filled with the instructor's solution (`autograder.sample_class.solutions`), then a
few edits written the way students write this lesson's code (whole cells rewritten without the
scaffold, magics, plots, extra cells, other loop styles), or one of the mistakes of COURSE.md.
`fails` says, for every check that must lose its points, the cause code its feedback must name;
a check that is not listed must get its full points.

Edits, applied in order to the filled-in release notebook:
- `Rewrite(grade_id, source)`: the cell becomes exactly `source` (the scaffold lines are gone).
- `Replace(grade_id, old, new)`: every occurrence of `old` in that cell becomes `new`; `old` must occur.
- `Insert(after, source, cell_type)`: a new cell without nbgrader metadata, right after the cell whose
  grade_id is `after` (after the cells that earlier Inserts put there), or first in the notebook when
  `after` is "".

    from tests.corpus.variants import VARIANTS, notebook, write_corpus_class

`tests/corpus/check_variants.py` runs every variant in a Jupyter kernel and checks that it
behaves as declared here.
"""
from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from autograder.courses.descente_gradient.course import ASSIGNMENT, STEPS
from autograder.courses.descente_gradient.sample_class import solutions


@dataclass(frozen=True)
class Rewrite:      # the student rewrote the whole cell: it becomes exactly `source` (scaffold lines gone)
    grade_id: str
    source: str


@dataclass(frozen=True)
class Replace:      # substring replace in that cell (after it was filled with the instructor's solution); must match
    grade_id: str
    old: str
    new: str


@dataclass(frozen=True)
class Insert:       # a new cell with no nbgrader metadata, placed right after the cell whose grade_id is `after`
    after: str
    source: str
    cell_type: str = "code"   # or "markdown"


@dataclass(frozen=True)
class Variant:
    id: str                          # unique slug, e.g. "e1_time_magic"
    step: str                        # "etape1" .. "etape4"
    edits: tuple                     # of Rewrite / Replace / Insert, applied in order
    fails: dict = field(default_factory=dict)  # {check name: expected cause code}; checks not listed get full points
    note: str = ""                   # one English line: what the student did

    @property
    def correct(self) -> bool:
        return not self.fails


# --------------------------------------------------------------------------------------------
# The stubs of the release, as a student who did not do the exercise leaves them.

_STUB_AVANT = "# Prédiction de modèle\n\ndef avant(x):\n    # VOTRE CODE ICI\n    raise NotImplementedError()"
_STUB_REGRET = ("# Calcul du regret : Erreur quadratique moyenne de la régression linéaire\n\n"
                "def regret(y, y_predit):\n    # VOTRE CODE ICI\n    raise NotImplementedError()")
_STUB_GRADIENT = ("# Calcul de gradient : EQM = 1/N * (w*x - y)²\n# dL/dw = 1/N * 2x * (w*x - y)\n\n"
                  "def gradient(x, y, y_predit):\n    # VOTRE CODE ICI\n    raise NotImplementedError()")
_STUB_LOOP_1 = """\
print(f'Prédiction avant apprentissage : f(5) = {avant(5):.3f}')

# Apprentissage
historique = []
for i in range(n_iters):
    # VOTRE CODE ICI
    raise NotImplementedError()

    historique.append((float(w), float(L)))
    if i % 7 == 0:
        print(f'{i+1}: w = {w:.3f}, regret = {L:.8f}')

print(f'Prédiction après apprentissage : f(5) = {avant(5):.3f}')"""
_STUB_LOOP_2 = """\
print(f'Prédiction avant apprentissage : f(5) = {avant(5):.3f}')

# Apprentissage
historique = []
for i in range(n_iters):
    # VOTRE CODE ICI
    raise NotImplementedError()

    historique.append((w.item(), L.item()))
    if i % 7 == 0:
        print(f'{i+1}: w = {w:.3f}, regret = {L:.8f}')

print(f'Prédiction après apprentissage : f(5) = {avant(5):.3f}')"""
_STUB_LOOP_3 = "# VOTRE CODE ICI\nraise NotImplementedError()\n\n" + _STUB_LOOP_2
_STUB_CELL = "# VOTRE CODE ICI\nraise NotImplementedError()"
_STUB_LOOP_4 = """\
print(f'Prédiction avant apprentissage : f(5) = {model(X_test).item():.3f}')

# VOTRE CODE ICI
raise NotImplementedError()

# Apprentissage
historique = []
for i in range(n_iters):
    # VOTRE CODE ICI
    raise NotImplementedError()

    [w, b] = model.parameters()
    historique.append((w[0][0].item(), L.item()))
    if i % 100 == 0:
        print(f'{i+1}: w = {w[0][0].item():.3f}, regret = {L.item():.8f}')

print(f'Prédiction après apprentissage : f(5) = {model(X_test).item():.3f}')"""

# The line nbgrader's code stub (nbgrader_config.py) puts in place of each solution.
_RAISE = 'raise NotImplementedError("Cellule à compléter : remplace cette ligne par ton code.")'
_STUB_AVANT, _STUB_REGRET, _STUB_GRADIENT, _STUB_LOOP_1, _STUB_LOOP_2, _STUB_LOOP_3, _STUB_CELL, _STUB_LOOP_4 = (
    stub.replace("raise NotImplementedError()", _RAISE) for stub in (
        _STUB_AVANT, _STUB_REGRET, _STUB_GRADIENT, _STUB_LOOP_1, _STUB_LOOP_2, _STUB_LOOP_3, _STUB_CELL, _STUB_LOOP_4))

STUBS = {  # (step, grade_id) -> the release's text of that solution cell
    ("etape1", "avant"): _STUB_AVANT, ("etape1", "regret"): _STUB_REGRET, ("etape1", "gradient"): _STUB_GRADIENT,
    ("etape1", "entrainement"): _STUB_LOOP_1,
    ("etape2", "avant"): _STUB_AVANT, ("etape2", "regret"): _STUB_REGRET, ("etape2", "entrainement"): _STUB_LOOP_2,
    ("etape3", "avant"): _STUB_AVANT, ("etape3", "entrainement"): _STUB_LOOP_3,
    ("etape4", "modele"): _STUB_CELL, ("etape4", "entrainement"): _STUB_LOOP_4,
    ("etape4", "regression_lineaire"): _STUB_CELL,
}


def _untouched(step: str) -> tuple:
    return tuple(Rewrite(g, STUBS[(step, g)]) for g in STEPS[step].solution_cells)


# Pieces of the instructor's solutions that the edits below replace.
_GRAD = "np.mean(2 * x * (y_predit - y))"
_MSE = "((y_predit - y)**2).mean()"
_FIRST_PRINT = "print(f'Prédiction avant apprentissage"
_LAST_PRINT = "print(f'Prédiction après apprentissage"
_NO_GRAD_UPDATE = "    with torch.no_grad():\n        w -= learning_rate * w.grad"
_ZERO_2 = "    # Vider le gradient\n    w.grad.zero_()\n"
_ZERO_34 = "    # Vider le gradient\n    optimizer.zero_grad()\n"
_LOOP_HEAD = "for i in range(n_iters):"

# A plot that students add after the training cell, with the scaffold's `historique`.
_PLOT_HISTORIQUE = """\
import matplotlib.pyplot as plt

plt.plot([h[1] for h in historique])
plt.yscale("log")
plt.xlabel("itération")
plt.ylabel("regret")
plt.show()"""

# --------------------------------------------------------------------------------------------
# Étape 1 : NumPy, tout à la main.

E1 = "etape1"
ETAPE1 = [
    # ---- correct
    Variant("e1_for_underscore", E1, (Rewrite("entrainement", """\
# Apprentissage
for _ in range(n_iters):
    y_pred = avant(X)
    L = regret(Y, y_pred)
    dw = gradient(X, Y, y_pred)
    w = w - learning_rate * dw

print(f"Après apprentissage : f(5) = {avant(5):.3f}")
"""),), note="training cell rewritten from scratch: `for _ in range`, `w = w - lr*dw`, no historique"),
    Variant("e1_while_counter", E1, (Rewrite("entrainement", """\
it = 0
while it < n_iters:
    pred = avant(X)
    L = regret(Y, pred)
    grad = gradient(X, Y, pred)
    w -= learning_rate * grad
    it += 1
print("w =", w, "regret =", L)
"""),), note="while loop with a counter, local names pred/grad"),
    Variant("e1_epoch_loss_then_L", E1, (Rewrite("entrainement", """\
print(f'f(5) avant : {avant(5):.3f}')
for epoch in range(n_iters):
    y_hat = avant(X)
    loss = regret(Y, y_hat)
    dw = gradient(X, Y, y_hat)
    w -= learning_rate * dw
    if epoch % 10 == 0:
        print(f"epoch {epoch:3d} | w = {w:.4f} | loss = {loss:.6f}")
L = loss
print(f'f(5) après : {avant(5):.3f}')
"""),), note="`epoch` loop with y_hat/loss, then `L = loss` after the loop"),
    Variant("e1_time_cell_magic", E1, (Replace("entrainement", _FIRST_PRINT, "%%time\n" + _FIRST_PRINT),),
            note="%%time at the top of the instructor's training cell"),
    Variant("e1_time_line_magic_function", E1, (Rewrite("entrainement", """\
def entrainer(n):
    global w, L
    for i in range(n):
        y_pred = avant(X)
        L = regret(Y, y_pred)
        w -= learning_rate * gradient(X, Y, y_pred)

%time entrainer(n_iters)
print(f"f(5) = {avant(5):.3f}")
"""),), note="loop inside a function with `global w, L`, called through `%time`"),
    Variant("e1_plot_in_training_cell", E1, (Rewrite("entrainement", """\
import matplotlib.pyplot as plt

pertes = []
poids = []
for i in range(n_iters):
    y_pred = avant(X)
    L = regret(Y, y_pred)
    dw = gradient(X, Y, y_pred)
    w -= learning_rate * dw
    pertes.append(L)
    poids.append(w)

plt.plot(pertes)
plt.yscale("log")
plt.xlabel("itération")
plt.ylabel("regret")
plt.title("Évolution du regret")
plt.show()
print("f(5) =", avant(5))
"""),), note="own lists and a plt.plot + plt.show() inside the training cell"),
    Variant("e1_matplotlib_inline_top", E1, (
        Insert("", "%matplotlib inline"),
        Insert("entrainement", _PLOT_HISTORIQUE),
    ), note="a `%matplotlib inline` cell first, a plotting cell between training and its test"),
    Variant("e1_who_and_shell", E1, (
        Insert("hyperparametres", '%who\n!echo "learning_rate = {learning_rate}"'),
        Insert("entrainement", '!echo "fin de l\'apprentissage"\n%who'),
    ), note="%who and !echo shell escapes in extra cells"),
    Variant("e1_display_and_expression", E1, (
        Insert("entrainement", "display(w)\ndisplay(L)\nw"),
    ), note="extra cell with display(...) (no import) and `w` as last expression"),
    Variant("e1_run_line_magic_markdown", E1, (
        Insert("imports", "get_ipython().run_line_magic('matplotlib', 'inline')\nimport matplotlib.pyplot as plt"),
        Insert("entrainement", "**Mes remarques** : `w` tend vers 2 et le regret vers 0, comme prévu.", "markdown"),
    ), note="get_ipython().run_line_magic(...) cell after the imports, a markdown note after training"),
    Variant("e1_own_function_styles", E1, (
        Rewrite("avant", "def avant(x):\n    return x * w\n"),
        Rewrite("regret", "def regret(y, y_predit):\n    return np.mean((y_predit - y) ** 2)\n"),
        Rewrite("gradient", "def gradient(x, y, y_predit):\n    return (2 * x * (y_predit - y)).mean()\n"),
    ), note="avant/regret/gradient rewritten without the comments, x*w, np.mean, (...).mean()"),
    Variant("e1_fstring_item_prints", E1, (Rewrite("entrainement", """\
for i in range(n_iters):
    y_pred = avant(X)
    L = regret(Y, y_pred)
    dw = gradient(X, Y, y_pred)
    w -= learning_rate * dw
    if (i + 1) % 10 == 0 or i == 0:
        print(f"itération {i+1:2d} : w = {float(w):.5f}, L = {L.item():.3e}, dw = {dw.item():+.4f}")
"""),), note="prints with float(w), .item() and format specs every 10 iterations"),
    Variant("e1_gradient_loop_mean", E1, (Rewrite("gradient", """\
# Calcul de gradient : EQM = 1/N * (w*x - y)²
# dL/dw = 1/N * 2x * (w*x - y)

def gradient(x, y, y_predit):
    total = 0
    for xi, yi, ypi in zip(x, y, y_predit):
        total += 2 * xi * (ypi - yi)
    return total / len(x)
"""),), note="gradient as a Python loop over the samples, divided by len(x)"),

    Variant("e1_historique_of_losses", E1, (Rewrite("entrainement", """\
historique = []
for i in range(n_iters):
    y_pred = avant(X)
    L = regret(Y, y_pred)
    w -= learning_rate * gradient(X, Y, y_pred)
    historique.append(L)
"""),), note="the scaffold's historique kept as a list of losses only (not (w, L) pairs)"),

    # ---- mistakes
    Variant("e1_gradient_dot_mean", E1, (Replace("gradient", _GRAD, "np.dot(2*x, y_predit-y).mean()"),),
            fails={"test_gradient": "gradient_sum", "test_entrainement": "gradient_sum"},
            note="the seed's gradient: np.dot(...).mean() is a sum"),
    Variant("e1_gradient_np_sum", E1, (Replace("gradient", _GRAD, "np.sum(2*x*(y_predit-y))"),),
            fails={"test_gradient": "gradient_sum", "test_entrainement": "gradient_sum"},
            note="gradient as np.sum(...)"),
    Variant("e1_gradient_loop_sum", E1, (Rewrite("gradient", """\
def gradient(x, y, y_predit):
    g = 0
    for i in range(len(x)):
        g = g + 2 * x[i] * (y_predit[i] - y[i])
    return g
"""),), fails={"test_gradient": "gradient_sum", "test_entrainement": "gradient_sum"},
            note="gradient summed in a Python loop, never divided by N"),
    Variant("e1_gradient_sign", E1, (Replace("gradient", _GRAD, "np.mean(2 * x * (y - y_predit))"),),
            fails={"test_gradient": "gradient_sign", "test_entrainement": "gradient_sign"},
            note="gradient with (y - y_predit): wrong sign"),
    Variant("e1_update_plus", E1, (Replace("entrainement", "w -= learning_rate * dw", "w += learning_rate * dw"),),
            fails={"test_entrainement": "gradient_sign"},
            note="right gradient, but the update climbs it: w += lr*dw"),
    Variant("e1_gradient_no_factor_2", E1, (Replace("gradient", _GRAD, "np.mean(x * (y_predit - y))"),),
            fails={"test_gradient": "gradient_no_factor_2", "test_entrainement": "gradient_no_factor_2"},
            note="gradient without the factor 2"),
    Variant("e1_regret_sum", E1, (Replace("regret", _MSE, "((y_predit - y)**2).sum()"),),
            fails={"test_regret": "loss_sum", "test_entrainement": "loss_sum"},
            note="regret as .sum() (the hand-written gradient is right, L is N times too big)"),
    Variant("e1_regret_np_sum", E1, (Rewrite("regret", "def regret(y, y_predit):\n    return np.sum((y - y_predit) ** 2)\n"),),
            fails={"test_regret": "loss_sum", "test_entrainement": "loss_sum"},
            note="regret as np.sum((y - y_predit)**2)"),
    Variant("e1_hand_typed_w", E1, (Replace("entrainement", _LAST_PRINT, "# le modèle doit trouver w = 2\nw = 2.0\n" + _LAST_PRINT),),
            fails={"test_entrainement": "hand_typed"},
            note="`w = 2.0` typed after the loop"),
    Variant("e1_range_71", E1, (Replace("entrainement", _LOOP_HEAD, "for i in range(71):"),),
            fails={"test_entrainement": "hyper_changed"}, note="range(71) hard-coded instead of n_iters"),
    Variant("e1_learning_rate_redefined", E1, (Replace("entrainement", "# Apprentissage\n", "# Apprentissage\nlearning_rate = 0.02\n"),),
            fails={"test_entrainement": "hyper_changed"}, note="learning_rate = 0.02 redefined in the training cell"),
    Variant("e1_gradient_not_done", E1, (Rewrite("gradient", _STUB_GRADIENT),),
            fails={"test_gradient": "not_done", "test_entrainement": "not_done"},
            note="gradient stub left (NotImplementedError), the rest done"),
    Variant("e1_range_from_1", E1, (Replace("entrainement", _LOOP_HEAD, "for i in range(1, n_iters):"),),
            fails={"test_entrainement": "loop_off_by_one"}, note="for i in range(1, n_iters): one update short"),
    Variant("e1_gradient_global_w", E1, (Replace("gradient", _GRAD, "np.mean(2 * x * (w * x - y))"),),
            fails={"test_gradient": "gradient_global_w"},
            note="gradient computed from the global w (w * x) instead of its argument y_predit"),
    Variant("e1_gradient_calls_avant", E1, (Replace("gradient", _GRAD, "np.mean(2 * x * (avant(x) - y))"),),
            fails={"test_gradient": "gradient_global_w"}, note="gradient calls avant(x) instead of using y_predit"),
    Variant("e1_gradient_sum_in_loop", E1, (Replace("entrainement", "dw = gradient(X, Y, y_pred)",
                                                    "dw = np.dot(2 * X, y_pred - Y)"),),
            fails={"test_entrainement": "gradient_sum"},
            note="gradient() right, but the loop computes its own gradient with np.dot (a sum)"),
    Variant("e1_untouched", E1, _untouched(E1),
            fails={c: "not_done" for c in STEPS[E1].checks}, note="release handed in as received"),
]

# --------------------------------------------------------------------------------------------
# Étape 2 : autograd, mise à jour à la main.

E2 = "etape2"
ETAPE2 = [
    # ---- correct
    Variant("e2_for_underscore", E2, (Rewrite("entrainement", """\
for _ in range(n_iters):
    y_pred = avant(X)
    L = regret(Y, y_pred)
    L.backward()
    with torch.no_grad():
        w -= learning_rate * w.grad
    w.grad.zero_()

print(f"f(5) = {avant(5).item():.3f}")
"""),), note="minimal rewritten loop, no historique"),
    Variant("e2_while_w_data", E2, (Rewrite("entrainement", """\
i = 0
while i < n_iters:
    pred = avant(X)
    loss = regret(Y, pred)
    loss.backward()
    w.data -= learning_rate * w.grad.data
    w.grad.data.zero_()
    L = loss
    i += 1
print(w, L)
"""),), note="while loop, update through w.data, loss then L = loss"),
    Variant("e2_epoch_grad_none", E2, (Rewrite("entrainement", """\
for epoch in range(n_iters):
    y_hat = avant(X)
    L = regret(Y, y_hat)
    L.backward()
    with torch.no_grad():
        w -= learning_rate * w.grad
    w.grad = None
    if epoch % 10 == 0:
        print(f"epoch {epoch}: w = {w.item():.3f}, L = {L.item():.5f}")
"""),), note="epoch loop, gradient reset with w.grad = None"),
    Variant("e2_zero_at_start_guarded", E2, (Rewrite("entrainement", """\
print(f'Prédiction avant apprentissage : f(5) = {avant(5):.3f}')
for i in range(n_iters):
    if w.grad is not None:
        w.grad.zero_()
    y_pred = avant(X)
    L = regret(Y, y_pred)
    L.backward()
    with torch.no_grad():
        w -= learning_rate * w.grad
print(f'Prédiction après apprentissage : f(5) = {avant(5):.3f}')
"""),), note="w.grad.zero_() at the start of the loop, guarded by `if w.grad is not None`"),
    Variant("e2_rebind_then_requires_grad", E2, (Rewrite("entrainement", """\
for i in range(n_iters):
    y_pred = avant(X)
    L = regret(Y, y_pred)
    L.backward()
    with torch.no_grad():
        w = w - learning_rate * w.grad
    w.requires_grad_()
print("f(5) =", avant(5).item())
"""),), note="`w = w - lr*w.grad` under no_grad, then w.requires_grad_() (a fresh leaf each time)"),
    Variant("e2_functional_mse", E2, (Rewrite("regret", """\
import torch.nn.functional as F

def regret(y, y_predit):
    return F.mse_loss(y_predit, y)
"""),), note="regret through F.mse_loss (import torch.nn.functional as F)"),
    Variant("e2_time_cell_magic", E2, (Replace("entrainement", _FIRST_PRINT, "%%time\n" + _FIRST_PRINT),),
            note="%%time at the top of the instructor's training cell"),
    Variant("e2_plot_extra_cell", E2, (
        Rewrite("entrainement", """\
pertes = []
for i in range(n_iters):
    y_pred = avant(X)
    L = regret(Y, y_pred)
    L.backward()
    with torch.no_grad():
        w -= learning_rate * w.grad
    w.grad.zero_()
    pertes.append(L.item())
print(f"w final = {w.item():.4f}")
"""),
        Insert("entrainement", """\
import matplotlib.pyplot as plt
plt.figure(figsize=(6, 3))
plt.plot(range(1, len(pertes) + 1), pertes)
plt.yscale("log")
plt.xlabel("itération")
plt.ylabel("L")
plt.show()"""),
    ), note="own `pertes` list, plotted in a separate cell before the test cell"),
    Variant("e2_display_import", E2, (
        Insert("entrainement", "from IPython.display import display\ndisplay(w)\ndisplay(L.item())\nw.item()"),
    ), note="extra cell: from IPython.display import display, display(w), last line w.item()"),
    Variant("e2_sub_inplace_prints", E2, (Rewrite("entrainement", """\
for i in range(n_iters):
    y_pred = avant(X)
    L = regret(Y, y_pred)
    L.backward()
    with torch.no_grad():
        w.sub_(learning_rate * w.grad)
    w.grad.zero_()
    if i % 10 == 0:
        print(f"iter {i:2d} | w = {w.item():.4f} | L = {L.item():.2e} | grad = {w.grad}")
"""),), note="w.sub_(...) under no_grad, f-strings with .item() and a tensor"),
    Variant("e2_markdown_echo_who", E2, (
        Insert("entrainement", "Le regret diminue à chaque itération : les gradients sont bien remis à zéro.", "markdown"),
        Insert("entrainement", "!echo apprentissage termine\n%who"),
    ), note="markdown cell and a cell with !echo and %who after training"),
    Variant("e2_matplotlib_inline_torch_mean", E2, (
        Insert("", "%matplotlib inline"),
        Replace("regret", _MSE, "torch.mean((y - y_predit) ** 2)"),
        Insert("entrainement", _PLOT_HISTORIQUE),
    ), note="%matplotlib inline first, regret with torch.mean, plot of historique"),

    Variant("e2_historique_before_update", E2, (Rewrite("entrainement", """\
historique = []
for i in range(n_iters):
    y_pred = avant(X)
    L = regret(Y, y_pred)
    historique.append((w.item(), L.item()))   # w avant sa mise à jour
    L.backward()
    with torch.no_grad():
        w -= learning_rate * w.grad
    w.grad.zero_()
"""),), note="historique of (w before its update, L): another curve than the scaffold's, a right loop"),
    Variant("e2_L_as_float", E2, (Rewrite("entrainement", """\
for i in range(n_iters):
    perte = regret(Y, avant(X))
    perte.backward()
    with torch.no_grad():
        w -= learning_rate * w.grad
        w.grad.zero_()
    L = perte.item()
print(f"w = {w.item():.4f}, L = {L:.2e}")
"""),), note="L kept as a Python float (perte.item()), gradient zeroed inside no_grad"),

    # ---- mistakes
    Variant("e2_no_zero_grad", E2, (Replace("entrainement", _ZERO_2, ""),),
            fails={"test_entrainement": "grad_not_zeroed"}, note="w.grad.zero_() deleted"),
    Variant("e2_no_zero_grad_rewrite", E2, (Rewrite("entrainement", """\
for epoch in range(n_iters):
    y_pred = avant(X)
    L = regret(Y, y_pred)
    L.backward()
    with torch.no_grad():
        w -= learning_rate * w.grad
    if epoch % 10 == 0:
        print(epoch, w.item(), L.item())
"""),), fails={"test_entrainement": "grad_not_zeroed"}, note="rewritten loop that never zeroes the gradient"),
    Variant("e2_update_outside_no_grad", E2, (Replace("entrainement", _NO_GRAD_UPDATE, "    w -= learning_rate * w.grad"),),
            fails={"test_entrainement": "update_outside_no_grad"}, note="w -= lr*w.grad outside torch.no_grad()"),
    Variant("e2_sub_outside_no_grad", E2, (Replace("entrainement", _NO_GRAD_UPDATE, "    w.sub_(learning_rate * w.grad)"),),
            fails={"test_entrainement": "update_outside_no_grad"}, note="w.sub_(lr*w.grad) outside torch.no_grad()"),
    Variant("e2_rebound_plain", E2, (Replace("entrainement", _NO_GRAD_UPDATE, "    w = w - learning_rate * w.grad"),),
            fails={"test_entrainement": "w_rebound"}, note="w = w - lr*w.grad without no_grad (w non-leaf, w.grad None)"),
    Variant("e2_rebound_in_no_grad", E2, (Replace("entrainement", "        w -= learning_rate * w.grad", "        w = w - learning_rate * w.grad"),),
            fails={"test_entrainement": "w_rebound"}, note="w = w - lr*w.grad under no_grad, then w.grad.zero_() on None"),
    Variant("e2_rebound_grad_none", E2, (Rewrite("entrainement", """\
for i in range(n_iters):
    y_pred = avant(X)
    L = regret(Y, y_pred)
    L.backward()
    with torch.no_grad():
        w = w - learning_rate * w.grad
    w.grad = None
"""),), fails={"test_entrainement": "w_rebound"},
            note="w = w - ... under no_grad and w.grad = None: the next backward() has nothing to differentiate"),
    Variant("e2_update_plus", E2, (Replace("entrainement", "w -= learning_rate * w.grad", "w += learning_rate * w.grad"),),
            fails={"test_entrainement": "gradient_sign"}, note="w += lr*w.grad: gradient ascent"),
    Variant("e2_regret_sum", E2, (Replace("regret", _MSE, "((y_predit - y)**2).sum()"),),
            fails={"test_regret": "loss_sum", "test_entrainement": "loss_sum"}, note="regret as .sum()"),
    Variant("e2_hand_typed_tensor", E2, (Replace("entrainement", _LAST_PRINT,
                                                 "w = torch.tensor(2.0, requires_grad=True)\n" + _LAST_PRINT),),
            fails={"test_entrainement": "hand_typed"}, note="w = torch.tensor(2.0, requires_grad=True) after the loop"),
    Variant("e2_range_100", E2, (Replace("entrainement", _LOOP_HEAD, "for i in range(100):"),),
            fails={"test_entrainement": "hyper_changed"}, note="range(100) instead of n_iters"),
    Variant("e2_lr_typed_in_update", E2, (Replace("entrainement", "w -= learning_rate * w.grad", "w -= 0.01 * w.grad"),),
            fails={"test_entrainement": "hyper_changed"}, note="w -= 0.01 * w.grad: learning rate typed in"),
    Variant("e2_range_from_1", E2, (Replace("entrainement", _LOOP_HEAD, "for i in range(1, n_iters):"),),
            fails={"test_entrainement": "loop_off_by_one"}, note="for i in range(1, n_iters): one update short"),
    Variant("e2_learning_rate_redefined", E2, (Replace("entrainement", "# Apprentissage\n",
                                                       "# Apprentissage\nlearning_rate = 0.1  # plus vite\n"),),
            fails={"test_entrainement": "hyper_changed"},
            note="learning_rate = 0.1 redefined in the training cell (not a rate the draws use: with one of them, "
                 "a draw of that rate everywhere would fit)"),
    Variant("e2_loop_not_done", E2, (Rewrite("entrainement", _STUB_LOOP_2),),
            fails={"test_entrainement": "not_done"}, note="training stub left"),
    Variant("e2_regret_not_done", E2, (Rewrite("regret", _STUB_REGRET),),
            fails={"test_regret": "not_done", "test_entrainement": "not_done"}, note="regret stub left"),
]

# --------------------------------------------------------------------------------------------
# Étape 3 : nn.MSELoss et torch.optim.SGD.

E3 = "etape3"
ETAPE3 = [
    # ---- correct
    Variant("e3_for_underscore", E3, (Rewrite("entrainement", """\
regret = nn.MSELoss()
optimizer = torch.optim.SGD([w], lr=learning_rate)

for _ in range(n_iters):
    y_pred = avant(X)
    L = regret(y_pred, Y)
    L.backward()
    optimizer.step()
    optimizer.zero_grad()

print(f"f(5) = {avant(5).item():.3f}")
"""),), note="minimal rewritten cell, no historique"),
    Variant("e3_while_zero_grad_first", E3, (Rewrite("entrainement", """\
regret = nn.MSELoss()
optimizer = torch.optim.SGD([w], lr=learning_rate)
n = 0
while n < n_iters:
    optimizer.zero_grad()
    pred = avant(X)
    L = regret(pred, Y)
    L.backward()
    optimizer.step()
    n += 1
print("w =", w.item())
"""),), note="while loop, optimizer.zero_grad() at the start of the loop"),
    Variant("e3_epoch_set_to_none_kwargs", E3, (Rewrite("entrainement", """\
critere = nn.MSELoss()
regret = critere
optimizer = torch.optim.SGD(params=[w], lr=learning_rate)
for epoch in range(n_iters):
    optimizer.zero_grad(set_to_none=True)
    y_hat = avant(X)
    loss = regret(y_hat, Y)
    loss.backward()
    optimizer.step()
    L = loss
    if epoch % 10 == 0:
        print(f"epoch {epoch:02d} - loss {loss.item():.6f} - w {w.item():.4f}")
"""),), note="SGD(params=..., lr=...), zero_grad(set_to_none=True) first, loss then L = loss"),
    Variant("e3_reduction_mean", E3, (Replace("entrainement", "nn.MSELoss()", 'nn.MSELoss(reduction="mean")'),),
            note='nn.MSELoss(reduction="mean")'),
    Variant("e3_time_cell_magic", E3, (Replace("entrainement", "regret = nn.MSELoss()", "%%time\nregret = nn.MSELoss()"),),
            note="%%time at the top of the instructor's training cell"),
    Variant("e3_matplotlib_plot_cell", E3, (
        Insert("", "%matplotlib inline"),
        Insert("entrainement", _PLOT_HISTORIQUE),
    ), note="%matplotlib inline first, plot of historique before the test cell"),
    Variant("e3_display_expression", E3, (
        Insert("entrainement", "display(optimizer)\nprint(f'w = {w.item():.4f}, L = {L.item():.2e}')\nw"),
    ), note="extra cell: display(optimizer), an f-string print and `w` as last expression"),
    Variant("e3_run_line_magic_who", E3, (
        Insert("imports", "get_ipython().run_line_magic('matplotlib', 'inline')"),
        Insert("entrainement", "get_ipython().run_line_magic('who', '')"),
    ), note="get_ipython().run_line_magic for matplotlib and who"),
    Variant("e3_seed_order_tensor_prints", E3, (Rewrite("entrainement", """\
regret = nn.MSELoss()  # MSE = EQM
optimizer = torch.optim.SGD([w], lr=learning_rate)

print(f'Prédiction avant apprentissage : f(5) = {avant(5):.3f}')
for i in range(n_iters):
    y_pred = avant(X)
    L = regret(Y, y_pred)
    L.backward()
    optimizer.step()
    optimizer.zero_grad()
    if i % 7 == 0:
        print(f"{i+1}: w = {w}, regret = {L}")
print(f'Prédiction après apprentissage : f(5) = {avant(5):.3f}')
"""),), note="the seed's regret(Y, y_pred) order and f-strings printing raw tensors"),
    Variant("e3_markdown_echo", E3, (
        Insert("md_entrainement", "Je définis d'abord la perte et l'optimiseur, puis la boucle.", "markdown"),
        Insert("entrainement", "!echo w = {w.item()}\n!echo fini"),
    ), note="markdown cell before training and !echo lines with {} expansion after"),
    Variant("e3_time_line_magic_function", E3, (Rewrite("entrainement", """\
regret = nn.MSELoss()
optimizer = torch.optim.SGD([w], lr=learning_rate)

def une_epoque():
    global L
    optimizer.zero_grad()
    L = regret(avant(X), Y)
    L.backward()
    optimizer.step()

for i in range(n_iters - 1):
    une_epoque()
%time une_epoque()
print(f"f(5) = {avant(5).item():.3f}")
"""),), note="one epoch in a function (global L), the last one timed with %time"),

    # ---- mistakes
    Variant("e3_no_zero_grad", E3, (Replace("entrainement", _ZERO_34, ""),),
            fails={"test_entrainement": "grad_not_zeroed"}, note="optimizer.zero_grad() deleted"),
    Variant("e3_no_zero_grad_rewrite", E3, (Rewrite("entrainement", """\
regret = nn.MSELoss()
optimizer = torch.optim.SGD([w], lr=learning_rate)
for epoch in range(n_iters):
    L = regret(avant(X), Y)
    L.backward()
    optimizer.step()
print(w)
"""),), fails={"test_entrainement": "grad_not_zeroed"}, note="rewritten loop without zero_grad"),
    Variant("e3_lr_005", E3, (Replace("entrainement", "lr=learning_rate", "lr=0.05"),),
            fails={"test_entrainement": "optimizer"}, note="SGD with lr=0.05"),
    Variant("e3_adam", E3, (Replace("entrainement", "torch.optim.SGD([w], lr=learning_rate)", "torch.optim.Adam([w], lr=learning_rate)"),),
            fails={"test_entrainement": "optimizer"}, note="Adam instead of SGD"),
    Variant("e3_learning_rate_redefined", E3, (Replace("entrainement", "regret = nn.MSELoss()", "learning_rate = 0.02\nregret = nn.MSELoss()"),),
            fails={"test_entrainement": "hyper_changed"}, note="learning_rate = 0.02 redefined before the optimizer"),
    Variant("e3_range_71", E3, (Replace("entrainement", _LOOP_HEAD, "for i in range(71):"),),
            fails={"test_entrainement": "hyper_changed"}, note="range(71) hard-coded"),
    Variant("e3_range_100", E3, (Replace("entrainement", _LOOP_HEAD, "for i in range(100):"),),
            fails={"test_entrainement": "hyper_changed"}, note="range(100) instead of n_iters"),
    Variant("e3_reduction_sum", E3, (Replace("entrainement", "nn.MSELoss()", 'nn.MSELoss(reduction="sum")'),),
            fails={"test_entrainement": "loss_sum"}, note='nn.MSELoss(reduction="sum")'),
    Variant("e3_loss_sum_by_hand", E3, (Replace("entrainement", "L = regret(y_pred, Y)", "L = ((y_pred - Y)**2).sum()"),),
            fails={"test_entrainement": "loss_sum"}, note="L computed by hand as a sum, regret unused"),
    Variant("e3_hand_typed", E3, (Rewrite("entrainement", """\
# la boucle donne w = 2 (voir la trace du cours)
w = torch.tensor(2.0, requires_grad=True)
regret = nn.MSELoss()
optimizer = torch.optim.SGD([w], lr=learning_rate)
L = regret(avant(X), Y)
print(f"f(5) = {avant(5).item():.3f}")
"""),), fails={"test_entrainement": "hand_typed"}, note="no loop: w = tensor(2.0) typed in, optimizer built on it"),
    Variant("e3_range_one_more", E3, (Replace("entrainement", _LOOP_HEAD, "for i in range(n_iters + 1):"),),
            fails={"test_entrainement": "loop_off_by_one"}, note="for i in range(n_iters + 1): one update too many"),
    Variant("e3_loop_not_done", E3, (Rewrite("entrainement", _STUB_LOOP_3),),
            fails={"test_entrainement": "not_done"}, note="training stub left"),
    Variant("e3_avant_not_done", E3, (Rewrite("avant", _STUB_AVANT),),
            fails={"test_avant": "not_done", "test_entrainement": "not_done"}, note="avant stub left"),
]

# --------------------------------------------------------------------------------------------
# Étape 4 : nn.Linear, puis une sous-classe de nn.Module.

E4 = "etape4"
_CLASS_FORWARD = "    def forward(self, x):\n        return self.lin(x)"
ETAPE4 = [
    # ---- correct
    Variant("e4_for_underscore", E4, (Rewrite("entrainement", """\
regret = nn.MSELoss()
optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate)

for _ in range(n_iters):
    y_pred = model(X_train)
    L = regret(y_pred, Y_train)
    L.backward()
    optimizer.step()
    optimizer.zero_grad()

print(f"f(5) = {model(X_test).item():.3f}")
"""),), note="minimal rewritten cell, no historique, no [w, b]"),
    Variant("e4_tutorial_epoch_loss", E4, (Rewrite("entrainement", """\
regret = nn.MSELoss()
optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate)

for epoch in range(n_iters):
    optimizer.zero_grad()
    outputs = model(X_train)
    loss = regret(outputs, Y_train)
    loss.backward()
    optimizer.step()
    if (epoch + 1) % 100 == 0:
        print(f'Epoch [{epoch+1}/{n_iters}], Loss: {loss.item():.4f}')
L = loss
"""),), note="PyTorch-tutorial style: epoch, outputs, loss, zero_grad first, L = loss after"),
    Variant("e4_while_model_zero_grad", E4, (Rewrite("entrainement", """\
regret = nn.MSELoss()
optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate)
i = 0
while i < n_iters:
    model.zero_grad()
    y_hat = model(X_train)
    L = regret(y_hat, Y_train)
    L.backward()
    optimizer.step()
    i += 1
w, b = model.parameters()
print(f"w = {w.item():.3f}, b = {b.item():.3f}")
"""),), note="while loop with model.zero_grad() at the start, w, b = model.parameters() after"),
    Variant("e4_kwargs_set_to_none", E4, (
        Replace("entrainement", "nn.MSELoss()", 'nn.MSELoss(reduction="mean")'),
        Replace("entrainement", "torch.optim.SGD(model.parameters(), lr=learning_rate)",
                "torch.optim.SGD(params=model.parameters(), lr=learning_rate)"),
        Replace("entrainement", "optimizer.zero_grad()", "optimizer.zero_grad(set_to_none=True)"),
    ), note='MSELoss(reduction="mean"), SGD(params=..., lr=...), zero_grad(set_to_none=True)'),
    Variant("e4_sequential_class", E4, (Rewrite("regression_lineaire", """\
class LinearRegression(nn.Module):
    def __init__(self, input_dim, output_dim):
        super().__init__()
        self.reseau = nn.Sequential(
            nn.Linear(input_dim, output_dim),
        )

    def forward(self, x):
        return self.reseau(x)
"""),), note="LinearRegression built around nn.Sequential"),
    Variant("e4_old_super_avant_method", E4, (Rewrite("regression_lineaire", """\
class LinearRegression(nn.Module):

    def __init__(self, input_dim, output_dim):
        super(LinearRegression, self).__init__()
        # On définit les couches
        self.lin = nn.Linear(input_dim, output_dim)

    def forward(self, x):
        return self.lin(x)

    # le nom du cours, en plus de forward
    def avant(self, x):
        return self.forward(x)
"""),), note="super(LinearRegression, self).__init__() and an `avant` method next to forward"),
    Variant("e4_time_cell_magic", E4, (Replace("entrainement", _FIRST_PRINT, "%%time\n" + _FIRST_PRINT),),
            note="%%time at the top of the instructor's training cell"),
    Variant("e4_plot_extra_cell", E4, (
        Rewrite("entrainement", """\
regret = nn.MSELoss()
optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate)
pertes = []
for i in range(n_iters):
    y_pred = model(X_train)
    L = regret(y_pred, Y_train)
    L.backward()
    optimizer.step()
    optimizer.zero_grad()
    pertes.append(L.item())
"""),
        Insert("entrainement", """\
import matplotlib.pyplot as plt
fig, ax = plt.subplots()
ax.plot(pertes)
ax.set_yscale("log")
ax.set_title(f"regret final : {pertes[-1]:.2e}")
plt.show()"""),
    ), note="own `pertes` list, plotted in a separate cell with plt.subplots before the test"),
    Variant("e4_display_who_tuple", E4, (
        Insert("entrainement", "%who\ndisplay(model.weight, model.bias)\nmodel.weight.item(), model.bias.item()"),
    ), note="extra cell: %who, display(...) of parameters, tuple as last expression"),
    Variant("e4_matplotlib_markdown_echo", E4, (
        Insert("", "%matplotlib inline"),
        Insert("graine", "La graine fixe les poids initiaux.", "markdown"),
        Insert("entrainement", "!echo f5 = {model(X_test).item()}"),
    ), note="%matplotlib inline first, a markdown cell, !echo with {} expansion"),
    Variant("e4_linear_kwargs_list_params", E4, (
        Rewrite("modele", "model = nn.Linear(in_features=input_size, out_features=output_size)\nprint(model)\n"),
        Replace("entrainement", "torch.optim.SGD(model.parameters(), lr=learning_rate)",
                "torch.optim.SGD(list(model.parameters()), lr=learning_rate)"),
    ), note="nn.Linear with keywords and print(model); SGD over list(model.parameters())"),

    # ---- mistakes
    Variant("e4_target_view", E4, (Replace("entrainement", "L = regret(y_pred, Y_train)", "L = regret(y_pred, Y_train.view(-1))"),),
            fails={"test_entrainement": "broadcast"}, note="regret(y_pred, Y_train.view(-1)): (4, 1) against (4,)"),
    Variant("e4_target_squeeze", E4, (Replace("entrainement", "L = regret(y_pred, Y_train)", "L = regret(y_pred, Y_train.squeeze())"),),
            fails={"test_entrainement": "broadcast"}, note="regret(y_pred, Y_train.squeeze())"),
    Variant("e4_prediction_squeeze", E4, (Replace("entrainement", "L = regret(y_pred, Y_train)", "L = regret(y_pred.squeeze(), Y_train)"),),
            fails={"test_entrainement": "broadcast"}, note="regret(y_pred.squeeze(), Y_train)"),
    Variant("e4_seed_order_flatten", E4, (Replace("entrainement", "L = regret(y_pred, Y_train)", "L = regret(Y_train.flatten(), y_pred)"),),
            fails={"test_entrainement": "broadcast"}, note="the seed's regret(Y, y_pred) with a flattened Y"),
    Variant("e4_no_zero_grad", E4, (Replace("entrainement", _ZERO_34, ""),),
            fails={"test_entrainement": "grad_not_zeroed"}, note="optimizer.zero_grad() deleted"),
    Variant("e4_avant_instead_of_forward", E4, (Replace("regression_lineaire", "def forward(self, x):", "def avant(self, x):"),),
            fails={"test_regression_lineaire": "avant_instead_of_forward"}, note="the class defines avant, not forward"),
    Variant("e4_seed_class_verbatim", E4, (Rewrite("regression_lineaire", """\
class LinearRegression(nn.Module):
    
    def __init__(self, input_dim, output_dim):
        super(LinearRegression, self).__init__()
        # On définit les couches
        self.lin = nn.Linear(input_dim, output_dim)
    
    def avant(self, x):
        return self.lin(x)
    
model = LinearRegression(input_size, output_size)
"""),), fails={"test_regression_lineaire": "avant_instead_of_forward"}, note="the seed's class copied as is (avant, no forward)"),
    Variant("e4_integer_tensor_print", E4, (Replace("entrainement", "model(X_test)", "model(torch.tensor([5]))"),),
            fails={"test_entrainement": "integer_tensor"}, note="prints use model(torch.tensor([5]))"),
    Variant("e4_integer_tensor_before", E4, (Replace("entrainement", "f(5) = {model(X_test).item():.3f}')\n\nregret",
                                                      "f(5) = {model(torch.tensor([[5]])).item():.3f}')\n\nregret"),),
            fails={"test_entrainement": "integer_tensor"},
            note="model(torch.tensor([[5]])) in the print before training: the cell stops before the loop"),
    Variant("e4_lr_005", E4, (Replace("entrainement", "lr=learning_rate", "lr=0.05"),),
            fails={"test_entrainement": "optimizer"}, note="SGD with lr=0.05"),
    Variant("e4_range_1001", E4, (Replace("entrainement", _LOOP_HEAD, "for i in range(1001):"),),
            fails={"test_entrainement": "hyper_changed"}, note="range(1001) hard-coded"),
    Variant("e4_n_iters_200", E4, (Replace("entrainement", "# Apprentissage\n", "# Apprentissage\nn_iters = 200  # pour aller plus vite\n"),),
            fails={"test_entrainement": "hyper_changed"}, note="n_iters = 200 redefined to train faster"),
    Variant("e4_hand_typed_weights", E4, (Replace("entrainement", _LAST_PRINT, """\
# on sait que Y = 2X
with torch.no_grad():
    model.weight.fill_(2.0)
    model.bias.fill_(0.0)
""" + _LAST_PRINT),), fails={"test_entrainement": "hand_typed"}, note="weight and bias set to 2 and 0 by hand after the loop"),
    Variant("e4_loss_sum", E4, (Replace("entrainement", "nn.MSELoss()", 'nn.MSELoss(reduction="sum")'),),
            fails={"test_entrainement": "loss_sum"}, note='nn.MSELoss(reduction="sum"): the loss summed'),
    Variant("e4_loss_sum_by_hand", E4, (Replace("entrainement", "L = regret(y_pred, Y_train)",
                                                "L = ((y_pred - Y_train) ** 2).sum()"),),
            fails={"test_entrainement": "loss_sum"}, note="L written by hand as a sum, regret unused"),
    Variant("e4_learning_rate_redefined", E4, (Replace("entrainement", "regret = nn.MSELoss()",
                                                       "learning_rate = 0.05\nregret = nn.MSELoss()"),),
            fails={"test_entrainement": "hyper_changed"}, note="learning_rate = 0.05 redefined before the optimizer"),
    Variant("e4_while_one_more", E4, (Rewrite("entrainement", """\
regret = nn.MSELoss()
optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate)
i = 0
while i <= n_iters:
    L = regret(model(X_train), Y_train)
    L.backward()
    optimizer.step()
    optimizer.zero_grad()
    i += 1
"""),), fails={"test_entrainement": "loop_off_by_one"}, note="while i <= n_iters from i = 0: one update too many"),
    Variant("e4_class_not_done", E4, (Rewrite("regression_lineaire", _STUB_CELL),),
            fails={"test_regression_lineaire": "not_done"}, note="LinearRegression stub left"),
    Variant("e4_untouched", E4, _untouched(E4),
            fails={c: "not_done" for c in STEPS[E4].checks}, note="release handed in as received"),
]

VARIANTS: list[Variant] = ETAPE1 + ETAPE2 + ETAPE3 + ETAPE4

# Submissions whose right outcome is open: not in VARIANTS (nothing holds a grader to them). `fails`
# is what COURSE.md seems to ask for; the note says what the kit's checks did when this was written.
DISPUTED: list[Variant] = [
    Variant("d4_model_recreated_in_training", E4, (Replace("entrainement", "regret = nn.MSELoss()",
            "model = nn.Linear(input_size, output_size)  # on repart de zéro à chaque exécution\nregret = nn.MSELoss()"),),
            note="model re-created in the training cell (so that re-running restarts): f(5) = 9.96, but the training "
                 "starts from other weights than the seed's first nn.Linear: the visible test and the kit both say "
                 "wrong values"),
    Variant("d4_rng_used_before_model", E4, (Insert("graine", "print(torch.rand(2))  # pour voir"),),
            note="an extra cell draws random numbers before nn.Linear: other initial weights; the visible test and "
                 "the kit both say wrong values"),
    Variant("d4_integer_tensor_after_training", E4, (Replace("entrainement", _LAST_PRINT,
            "f5 = model(torch.tensor([[5]])).item()\nprint('f(5) =', f5)\n" + _LAST_PRINT),),
            note="integer tensor in a print after a right loop: the cell raises, the values are right; the kit "
                 "passes it (an error never fails a loop whose values are right)"),
    Variant("d3_hand_typed_after_loop", E3, (Replace("entrainement", _LAST_PRINT,
            "w = torch.tensor(2.0, requires_grad=True)\n" + _LAST_PRINT),),
            fails={"test_entrainement": "hand_typed"},
            note="w = torch.tensor(2.0) typed after the loop: the kit names `optimizer` (it no longer optimizes w)"),
    Variant("d2_L_recomputed_after_loop", E2, (Replace("entrainement", _LAST_PRINT,
            "L = regret(Y, avant(X))\nprint('regret final :', L.item())\n" + _LAST_PRINT),),
            fails={"test_entrainement": "wrong_value"},
            note="L recomputed after the loop to print it: the contract wants the loss before the last update; "
                 "the kit's message gives numbers only"),
]
BY_ID = {v.id: v for v in VARIANTS + DISPUTED}
assert len(BY_ID) == len(VARIANTS) + len(DISPUTED), "variant ids must be unique"
assert all(set(v.fails) <= set(STEPS[v.step].checks) for v in VARIANTS), "fails names an unknown check"


# --------------------------------------------------------------------------------------------

def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _grade_id(cell: dict) -> str | None:
    return ((cell.get("metadata") or {}).get("nbgrader") or {}).get("grade_id")


def _new_cell(cell_id: str, source: str, cell_type: str) -> dict:
    if cell_type == "code":
        return {"cell_type": "code", "execution_count": None, "id": cell_id, "metadata": {}, "outputs": [],
                "source": source}
    if cell_type == "markdown":
        return {"cell_type": "markdown", "id": cell_id, "metadata": {}, "source": source}
    raise ValueError(f"cell_type {cell_type!r}: code or markdown")


def notebook(root: Path, variant: Variant) -> dict:
    """The nbformat dict the student hands in: the release notebook of `variant.step`, every
    solution cell filled with the instructor's solution, then `variant.edits` in order."""
    step = STEPS[variant.step]
    nb = json.loads((Path(root) / "release" / ASSIGNMENT / step.filename).read_text(encoding="utf-8"))
    answers = solutions(Path(root), variant.step)
    for cell in nb["cells"]:
        meta = (cell.get("metadata") or {}).get("nbgrader") or {}
        if meta.get("solution") and meta.get("grade_id") in answers:
            cell["source"] = answers[meta["grade_id"]]
    inserted: dict[str, list[dict]] = {}   # anchor grade_id -> cells inserted after it so far
    for k, edit in enumerate(variant.edits):
        if isinstance(edit, Insert):
            new = _new_cell(f"{variant.id}-{k}"[:64], edit.source, edit.cell_type)
            if edit.after == "":
                index = len(inserted.get("", []))
            else:
                anchors = [i for i, c in enumerate(nb["cells"]) if _grade_id(c) == edit.after]
                assert len(anchors) == 1, f"{variant.id}: no single cell with grade_id {edit.after!r}"
                index = anchors[0] + 1 + len(inserted.get(edit.after, []))
            nb["cells"].insert(index, new)
            inserted.setdefault(edit.after, []).append(new)
            continue
        targets = [c for c in nb["cells"] if _grade_id(c) == edit.grade_id]
        assert len(targets) == 1, f"{variant.id}: no single cell with grade_id {edit.grade_id!r}"
        cell = targets[0]
        assert cell["metadata"]["nbgrader"].get("solution"), f"{variant.id}: {edit.grade_id} is not a solution cell"
        if isinstance(edit, Rewrite):
            cell["source"] = edit.source
        elif isinstance(edit, Replace):
            text = _source(cell)
            assert edit.old in text, f"{variant.id}: {edit.old!r} not in cell {edit.grade_id}"
            cell["source"] = text.replace(edit.old, edit.new)
        else:
            raise TypeError(f"{variant.id}: unknown edit {edit!r}")
    return nb


def solution_variant(step: str) -> Variant:
    return Variant(f"{step}_solution", step, (), {}, "the instructor's solution as it is")


def write_corpus_class(root: Path, course_dir: Path) -> dict[str, dict[str, Variant]]:
    """Write course_dir/submitted/corpus_NN/descente_gradient/*.ipynb (+ timestamp.txt): student k
    hands in the k-th variant of each step, or the instructor's solution when a step has fewer
    variants. Returns {student_id: {step: Variant}}."""
    by_step = {name: [v for v in VARIANTS if v.step == name] for name in STEPS}
    n_students = max(len(vs) for vs in by_step.values())
    width = max(2, len(str(n_students)))
    out: dict[str, dict[str, Variant]] = {}
    for k in range(n_students):
        student = f"corpus_{k + 1:0{width}d}"
        folder = Path(course_dir) / "submitted" / student / ASSIGNMENT
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        out[student] = {}
        for name, step in STEPS.items():
            variant = by_step[name][k] if k < len(by_step[name]) else solution_variant(name)
            nb = notebook(root, variant)
            (folder / step.filename).write_text(json.dumps(nb, indent=1, ensure_ascii=False), encoding="utf-8")
            out[student][name] = variant
        (folder / "timestamp.txt").write_text("2026-11-27 09:00:00.000000 UTC")
    return out


def summary() -> dict[str, tuple[int, int]]:
    """{step: (correct, mistakes)}."""
    return {name: (sum(v.correct for v in VARIANTS if v.step == name),
                   sum(not v.correct for v in VARIANTS if v.step == name)) for name in STEPS}


__all__ = ["Rewrite", "Replace", "Insert", "Variant", "VARIANTS", "DISPUTED", "BY_ID", "STUBS", "notebook",
           "write_corpus_class", "solution_variant", "summary"]

