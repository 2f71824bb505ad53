"""What runs next to student code: replay a notebook on given data, report plain data.

Nothing here decides a grade. It returns JSON-ready dicts (numbers, lists, strings), and the
checks, in the grader's process, compare them with the reference.
"""
from .cells import Cell, cells_from_notebook  # noqa: F401
from .steps import observe  # noqa: F401
