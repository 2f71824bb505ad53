"""Pure reference computations remembered for the length of a grading run.

A course's reference descents are pure functions of their arguments, and the notebook's own data
is the same for every student, so in a class each distinct call is computed once. A course's
`prepare()` calls `memoize(module, names)`: the checks call `module.<name>` at run time, which
this wraps in the grader's process only.
"""
from __future__ import annotations

import copy
import functools


def _frozen(value):
    if isinstance(value, (list, tuple)):
        return tuple(_frozen(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    return value


def _memo(fn):
    cache: dict = {}

    @functools.wraps(fn)
    def remembered(*args, **kwargs):
        key = (_frozen(args), _frozen(kwargs))
        if key not in cache:
            cache[key] = fn(*args, **kwargs)
        return copy.deepcopy(cache[key])

    remembered.kit_memoized = True
    return remembered


def memoize(module, names) -> None:
    for name in names:
        fn = getattr(module, name)
        if not getattr(fn, "kit_memoized", False):
            setattr(module, name, _memo(fn))

