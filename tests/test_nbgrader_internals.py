"""The private parts of nbgrader and nbconvert the kit's grader touches
(`autograder/grader/nbgrader_internals.py`), checked against the pinned versions: each one is
still there and still does what the kit relies on."""
from __future__ import annotations

import copy
import importlib
import json

import pytest

from autograder.grader import nbgrader_internals as internals
from autograder.nbgrader_cli import ROOT


def test_the_pinned_versions_are_the_checked_ones():
    internals.check_versions()


def test_another_version_stops_the_grader_with_a_clear_message(monkeypatch):
    monkeypatch.setattr(internals, "version", lambda name: "0.10.0" if name == "nbgrader" else internals.CHECKED[name])
    with pytest.raises(internals.UncheckedVersion) as error:
        internals.check_versions()
    message = str(error.value)
    assert "nbgrader 0.10.0 (checked: 0.9.6)" in message, message
    assert "nbgrader_internals.py" in message and "nbgrader autograde" in message, message


def test_every_module_that_opens_a_gradebook_names_the_class_and_is_rebound_then_restored():
    from nbgrader import api

    modules = [importlib.import_module(name) for name in internals.GRADEBOOK_USERS]
    assert all(m.Gradebook is api.Gradebook for m in modules), "each module holds nbgrader's Gradebook by name"
    stand_in, engine = object(), object()
    with internals.gradebook_rebound(stand_in, engine):
        assert all(m.Gradebook is stand_in for m in modules) and api.create_engine is engine
    assert all(m.Gradebook is api.Gradebook for m in modules) and api.create_engine is not engine


def test_nbgraders_autograde_reads_its_pass_from_the_sanitizing_flag(tmp_path):
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.converters import Autograde

    converter = Autograde(coursedir=CourseDirectory(root=str(tmp_path)))
    internals.set_sanitizing(converter, True)
    assert internals.is_sanitizing(converter)
    folder = internals.submission_folder(converter, "devoir", "alice")
    assert folder.endswith("submitted/alice/devoir"), "the sanitize pass reads the submission: " + folder
    internals.set_sanitizing(converter, False)
    assert internals.submission_folder(converter, "devoir", "alice").endswith("autograded/alice/devoir"), \
        "the autograde pass reads the sanitized copy"
    assert internals.autograded_folder(converter, "devoir", "alice").endswith("autograded/alice/devoir")


def test_the_pass_without_a_second_copy_gives_nbconverts_result():
    import nbformat
    from nbconvert.exporters import NotebookExporter
    from nbconvert.preprocessors import ClearOutputPreprocessor

    source = next((ROOT / "source").rglob("*.ipynb"))
    nb = nbformat.read(source, as_version=4)
    nb.cells[0].setdefault("outputs", [])
    exporter = NotebookExporter()
    exporter.register_preprocessor(ClearOutputPreprocessor(), enabled=True)
    theirs, _ = exporter._preprocess(copy.deepcopy(nb), {})
    ours, _ = internals.preprocess_without_second_copy(exporter, copy.deepcopy(nb), {})
    assert json.dumps(ours, sort_keys=True) == json.dumps(theirs, sort_keys=True)


def test_nbgraders_metadata_validator_uses_the_replacement():
    from nbgrader.nbgraderformat import common

    from autograder.grader.metadata_schema import CompiledSchema, validate_schema_once

    validate_schema_once()
    assert isinstance(common.jsonschema, CompiledSchema)
    validate_schema_once()
    assert isinstance(common.jsonschema, CompiledSchema), "replaced once, not wrapped twice"
    from jsonschema import ValidationError
    from nbformat import from_dict
    from nbgrader.nbgraderformat import MetadataValidator

    bad = from_dict({"cell_type": "code", "source": "", "outputs": [], "execution_count": None, "metadata": {
        "nbgrader": {"grade": True, "solution": False, "locked": "oui", "grade_id": "x", "points": 1,
                     "schema_version": 3, "task": False}}})
    with pytest.raises(ValidationError) as error:
        MetadataValidator().validate_cell(bad)
    assert "'oui' is not of type 'boolean'" in str(error.value), "nbgrader's own error, from jsonschema"
