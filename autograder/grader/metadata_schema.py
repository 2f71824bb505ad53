"""nbgrader's cell-metadata schema, compiled once (see `CompiledSchema`)."""
from __future__ import annotations

import json

from .nbgrader_internals import replace_metadata_jsonschema

class CompiledSchema:
    """Stands for the `jsonschema` module in nbgrader's metadata validator: each cell's metadata
    is checked against nbgrader's schema compiled once with fastjsonschema (as nbformat checks
    notebooks); metadata that fails is validated again by jsonschema, whose error is nbgrader's.
    nbgrader re-reads and re-checks its constant schema for every cell, most of the time of
    CheckCellMetadata."""

    def __init__(self):
        import fastjsonschema
        import jsonschema

        self._jsonschema, self._fast = jsonschema, fastjsonschema
        self._by_text: dict[str, object] = {}
        self._last: tuple[dict | None, object] = (None, None)

    def validate(self, instance, schema):
        last_schema, check = self._last
        if last_schema is not schema:
            text = json.dumps(schema, sort_keys=True)
            if text not in self._by_text:
                self._jsonschema.validators.validator_for(schema).check_schema(schema)
                self._by_text[text] = self._fast.compile(schema)
            check = self._by_text[text]
            self._last = (schema, check)
        try:
            check(instance)
        except self._fast.JsonSchemaException:
            self._jsonschema.validate(instance, schema)

    def __getattr__(self, name):
        return getattr(self._jsonschema, name)


def validate_schema_once() -> None:
    replace_metadata_jsonschema(CompiledSchema)
