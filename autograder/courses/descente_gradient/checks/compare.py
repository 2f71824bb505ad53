"""Tolerant comparison of plain student values with reference values, and reading of errors."""
from __future__ import annotations

import math
import re

from .feedback import Feedback, feedback

RTOL, ATOL = 1e-3, 1e-5


def flat(value) -> list[float]:
    if isinstance(value, (list, tuple)):
        return [x for v in value for x in flat(v)]
    return [math.nan if value is None else float(value)]


def close(got, expected, rtol: float = RTOL, atol: float = ATOL) -> bool:
    """Element-wise |got - expected| <= atol + rtol·|expected|, on equal lengths; NaN is never close."""
    got, expected = flat(got), flat(expected)
    return len(got) == len(expected) and all(
        math.isfinite(g) and abs(g - e) <= atol + rtol * abs(e) for g, e in zip(got, expected))


def show(value) -> str:
    values = flat(value)
    text = ", ".join(f"{v:.6g}" for v in values)
    return text if len(values) == 1 else f"[{text}]"


_ERROR_CAUSES = [
    (r'missing the required "forward" function', "avant_instead_of_forward", {}),
    (r"leaf Variable that requires grad is being used in an in-place operation", "update_outside_no_grad", {}),
    (r"does not require grad and does not have a grad_fn|'NoneType' object has no attribute 'zero_'"
     r"|unsupported operand type\(s\) for \*: '\w+' and 'NoneType'", "w_rebound", {}),
    (r"Only Tensors of floating point|must have the same dtype|expected scalar type|"
     r"Found dtype Long|can't be cast to the desired output type Long|not implemented for 'Long'",
     "integer_tensor", None),
]


def explain_error(error: dict) -> Feedback:
    """The French message for an exception that a student cell raised."""
    message = error.get("message", "")
    for pattern, code, details in _ERROR_CAUSES:
        if re.search(pattern, message):
            return feedback(code, **(details if details is not None else {"message": message[:200]}))
    if error.get("type") == "NotImplementedError":
        return feedback("not_done", cell=error.get("cell", "?"))
    return feedback("error", cell=error.get("cell", "?"), type=error.get("type"), message=message[:300])


def first_error(run: dict, cells: tuple[str, ...]) -> dict | None:
    """The first error raised by one of `cells`, or by any cell before their test cell (a cell the
    student added or rewrote counts as part of the exercise it precedes)."""
    for error in run.get("errors", []):
        if error.get("cell") in cells or error.get("section") in cells:
            return error
    return None


def numbers(result: dict | None, what: str, expected: str) -> list[float]:
    """The numbers inside a plain value, or an AssertionError that says why there are none."""
    if isinstance(result, dict) and "error" in result and "value" not in result:
        error = dict(result["error"])
        error.setdefault("cell", re.sub(r"\W.*", "", what.strip("`")))
        raise AssertionError(explain_error(error))
    value = result.get("value") if isinstance(result, dict) and "kind" not in result else result
    if not isinstance(value, dict) or value.get("kind") not in ("number", "ndarray", "tensor"):
        got = "None" if value is None else f"un objet de type `{value.get('type')}`"
        raise AssertionError(feedback("not_a_number", what=what, expected=expected, got=got))
    if str(value.get("dtype", "")).startswith(("torch.int", "torch.long", "int")):
        raise AssertionError(feedback("integer_tensor", message=f"{what} est de type {value['dtype']}"))
    if "value" not in value:
        raise AssertionError(feedback("not_a_number", what=what, expected=expected,
                                      got=f"un objet illisible de type `{value.get('type')}`"))
    return flat(value["value"])


def warned_broadcast(run: dict) -> str | None:
    for w in run.get("warnings", []):
        if "target size" in w.get("message", ""):
            return w["message"]
    return None
