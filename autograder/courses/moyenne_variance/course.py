"""The contract of the assignment `moyenne_variance`: two notebooks, their locked data cells,
their solution cells and their graded test cells.

Imported inside the sandbox, next to student code: the stdlib and `autograder.course` only.
The notebook's own data (`Step.canonical`) is read by the machinery from the source notebooks'
locked cells, by matching the templates below.
"""
from __future__ import annotations

from autograder.course import Step

ASSIGNMENT = "moyenne_variance"

STEPS = (
    Step(
        name="etape1",
        notebook="etape1_moyenne",
        data_cells={"donnees": "x = np.array({x}, dtype=np.float64)"},
        checks=("test_moyenne", "test_variance", "test_resultats"),
        solution_cells=("moyenne", "variance", "resultats"),
    ),
    Step(
        name="etape2",
        notebook="etape2_normaliser",
        data_cells={"donnees": "x = torch.tensor({x}, dtype=torch.float32)"},
        checks=("test_normaliser", "test_resultat"),
        solution_cells=("normaliser", "resultat"),
    ),
)

# What the sandbox's warm parent runs once, before it forks: the imports the notebooks need.
WARM_UP = ("import numpy as np", "import torch")
