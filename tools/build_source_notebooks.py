"""Write the four instructor notebooks of source/descente_gradient/ (without outputs).

The notebooks are the course's source of truth; this script is how they were written and how
they are rewritten after an edit here, so that cell metadata stays consistent. The locked data
cells are rendered from autograder/course.py, the single definition of the data.
Run: python tools/build_source_notebooks.py
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from autograder.checks.feedback import MESSAGES  # noqa: E402
from autograder.course import STEPS  # noqa: E402

OUT = ROOT / "source" / "descente_gradient"


def _french_message(match) -> str:
    """«code» or «code:key=value,...» in a visible test: the hidden checks' French message, as a literal."""
    details = dict(item.split("=", 1) for item in (match[2] or "").split(",") if item)
    return repr(MESSAGES[match[1]][0].format(**details))


def meta(grade_id, *, solution=False, grade=False, locked=False, points=None, task=False):
    m = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3,
         "solution": solution, "task": task}
    if points is not None:
        m["points"] = points
    return {"nbgrader": m}


class Notebook:
    def __init__(self, step):
        self.step = step
        self.cells = []

    def md(self, grade_id, text):
        cell = nbformat.v4.new_markdown_cell(text.strip("\n"), metadata=meta(grade_id, locked=True))
        self.cells.append(cell)

    def code(self, grade_id, source, **kw):
        self.cells.append(nbformat.v4.new_code_cell(source.strip("\n"), metadata=meta(grade_id, **kw)))

    def locked(self, grade_id, source):
        self.code(grade_id, source, locked=True)

    def data(self, grade_id):
        self.locked(grade_id, self.step.data_source(grade_id, self.step.canonical))

    def solution(self, grade_id, source):
        self.code(grade_id, source, solution=True)

    def test(self, grade_id, points, visible):
        visible = re.sub(r"«(\w+)(?::([^»]*))?»", _french_message, visible)
        # The hidden check comes first: when a submission is wrong, its message (which names the
        # cause) is the one nbgrader shows, not the visible assert's.
        hidden = (f"### BEGIN HIDDEN TESTS\nfrom autograder.nbgrader_cell import verifier\n"
                  f"verifier({self.step.name!r}, {grade_id!r})\n### END HIDDEN TESTS\n")
        self.code(grade_id, hidden + visible.strip("\n"), grade=True, locked=True, points=points)

    def write(self):
        nb = nbformat.v4.new_notebook()
        nb.metadata = {
            "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        }
        for i, cell in enumerate(self.cells):
            cell["id"] = f"{self.step.name}-{i:02d}"
        nb.cells = self.cells
        nbformat.validate(nb)
        OUT.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, OUT / self.step.filename)


SEED_TRACE = """
# La trace imprimée par le cours original (étapes 2 et 3) : la référence de ce cours.
trace_du_cours = {1: 30.00000000, 8: 3.08308983, 15: 0.31684780, 22: 0.03256231, 29: 0.00334642,
                  36: 0.00034392, 43: 0.00003534, 50: 0.00000363, 57: 0.00000037, 64: 0.00000004}
"""

PLOT_START = """
import math
from IPython.display import SVG, display


def courbe_svg(titre, courbes, largeur=440, hauteur=180, marge=34):
    \"\"\"Un petit graphique SVG, dessiné sans matplotlib (il s'affiche en un instant, aussi à la correction).
    `courbes` : une liste de (itérations, valeurs, couleur) ; une couleur qui commence par « . » trace des points.\"\"\"
    xs = [x for its, _, _ in courbes for x in its]
    ys = [y for _, valeurs, _ in courbes for y in valeurs]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    x1, y1 = (x1 if x1 > x0 else x0 + 1), (y1 if y1 > y0 else y0 + 1)
    px = lambda x: marge + (x - x0) * (largeur - 2 * marge) / (x1 - x0)
    py = lambda y: hauteur - marge - (y - y0) * (hauteur - 2 * marge) / (y1 - y0)
    dessin = []
    for its, valeurs, couleur in courbes:
        if couleur.startswith("."):
            dessin += [f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="3" fill="{couleur[1:]}"/>' for x, y in zip(its, valeurs)]
        else:
            trace = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in zip(its, valeurs))
            dessin.append(f'<polyline points="{trace}" fill="none" stroke="{couleur}" stroke-width="2"/>')
    textes = [(marge, 16, titre), (2, marge, f"{y1:.3g}"), (2, hauteur - marge + 4, f"{y0:.3g}"),
              (marge, hauteur - 10, f"itération {x0:g}"), (largeur - marge - 70, hauteur - 10, f"itération {x1:g}")]
    dessin += [f'<text x="{x}" y="{y}" font-size="11" font-family="sans-serif">{texte}</text>' for x, y, texte in textes]
    return SVG(f'<svg xmlns="http://www.w3.org/2000/svg" width="{largeur}" height="{hauteur}">{"".join(dessin)}</svg>')


# La courbe de ton apprentissage : le regret L et le poids w à chaque itération, lus dans la liste
# `historique` de la cellule d'apprentissage (facultative : sans elle, pas de courbe, et rien n'est perdu).
points = [(w_i, L_i) for w_i, L_i in globals().get("historique", []) if math.isfinite(w_i) and math.isfinite(L_i)]
if not points:
    print("Pas de courbe : la cellule d'apprentissage n'a pas (encore) rempli la liste `historique`.")
else:
    iterations = list(range(1, len(points) + 1))
    courbes_L = [(iterations, [math.log10(max(L_i, 1e-12)) for _, L_i in points], "steelblue")]
"""

PLOT_END = """
    courbes_w = [(iterations, [w_i for w_i, _ in points], "darkorange"), ([1, len(points)], [2.0, 2.0], "gray")]
    display(courbe_svg("log10 du regret L" + legende_L, courbes_L), courbe_svg("w (en gris : w = 2, car Y = 2X)", courbes_w))
"""

PLOT_LINE = SEED_TRACE + PLOT_START + """
    legende_L = ""
    if (X.tolist(), Y.tolist(), learning_rate) == ([1, 2, 3, 4], [2, 4, 6, 8], 0.01):
        courbes_L.append((list(trace_du_cours), [math.log10(L_i) for L_i in trace_du_cours.values()], ".black"))
        legende_L = " (points noirs : la trace du cours)"
""" + PLOT_END

PLOT_MODEL = PLOT_START + """
    legende_L = ""
""" + PLOT_END

ERRATUM = "### Ce que le cours original disait de travers\n\n"


def intro(nb, title, table):
    nb.md("intro", f"""
# Optimisation d'un modèle automatique étape par étape — {title}

Dans ce cours, nous optimisons un modèle de régression linéaire `f(x) = w·x` par descente de gradient,
d'abord à la main avec NumPy, puis avec le package Autograd de PyTorch. Le cours est séparé en 4 étapes :

| étape | prédiction | calcul du gradient | calcul du regret | mise à jour des paramètres |
| --- | --- | --- | --- | --- |
| 1 | manuelle | manuel | manuel | manuelle |
| 2 | manuelle | Autograd | manuel | manuelle |
| 3 | manuelle | Autograd | PyTorch Loss | PyTorch Optimizer |
| 4 | PyTorch Model | Autograd | PyTorch Loss | PyTorch Optimizer |

{table}

Écris ton code à la place de `# VOTRE CODE ICI` / `raise NotImplementedError()`. Les cellules de test
vérifient ton travail : exécute-les ; d'autres vérifications, cachées, seront faites à la correction
(avec d'autres données : il faut calculer les résultats, pas les recopier).
""")


def etape1():
    nb = Notebook(STEPS["etape1"])
    intro(nb, "Étape 1 : implémentation manuelle", "**Ici, l'étape 1** : tout à la main, avec NumPy seulement.")
    nb.locked("imports", "import numpy as np")
    nb.md("md_donnees", "Les données : `Y = 2X`. Le modèle doit donc trouver `w = 2`.")
    nb.data("donnees")
    nb.md("md_poids", "Le poids du modèle, initialisé à 0.")
    nb.data("poids_initial")
    nb.md("md_avant", "**Prédiction du modèle** : écris `avant(x)`, qui renvoie `w * x` avec le `w` global.")
    nb.solution("avant", """
# Prédiction de modèle

def avant(x):
    ### BEGIN SOLUTION
    return w * x
    ### END SOLUTION
""")
    nb.test("test_avant", 1, """
# Test visible : avant(x) = w * x, avec le w global
w_sauve = w
try:
    w = 3.0
    y_test = avant(np.array([1.0, -2.0]))
finally:
    w = w_sauve
assert np.allclose(y_test, [3.0, -6.0]), "avant(x) doit renvoyer w * x, avec le w global."
""")
    nb.md("md_regret", "**Calcul du regret** : l'erreur quadratique moyenne (EQM) entre `y` et `y_predit`.")
    nb.solution("regret", """
# Calcul du regret : Erreur quadratique moyenne de la régression linéaire

def regret(y, y_predit):
    ### BEGIN SOLUTION
    return ((y_predit - y)**2).mean()
    ### END SOLUTION
""")
    nb.test("test_regret", 1, """
# Test visible : la moyenne des carrés des écarts
L_test = regret(np.array([1.0, 2.0]), np.array([1.0, 4.0]))
assert not np.isclose(L_test, 4.0), «loss_sum»
assert np.isclose(L_test, 2.0), "regret(y, y_predit) doit renvoyer la moyenne de (y_predit - y)²."
""")
    nb.md("md_gradient", """
**Calcul du gradient** : pour `EQM = 1/N · Σ (w·x − y)²`, la dérivée par rapport à `w` est
`dL/dw = 1/N · Σ 2x·(w·x − y)`, c'est-à-dire la **moyenne** de `2x·(y_predit − y)`.
""")
    nb.solution("gradient", """
# Calcul de gradient : EQM = 1/N * (w*x - y)²
# dL/dw = 1/N * 2x * (w*x - y)

def gradient(x, y, y_predit):
    ### BEGIN SOLUTION
    return np.mean(2 * x * (y_predit - y))
    ### END SOLUTION
""")
    nb.test("test_gradient", 2, """
# Test visible, sur les données du notebook : la moyenne de 2x(y_predit - y), pas la somme
g_test = gradient(X, Y, 0 * Y)
attendu = np.mean(2 * X * (0 * Y - Y))
assert not np.isclose(g_test, len(X) * attendu), «gradient_sum:n=4»
assert not np.isclose(g_test, -attendu), «gradient_sign»
assert not np.isclose(g_test, attendu / 2), «gradient_no_factor_2»
assert np.isclose(g_test, attendu), "gradient(x, y, y_predit) doit renvoyer la moyenne de 2·x·(y_predit − y)."
""")
    nb.md("md_hyper", "**Apprentissage** : le pas d'apprentissage et le nombre d'itérations (ne les change pas).")
    nb.data("hyperparametres")
    nb.md("md_entrainement", """
Écris le corps de la boucle : la prédiction `y_pred`, le regret `L = regret(...)`, le gradient
`dw = gradient(...)`, puis la mise à jour de `w`.
""")
    nb.solution("entrainement", """
print(f'Prédiction avant apprentissage : f(5) = {avant(5):.3f}')

# Apprentissage
historique = []
for i in range(n_iters):
    ### BEGIN SOLUTION
    # Prédiction = lecture avant
    y_pred = avant(X)

    # Regret
    L = regret(Y, y_pred)

    # Gradients
    dw = gradient(X, Y, y_pred)

    # Mise à jour des paramètres
    w -= learning_rate * dw
    ### END SOLUTION

    historique.append((float(w), float(L)))
    if i % 7 == 0:
        print(f'{i+1}: w = {w:.3f}, regret = {L:.8f}')

print(f'Prédiction après apprentissage : f(5) = {avant(5):.3f}')
""")
    nb.test("test_entrainement", 3, """
# Test visible : après l'apprentissage, f(5) vaut 10
for nom in ("w", "L", "avant"):
    assert nom in globals(), f"`{nom}` n'est pas défini : la cellule d'apprentissage doit le définir (exécute les cellules au-dessus, sans erreur)."
assert abs(float(avant(5)) - 10.0) < 1e-2, f"Après l'apprentissage, f(5) doit valoir 10 (à 0,01 près) ; ton modèle donne {float(avant(5)):.3f}."
assert float(L) < 1e-4, "Le regret de la dernière itération doit être presque nul."
""")
    nb.locked("graphique_entrainement", PLOT_LINE)
    nb.md("commentaire", """
Avant l'apprentissage, la prédiction de f(5) est 0, ce qui est normal car _w0_ = 0. Pendant l'apprentissage,
_w_ tend vers 2 et le regret _L_ tend vers 0, ce que nous attendons car _Y = 2X_ et on minimise L. La
prédiction après apprentissage est de 10. Cette méthode manuelle marche, mais elle est lourde à mettre en
place pour un modèle plus conséquent.
""")
    nb.md("erratum", ERRATUM + """
Le cours original calculait le gradient avec `np.dot(2*x, y_predit-y).mean()`. Or `np.dot` **additionne
déjà** les produits et renvoie un scalaire : `.mean()` d'un scalaire ne divise par rien. Ce gradient était
donc une somme, N = 4 fois plus grande que la dérivée écrite juste au-dessus (`1/N · 2x(wx − y)`). C'est
pour cela que l'étape 1 semblait n'avoir besoin que de 20 itérations, et que le cours accusait Autograd
d'être plus lent : il ne l'est pas. Avec le vrai gradient, la trace de l'étape 1 est identique, ligne
pour ligne, à celle de l'étape 2 ; c'est pourquoi l'étape 1 fait ici 71 itérations comme les étapes 2 et 3
(après 20 itérations, on n'aurait que f(5) = 9.612).
""")
    nb.write()


def torch_intro(nb):
    nb.locked("imports", "import torch\nimport torch.nn as nn")
    nb.md("md_donnees", "Les mêmes données, en tenseurs PyTorch (`float32`).")
    nb.data("donnees")
    nb.md("md_poids", "Le poids `w` est un tenseur qui demande le calcul de son gradient (`requires_grad=True`).")
    nb.data("poids_initial")
    nb.md("md_avant", "**Prédiction du modèle** : `avant(x)` renvoie `w * x`, comme à l'étape 1.")
    nb.solution("avant", """
# Prédiction de modèle

def avant(x):
    ### BEGIN SOLUTION
    return w * x
    ### END SOLUTION
""")
    nb.test("test_avant", 1, """
# Test visible : avant(x) = w * x, avec le w global
w_sauve = w
try:
    w = torch.tensor(3.0, requires_grad=True)
    y_test = avant(torch.tensor([1.0, -2.0])).detach()
finally:
    w = w_sauve
assert torch.allclose(y_test, torch.tensor([3.0, -6.0])), "avant(x) doit renvoyer w * x, avec le w global."
""")


def etape2():
    nb = Notebook(STEPS["etape2"])
    intro(nb, "Étape 2 : descente de gradient automatique",
          "**Ici, l'étape 2** : PyTorch calcule le gradient pour nous (Autograd) ; le reste est à la main.")
    torch_intro(nb)
    nb.md("md_regret", "**Calcul du regret** : l'erreur quadratique moyenne, sur des tenseurs.")
    nb.solution("regret", """
# Calcul du regret : Erreur quadratique moyenne de la régression linéaire

def regret(y, y_predit):
    ### BEGIN SOLUTION
    return ((y_predit - y)**2).mean()
    ### END SOLUTION
""")
    nb.test("test_regret", 1, """
# Test visible : la moyenne des carrés des écarts
L_test = regret(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 4.0]))
assert abs(L_test.item() - 4.0) > 1e-6, «loss_sum»
assert abs(L_test.item() - 2.0) < 1e-6, "regret(y, y_predit) doit renvoyer la moyenne de (y_predit - y)²."
""")
    nb.md("md_hyper", "**Apprentissage** : le pas d'apprentissage et le nombre d'itérations (ne les change pas).")
    nb.data("hyperparametres")
    nb.md("md_entrainement", """
Écris le corps de la boucle : prédiction, regret `L`, rétropropagation `L.backward()`, mise à jour de `w`
**sous `torch.no_grad()`**, puis remise à zéro du gradient (`w.grad.zero_()`).
""")
    nb.solution("entrainement", """
print(f'Prédiction avant apprentissage : f(5) = {avant(5):.3f}')

# Apprentissage
historique = []
for i in range(n_iters):
    ### BEGIN SOLUTION
    # Prédiction = lecture avant
    y_pred = avant(X)

    # Regret
    L = regret(Y, y_pred)

    # Gradients = rétropropagation
    L.backward()  # dL/dw

    # Mise à jour des paramètres
    with torch.no_grad():
        w -= learning_rate * w.grad

    # Vider le gradient
    w.grad.zero_()
    ### END SOLUTION

    historique.append((w.item(), L.item()))
    if i % 7 == 0:
        print(f'{i+1}: w = {w:.3f}, regret = {L:.8f}')

print(f'Prédiction après apprentissage : f(5) = {avant(5):.3f}')
""")
    nb.test("test_entrainement", 3, """
# Test visible : après l'apprentissage, f(5) vaut 10 et w est toujours la même feuille
for nom in ("w", "L", "avant"):
    assert nom in globals(), f"`{nom}` n'est pas défini : la cellule d'apprentissage doit le définir (exécute les cellules au-dessus, sans erreur)."
assert isinstance(w, torch.Tensor) and w.is_leaf and w.requires_grad, «w_rebound»
suivi = globals().get("historique")  # facultatif : la liste (w, L) de la cellule d'apprentissage, si tu l'as gardée
if isinstance(suivi, list) and all(isinstance(p, tuple) and len(p) == 2 for p in suivi):
    assert all(L_b <= L_a + 1e-6 for (_, L_a), (_, L_b) in zip(suivi, suivi[1:])), «grad_not_zeroed»
assert abs(avant(5).item() - 10.0) < 1e-2, f"Après l'apprentissage, f(5) doit valoir 10 (à 0,01 près) ; ton modèle donne {avant(5).item():.3f}."
""")
    nb.locked("graphique_entrainement", PLOT_LINE)
    nb.md("erratum", ERRATUM + """
Le cours original remarquait qu'« avec Autograd, l'apprentissage demande plus d'itérations que
manuellement », et l'expliquait par une rétropropagation qui ferait un autre calcul. C'est faux :
Autograd calcule exactement la dérivée de l'erreur quadratique **moyenne**. C'est le gradient écrit à
la main à l'étape 1 qui était N = 4 fois trop grand (une somme). Avec le bon gradient, les étapes 1 et 2
donnent la même trace, ligne pour ligne.
""")
    nb.write()


def etape3():
    nb = Notebook(STEPS["etape3"])
    intro(nb, "Étape 3 : automatisation de l'optimisation et du calcul de L",
          "**Ici, l'étape 3** : le regret vient de `nn.MSELoss` et la mise à jour de `torch.optim.SGD`.")
    torch_intro(nb)
    nb.md("md_hyper", "**Apprentissage** : le pas d'apprentissage et le nombre d'itérations (ne les change pas).")
    nb.data("hyperparametres")
    nb.md("md_entrainement", """
Définis `regret = nn.MSELoss()` et `optimizer = torch.optim.SGD([w], lr=learning_rate)`, puis le corps de la
boucle : prédiction, regret, `L.backward()`, `optimizer.step()`, `optimizer.zero_grad()`.
""")
    nb.solution("entrainement", """
### BEGIN SOLUTION
regret = nn.MSELoss()  # MSE = EQM
optimizer = torch.optim.SGD([w], lr=learning_rate)
### END SOLUTION

print(f'Prédiction avant apprentissage : f(5) = {avant(5):.3f}')

# Apprentissage
historique = []
for i in range(n_iters):
    ### BEGIN SOLUTION
    # Prédiction = lecture avant
    y_pred = avant(X)

    # Regret
    L = regret(y_pred, Y)

    # Gradients = rétropropagation
    L.backward()  # dL/dw

    # Mise à jour des paramètres
    optimizer.step()

    # Vider le gradient
    optimizer.zero_grad()
    ### END SOLUTION

    historique.append((w.item(), L.item()))
    if i % 7 == 0:
        print(f'{i+1}: w = {w:.3f}, regret = {L:.8f}')

print(f'Prédiction après apprentissage : f(5) = {avant(5):.3f}')
""")
    nb.test("test_entrainement", 3, """
# Test visible : l'optimiseur est SGD sur w, et f(5) vaut 10 après l'apprentissage
for nom in ("w", "L", "avant", "optimizer"):
    assert nom in globals(), f"`{nom}` n'est pas défini : la cellule d'apprentissage doit le définir (exécute les cellules au-dessus, sans erreur)."
assert isinstance(optimizer, torch.optim.SGD) and optimizer.param_groups[0]["lr"] == learning_rate, «optimizer:params=`[w]`,detail=vérifie son type et son lr»
suivi = globals().get("historique")  # facultatif : la liste (w, L) de la cellule d'apprentissage, si tu l'as gardée
if isinstance(suivi, list) and all(isinstance(p, tuple) and len(p) == 2 for p in suivi):
    assert all(L_b <= L_a + 1e-6 for (_, L_a), (_, L_b) in zip(suivi, suivi[1:])), «grad_not_zeroed»
assert abs(avant(5).item() - 10.0) < 1e-2, f"Après l'apprentissage, f(5) doit valoir 10 (à 0,01 près) ; ton modèle donne {avant(5).item():.3f}."
""")
    nb.locked("graphique_entrainement", PLOT_LINE)
    nb.md("erratum", ERRATUM + """
Rien de faux dans cette étape du cours original, mais une habitude à prendre : les fonctions de perte de
PyTorch s'appellent `regret(prediction, cible)`, la prédiction d'abord. Pour l'EQM l'ordre ne change pas
le résultat ; à l'étape 4, il faudra aussi que les deux aient la même forme.
""")
    nb.write()


def etape4():
    nb = Notebook(STEPS["etape4"])
    intro(nb, "Étape 4 : prédiction par un modèle PyTorch",
          "**Ici, l'étape 4** : nous n'écrivons plus ni `w` ni la prédiction, nous utilisons un modèle PyTorch.")
    nb.locked("imports", "import torch\nimport torch.nn as nn")
    nb.md("md_donnees", "Les données ont maintenant la forme `(n_samples, n_features)` = `(4, 1)`.")
    nb.data("donnees")
    nb.md("md_graine", """
Les poids initiaux de `nn.Linear` sont tirés au hasard : on fixe la graine de PyTorch pour que les résultats
soient reproductibles (et la correction aussi).
""")
    nb.data("graine")
    nb.md("md_modele", "Crée le modèle : `nn.Linear(input_size, output_size)`.")
    nb.solution("modele", """
### BEGIN SOLUTION
model = nn.Linear(input_size, output_size)
### END SOLUTION
""")
    nb.test("test_modele", 1, """
# Test visible : un nn.Linear à une entrée et une sortie
assert isinstance(model, nn.Linear), "model doit être nn.Linear(input_size, output_size)."
assert (model.in_features, model.out_features) == (1, 1), "model doit avoir input_size entrée et output_size sortie."
""")
    nb.md("md_hyper", "**Apprentissage** : le pas d'apprentissage et le nombre d'itérations (ne les change pas).")
    nb.data("hyperparametres")
    nb.md("md_entrainement", """
Définis `regret` et `optimizer` (sur `model.parameters()`), puis le corps de la boucle. Attention aux formes :
la prédiction `model(X_train)` et la cible `Y_train` sont toutes deux de forme `(4, 1)`.
""")
    nb.solution("entrainement", """
print(f'Prédiction avant apprentissage : f(5) = {model(X_test).item():.3f}')

### BEGIN SOLUTION
regret = nn.MSELoss()  # MSE = EQM
optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate)
### END SOLUTION

# Apprentissage
historique = []
for i in range(n_iters):
    ### BEGIN SOLUTION
    # Prédiction = lecture avant
    y_pred = model(X_train)

    # Regret : la prédiction d'abord, puis la cible, de même forme (4, 1)
    L = regret(y_pred, Y_train)

    # Gradients = rétropropagation
    L.backward()  # dL/dw

    # Mise à jour des paramètres
    optimizer.step()

    # Vider le gradient
    optimizer.zero_grad()
    ### END SOLUTION

    [w, b] = model.parameters()
    historique.append((w[0][0].item(), L.item()))
    if i % 100 == 0:
        print(f'{i+1}: w = {w[0][0].item():.3f}, regret = {L.item():.8f}')

print(f'Prédiction après apprentissage : f(5) = {model(X_test).item():.3f}')
""")
    nb.test("test_entrainement", 3, """
# Test visible : après l'apprentissage, f(5) est proche de 10
for nom in ("model", "L", "optimizer"):
    assert nom in globals(), f"`{nom}` n'est pas défini : la cellule d'apprentissage doit le définir (exécute les cellules au-dessus, sans erreur)."
assert isinstance(optimizer, torch.optim.SGD) and optimizer.param_groups[0]["lr"] == learning_rate, «optimizer:params=`model.parameters()`,detail=vérifie son type et son lr»
assert abs(model(X_test).item() - 10.0) < 0.1, f"Après l'apprentissage, f(5) doit être proche de 10 (à 0,1 près) ; ton modèle donne {model(X_test).item():.3f}."
""")
    nb.locked("graphique_entrainement", PLOT_MODEL)

    nb.md("md_classe", """
Comme l'initialisation est aléatoire, notre modèle demande beaucoup plus d'itérations pour être « parfait ».
Si PyTorch ne possède pas le modèle que l'on veut, nous pouvons le créer nous-mêmes : une classe qui hérite
de `nn.Module`, avec `__init__` (on y définit les couches) et **`forward`** (la lecture avant), que
`model(x)` appelle.
""")
    nb.solution("regression_lineaire", """
### BEGIN SOLUTION
class LinearRegression(nn.Module):

    def __init__(self, input_dim, output_dim):
        super().__init__()
        # On définit les couches
        self.lin = nn.Linear(input_dim, output_dim)

    def forward(self, x):
        return self.lin(x)
### END SOLUTION
""")
    nb.test("test_regression_lineaire", 2, """
# Test visible : la classe hérite de nn.Module, et model(x) appelle forward
modele_test = LinearRegression(1, 1)
assert isinstance(modele_test, nn.Module), "LinearRegression doit hériter de nn.Module."
assert type(modele_test).forward is not nn.Module.forward, «avant_instead_of_forward»
assert modele_test(torch.tensor([[1.0], [2.0]])).shape == (2, 1), "LinearRegression(1, 1) doit renvoyer une sortie de forme (n, 1)."
""")
    nb.locked("utilisation_classe", """
model = LinearRegression(input_size, output_size)
print(f'Prédiction du nouveau modèle (non entraîné) : f(5) = {model(X_test).item():.3f}')
""")
    nb.md("erratum", ERRATUM + """
Trois choses, dans l'étape 4 du cours original :

1. La boucle appelait `regret(Y, y_pred)` : `Y` venait de l'étape 1, de forme `(4,)`, alors que `y_pred` est
   de forme `(4, 1)`. `nn.MSELoss` **diffuse** les deux en une matrice `(4, 4)` (avec l'avertissement
   `Using a target size ... different to the input size`) : le modèle apprend alors la moyenne de Y,
   w → 0, b → 5 et f(5) → 5. Ici on écrit `regret(y_pred, Y_train)`, la prédiction d'abord, les deux de
   forme `(4, 1)`.
2. La classe `LinearRegression` définissait `avant` au lieu de `forward` : `model(x)` levait
   `NotImplementedError: Module [LinearRegression] is missing the required "forward" function`.
3. Les poids initiaux étaient aléatoires, sans graine : on fixe ici `torch.manual_seed` pour que les
   résultats (et la correction) soient reproductibles. Le f(5) obtenu après 1001 itérations reste proche de
   10 sans l'atteindre (le cours original imprimait 9.959).
""")
    nb.md("fin", """
C'est un exemple simple car le modèle existe déjà, mais vous pouvez créer le modèle que vous voulez en
héritant de `nn.Module`. C'est la fin de ce cours ; au prochain, nous parlerons de différents modèles
existant dans PyTorch.
""")
    nb.write()


if __name__ == "__main__":
    for build in (etape1, etape2, etape3, etape4):
        build()
    print(f"wrote {OUT}")
