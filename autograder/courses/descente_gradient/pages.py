"""What the student's summary page (`resume.html`) says of this lesson, in French: the titles of
its steps, what each check checks in the student's terms, the answer cells an instructor may
comment on, and the sentences around the training curves. Grader side only."""
from __future__ import annotations

from autograder.course import CurveText

TITLE = "Descente de gradient avec PyTorch"

STEP_TITLES = {
    "etape1": "Étape 1 — La descente de gradient à la main, avec NumPy",
    "etape2": "Étape 2 — Le gradient calculé par PyTorch (Autograd)",
    "etape3": "Étape 3 — La perte et l'optimiseur de PyTorch",
    "etape4": "Étape 4 — Un modèle PyTorch : nn.Linear et nn.Module",
}

_AVANT = "La prédiction : `avant(x)` renvoie `w * x`, avec le `w` du notebook"
_TRAINING = ("L'apprentissage : `w` et le regret `L` après les `n_iters` itérations, sur les données du notebook "
             "et sur d'autres données, et f(5) proche de 10")

CHECK_TITLES = {
    "etape1": {
        "test_avant": _AVANT,
        "test_regret": "Le regret : `regret(y, y_predit)` est la moyenne des carrés des écarts",
        "test_gradient": "Le gradient : `gradient(x, y, y_predit)` est la moyenne de 2x·(y_predit − y)",
        "test_entrainement": _TRAINING,
    },
    "etape2": {
        "test_avant": _AVANT + " (un tenseur)",
        "test_regret": "Le regret sur des tenseurs : la moyenne des carrés des écarts",
        "test_entrainement": _TRAINING,
    },
    "etape3": {
        "test_avant": _AVANT + " (un tenseur)",
        "test_entrainement": ("L'apprentissage avec `nn.MSELoss()` et `torch.optim.SGD([w], lr=learning_rate)` : "
                              "`w` et `L` après les `n_iters` itérations, sur les données du notebook et sur "
                              "d'autres données, et f(5) proche de 10"),
    },
    "etape4": {
        "test_modele": "Le modèle : `nn.Linear` à une entrée et une sortie",
        "test_entrainement": ("L'apprentissage du modèle (SGD sur `model.parameters()`) : son poids, son biais et "
                              "le regret après les `n_iters` itérations, et f(5) proche de 10"),
        "test_regression_lineaire": ("La classe `LinearRegression` : elle hérite de `nn.Module`, définit `forward` "
                                     "et apprend comme `nn.Linear`"),
    },
}

_FUNCTIONS = {"avant": "Ta fonction `avant`", "regret": "Ta fonction `regret`",
              "entrainement": "Ta cellule d'apprentissage"}
ANSWER_TITLES = {
    "etape1": {**_FUNCTIONS, "gradient": "Ta fonction `gradient`"},
    "etape2": _FUNCTIONS,
    "etape3": _FUNCTIONS,
    "etape4": {"modele": "Ton modèle", "entrainement": "Ta cellule d'apprentissage",
               "regression_lineaire": "Ta classe `LinearRegression`"},
}

CURVE = CurveText(
    both=("Ton apprentissage (en bleu) et la descente de référence (en noir pointillé), sur les données du "
          "notebook : le regret `L` et `w` à chaque itération."),
    reference_only=("La descente de référence (en noir pointillé), sur les données du notebook : le regret `L` et "
                    "`w` à chaque itération."),
    yours_only="Ton apprentissage, sur les données du notebook : le regret `L` et `w` à chaque itération.",
    missing=("Pas de courbe pour ton apprentissage : ta cellule d'apprentissage n'a pas rempli la liste "
             "`historique`. Cette liste ne sert qu'à tracer la courbe : son absence ne te retire aucun point."),
    loss="regret L",
    parameter="w",
)
