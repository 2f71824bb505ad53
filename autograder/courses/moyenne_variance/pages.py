"""What the student's summary page (`resume.html`) says of this exercise, in French: the titles
of its steps, what each check checks in the student's terms, and the answer cells an instructor
may comment on. No training curve. Grader side only."""
from __future__ import annotations

TITLE = "Moyenne et variance"

STEP_TITLES = {
    "etape1": "Étape 1 — La moyenne et la variance, avec NumPy",
    "etape2": "Étape 2 — Normaliser des données avec PyTorch",
}

CHECK_TITLES = {
    "etape1": {
        "test_moyenne": "La moyenne : `moyenne(x)` est la somme des valeurs divisée par leur nombre n",
        "test_variance": ("La variance : `variance(x)` est la moyenne des carrés des écarts à la moyenne "
                          "(divisée par n)"),
        "test_resultats": ("Les résultats : `m` et `v` calculés avec tes fonctions, sur les données du notebook et "
                           "sur d'autres données"),
    },
    "etape2": {
        "test_normaliser": ("La normalisation : `normaliser(x)` renvoie (x − moyenne) / écart-type, "
                            "l'écart-type de la population"),
        "test_resultat": ("Le résultat : `z`, les données normalisées par ta fonction, sur les données du notebook "
                          "et sur d'autres données"),
    },
}

ANSWER_TITLES = {
    "etape1": {"moyenne": "Ta fonction `moyenne`", "variance": "Ta fonction `variance`",
               "resultats": "Ta cellule de résultats"},
    "etape2": {"normaliser": "Ta fonction `normaliser`", "resultat": "Ta cellule de résultat"},
}
