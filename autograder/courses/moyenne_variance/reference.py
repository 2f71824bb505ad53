"""The reference computations of `moyenne_variance`, in float64, and each known mistake.

Grader side only: never imported by the sandbox (a student must not be able to read it).
"""
from __future__ import annotations

import math


def _floats(x) -> list[float]:
    return [float(v) for v in x]


def moyenne(x) -> float:
    x = _floats(x)
    return math.fsum(x) / len(x)


def variance(x) -> float:
    """Population variance: the mean of the squared deviations from the mean (divided by n)."""
    x = _floats(x)
    m = moyenne(x)
    return math.fsum((v - m) ** 2 for v in x) / len(x)


def ecart_type(x) -> float:
    return math.sqrt(variance(x))


def normaliser(x) -> list[float]:
    """(x - mean) / population standard deviation."""
    m, s = moyenne(x), ecart_type(x)
    return [(float(v) - m) / s for v in x]


# --- The known mistakes: what a student's function returns when it makes one ---------------

def moyenne_variants(x) -> dict[str, float]:
    x = _floats(x)
    n, total = len(x), math.fsum(x)
    return {"moyenne_somme": total, "moyenne_n_moins_1": total / (n - 1)}


def variance_variants(x) -> dict[str, float]:
    x = _floats(x)
    n, m = len(x), moyenne(x)
    squares = math.fsum((v - m) ** 2 for v in x)
    return {
        "variance_n_moins_1": squares / (n - 1),                 # np.var(x, ddof=1), torch.var default
        "variance_ecart_type": math.sqrt(squares / n),           # the square root taken: the std
        "variance_somme": squares,                               # the sum, not divided by n
        "variance_non_centree": math.fsum(v * v for v in x) / n,  # mean of x², the mean not subtracted
        "variance_ecarts_absolus": math.fsum(abs(v - m) for v in x) / n,
    }


def variance_with_mean(x, m: float) -> float:
    """The variance a right formula gives with a (wrong) mean `m`: the student's own `moyenne`."""
    x = _floats(x)
    return math.fsum((v - m) ** 2 for v in x) / len(x)


def normaliser_variants(x) -> dict[str, list[float]]:
    x = _floats(x)
    n, m = len(x), moyenne(x)
    var = variance(x)
    s, s_corrige = math.sqrt(var), math.sqrt(var * n / (n - 1))
    return {
        "ecart_type_corrige": [(v - m) / s_corrige for v in x],   # torch.std(x) / x.std(): divides by n - 1
        "centre_seulement": [v - m for v in x],                     # not divided by the std
        "divise_par_variance": [(v - m) / var for v in x],          # divided by the variance, not its root
        "sans_centrer": [v / s for v in x],                         # the mean not subtracted
    }
