"""What runs next to student code: replay a notebook on given data, report plain data.

Nothing here decides a grade. It returns JSON-ready dicts (numbers, lists, strings), and the
checks, in the grader's process, compare them with the reference.
"""
from .cells import Cell, cells_from_notebook  # noqa: F401


def observe(step_name: str, cells: list, tirage: dict) -> dict:
    """What the checks of the step need, read by the step's course (named in the draw)."""
    from ..course import load

    return load(tirage["assignment"]).observe(step_name, cells, tirage)
