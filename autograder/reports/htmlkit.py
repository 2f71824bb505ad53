"""Small HTML helpers shared by the student pages and the class summary (self-contained pages)."""
from __future__ import annotations

import html
import re

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0; }
th, td { border: 1px solid #ddd; padding: .35rem .5rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
.ok { color: #17702b; font-weight: bold; } .ko { color: #b3261e; font-weight: bold; }
.note { color: #555; font-size: .9rem; } .total { font-size: 1.1rem; }
img { max-width: 100%; } code { background: #f3f3f3; padding: 0 .2rem; }
"""


def text(value) -> str:
    """Escaped text, with `backticked` words shown as code."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(str(value)))


def image(png_base64: str, alt: str) -> str:
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{png_base64}">'


def table(heads: list[str], rows: list[list[str]]) -> str:
    """Cells are HTML already (escape them with `text`)."""
    head = "".join(f"<th>{h}</th>" for h in heads)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def page(title: str, body: str, lang: str) -> str:
    return (f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8">'
            f"<title>{html.escape(title)}</title><style>{STYLE}</style></head>"
            f"<body>{body}</body></html>\n")


def points(score: float, max_score: float) -> str:
    return f"{score:g} / {max_score:g}"
