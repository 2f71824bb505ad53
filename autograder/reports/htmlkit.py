"""Small HTML helpers shared by the student pages and the class summary (self-contained pages)."""
from __future__ import annotations

import html
import re

# A table of class "stacked" (the student's page) keeps its columns on a wide screen; on a phone
# each row becomes a block, each cell a full-width line under its column's name (data-label).
STYLE = """
* { box-sizing: border-box; }
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #222;
       line-height: 1.4; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #ccc; }
h1, h2, p, li { overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0; }
th, td { border: 1px solid #ddd; padding: .35rem .5rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
.ok { color: #17702b; font-weight: bold; } .ko { color: #b3261e; font-weight: bold; }
.note { color: #555; font-size: .9rem; } .total { font-size: 1.1rem; }
.teacher { background: #fff8e1; border-left: 4px solid #f0b400; padding: .3rem .6rem; margin: .4rem 0; }
img { max-width: 100%; height: auto; } code { background: #f3f3f3; padding: 0 .2rem; }
.figures { display: flex; flex-wrap: wrap; gap: .5rem; }
.figures img { flex: 1 1 20rem; min-width: 0; }
table.stacked { table-layout: fixed; }
table.stacked td { overflow-wrap: anywhere; }
table.stacked th:nth-child(1) { width: 34%; } table.stacked th:nth-child(2) { width: 5.5rem; }
table.stacked th:nth-child(3) { width: 7.5rem; }
@media (max-width: 40rem) {
  body { margin: 1rem auto; padding: 0 .6rem; }
  table.stacked, table.stacked tbody, table.stacked tr, table.stacked td { display: block; width: 100%; }
  table.stacked thead { display: none; }
  table.stacked tr { border: 1px solid #ccc; margin: 0 0 .8rem; }
  table.stacked td { border: none; border-bottom: 1px solid #eee; }
  table.stacked td:empty { display: none; }
  table.stacked td::before { content: attr(data-label); display: block; font-size: .8rem; color: #555; }
  table.stacked td:nth-child(2), table.stacked td:nth-child(3) { display: inline-block; width: 50%; }
}
"""


def text(value, limit: int | None = None) -> str:
    """Escaped text, with `backticked` words shown as code; cut to `limit` characters."""
    value = str(value)
    if limit is not None and len(value) > limit:
        value = value[:limit - 1] + "…"
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(value))


def image(png_base64: str, alt: str) -> str:
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{png_base64}">'


def table(heads: list[str], rows: list[list[str]]) -> str:
    """Cells are HTML already (escape them with `text`)."""
    head = "".join(f"<th>{h}</th>" for h in heads)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def stacked_table(heads: list[str], rows: dict[str, list[str]]) -> str:
    """A table that reads on a phone (see STYLE): heads are plain text, each row has a key
    (`data-key`), its cells are HTML already; an empty cell is left out on a phone."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in heads)
    body = "".join(f'<tr data-key="{html.escape(key)}">'
                   + "".join(f'<td data-label="{html.escape(h)}">{c}</td>' for h, c in zip(heads, cells))
                   + "</tr>" for key, cells in rows.items())
    return f'<table class="stacked"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def page(title: str, body: str, lang: str) -> str:
    return (f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{html.escape(title)}</title><style>{STYLE}</style></head>"
            f"<body>{body}</body></html>\n")


def points(score: float, max_score: float) -> str:
    return f"{score:g} / {max_score:g}"
