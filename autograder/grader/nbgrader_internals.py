"""Every use the kit makes of nbgrader's and nbconvert's private members, in one place.

The kit's grader reuses nbgrader's converter, preprocessors and gradebook through their public
API wherever it can. What follows is where it cannot: each item says which private member it
touches and why. They were checked against the versions in `CHECKED`; `check_versions()` stops the
grader with a clear message on any other (`tests/test_nbgrader_internals.py` runs each item
against the pinned versions).
"""
from __future__ import annotations

import contextlib
import importlib
import sys
from importlib.metadata import version

CHECKED = {"nbgrader": "0.9.6", "nbconvert": "7.17.2", "nbformat": "5.11.1"}


class UncheckedVersion(RuntimeError):
    pass


def check_versions() -> None:
    """Raise `UncheckedVersion` unless nbgrader, nbconvert and nbformat are the checked versions."""
    wrong = {name: version(name) for name, checked in CHECKED.items() if version(name) != checked}
    if wrong:
        found = ", ".join(f"{name} {v} (checked: {CHECKED[name]})" for name, v in wrong.items())
        raise UncheckedVersion(
            f"the kit's grader relies on private parts of nbgrader and nbconvert checked against "
            f"{', '.join(f'{n} {v}' for n, v in CHECKED.items())}; this machine has {found}. Install "
            "the pinned versions (requirements.txt), or grade with `nbgrader autograde`, then check "
            "autograder/grader/nbgrader_internals.py against the new versions and update CHECKED.")


def skip_iri_grammar() -> None:
    """jsonschema (under nbformat) imports `rfc3987_syntax`, when installed, for its "iri" string
    format: a grammar built for about 1 s at start-up. Neither nbformat's nor nbgrader's schemas
    use that format. Call before nbformat is imported."""
    sys.modules.setdefault("rfc3987_syntax", None)


# --- nbconvert: Exporter._preprocess ---------------------------------------------------------

def preprocess_without_second_copy(exporter, nb, resources):
    """nbconvert's `Exporter._preprocess` minus its deep copy of `nb` (the caller's pass already
    made its own copy): normalise, run the preprocessors, validate once."""
    from nbformat import validator

    _, nb = validator.normalize(nb)
    for preprocessor in exporter._preprocessors:
        nb, resources = preprocessor(nb, resources)
    exporter._validate_preprocessor(nb, exporter._preprocessors[-1] if exporter._preprocessors else None)
    return nb, resources


# --- nbgrader's converter: its pass switch and path formats ----------------------------------

def set_sanitizing(converter, sanitizing: bool) -> None:
    """Tell `converter` (an nbgrader `Autograde`) which of its two passes runs next, as its
    `convert_single_notebook` does: its input and output folders follow (`_sanitizing`)."""
    converter._sanitizing = sanitizing


def is_sanitizing(converter) -> bool:
    return converter._sanitizing


def submission_folder(converter, assignment: str, student: str, escape: bool = False) -> str:
    return converter._format_source(assignment, student, escape=escape)


def autograded_folder(converter, assignment: str, student: str) -> str:
    return converter._format_dest(assignment, student)


# --- nbgrader's metadata validator -----------------------------------------------------------

def replace_metadata_jsonschema(replacement_factory) -> None:
    """nbgrader's metadata validator calls `jsonschema.validate` through the name `jsonschema` of
    `nbgrader.nbgraderformat.common`; give it `replacement_factory()` instead (once)."""
    from nbgrader.nbgraderformat import common

    if not getattr(common.jsonschema, "kit_replacement", False):
        replacement = replacement_factory()
        replacement.kit_replacement = True
        common.jsonschema = replacement


# --- nbgrader's Gradebook, as its autograde modules name it ----------------------------------

# nbgrader's modules that open gradebooks during autograde, each holding its own name for the class
GRADEBOOK_USERS = ("nbgrader.converters.autograde", "nbgrader.preprocessors.overwritecells",
                   "nbgrader.preprocessors.overwritekernelspec", "nbgrader.preprocessors.saveautogrades",
                   "nbgrader.preprocessors.latesubmissions", "autograder.grader.converter")


@contextlib.contextmanager
def gradebook_rebound(gradebook_factory, engine_factory):
    """While active, `Gradebook(...)` in nbgrader's autograde modules (and the kit's converter) is
    `gradebook_factory(...)`, and `nbgrader.api` creates its engines with `engine_factory`."""
    from nbgrader import api

    modules = [importlib.import_module(name) for name in GRADEBOOK_USERS]
    saved = [(m, "Gradebook", m.Gradebook) for m in modules] + [(api, "create_engine", api.create_engine)]
    for module in modules:
        module.Gradebook = gradebook_factory
    api.create_engine = engine_factory
    try:
        yield
    finally:
        for module, name, original in saved:
            setattr(module, name, original)
