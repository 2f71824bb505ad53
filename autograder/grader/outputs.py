"""The student's own outputs, as the sandbox recorded them (untrusted), made plain nbformat
outputs again here: only known output types, fields and MIME types, strings only."""
from __future__ import annotations

from ..observe.cells import MIME_TYPES

MAX_CELLS = 2000
MAX_OUTPUTS = 200


def _str(value) -> str | None:
    """A string that can be written as UTF-8 (a lone surrogate printed by a student becomes '?')."""
    return value.encode("utf-8", "replace").decode("utf-8") if isinstance(value, str) else None


def _count(value) -> int | None:
    return value if type(value) is int and 0 < value < 10**9 else None


def _output(o) -> dict | None:
    if not isinstance(o, dict):
        return None
    kind = o.get("output_type")
    if kind == "stream":
        text = _str(o.get("text"))
        return {"output_type": "stream", "name": o.get("name"), "text": text} \
            if text is not None and o.get("name") in ("stdout", "stderr") else None
    if kind in ("display_data", "execute_result"):
        data = o.get("data")
        if not isinstance(data, dict):
            return None
        data = {mime: _str(data[mime]) for mime in MIME_TYPES if isinstance(data.get(mime), str)}
        if not data:
            return None
        metadata = {}
        for mime, sizes in (o.get("metadata") or {}).items() if isinstance(o.get("metadata"), dict) else ():
            if mime in data and isinstance(sizes, dict):
                kept = {k: v for k, v in sizes.items() if k in ("width", "height") and type(v) in (int, float)}
                if kept:
                    metadata[mime] = kept
        out = {"output_type": kind, "data": data, "metadata": metadata}
        if kind == "execute_result":
            out["execution_count"] = _count(o.get("execution_count"))
        return out
    if kind == "error":
        ename, evalue, traceback = _str(o.get("ename")), _str(o.get("evalue")), o.get("traceback")
        if ename is None or evalue is None or not isinstance(traceback, list):
            return None
        return {"output_type": "error", "ename": ename, "evalue": evalue,
                "traceback": [_str(line) for line in traceback if isinstance(line, str)]}
    return None


def _cell(c) -> dict | None:
    if not isinstance(c, dict):
        return None
    count = _count(c.get("execution_count"))
    if c.get("test") is True:
        return {"execution_count": count, "test": True}
    outputs = c.get("outputs") if isinstance(c.get("outputs"), list) else []
    return {"execution_count": count,
            "outputs": [o for o in map(_output, outputs[:MAX_OUTPUTS]) if o is not None]}


def recorded_cells(observation) -> list[dict | None]:
    """Per code cell of the notebook, its execution count and outputs from the notebook's own run
    ([] when the observation has none)."""
    try:
        cells = observation["runs"][0]["cells"]
    except (KeyError, IndexError, TypeError):
        return []
    return [_cell(c) for c in cells[:MAX_CELLS]] if isinstance(cells, list) else []
