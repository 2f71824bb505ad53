"""Hidden checks of step 2 (autograd, update by hand under torch.no_grad())."""
from .etape1 import F5_ATOL, read, simulate, trace
from .etape1 import test_avant, test_regret  # noqa: F401  (the same checks, on tensors)
from ..course import STEPS
from .training import check_training


def test_entrainement(tirage, observation):
    check_training(tirage, observation, simulate=simulate, read=read,
                   variants=STEPS["etape2"].mistakes, trace=trace,
                   canonical={"f5_atol": F5_ATOL}, label="(w, L)")
