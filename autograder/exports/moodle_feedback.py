"""The Feedback comments cell of Moodle's grading worksheet: what the teacher wrote stays, the
kit's line goes after it.

Moodle keeps feedback comments as HTML (assignfeedback_comments stores the worksheet's text as it
is, in FORMAT_HTML) and shows a new line only between blocks, so the kit's line is a paragraph of
its own, opened by a French label that says where it comes from:

    <p>Vu en TP</p><p>Correction automatique : 17/22. À revoir — ...</p>

That label is also how a later export finds the kit's paragraph again (in its own output, or in a
worksheet downloaded after the upload, the editor's attributes included) and replaces it instead
of adding a second one.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass

LABEL = "Correction automatique"
_KIT_PARAGRAPH = re.compile(r"<p\b[^>]*>(?:\s|&nbsp;|&#160;)*" + LABEL + r"(?:\s|&nbsp;|&#160;)*:.*?</p>",
                            re.IGNORECASE | re.DOTALL)


@dataclass
class FeedbackCounts:
    added_after: int = 0      # the teacher's comment kept, the kit's line after it
    replaced: int = 0         # the teacher's comment replaced (replace_feedback)
    alone: int = 0            # no comment there: the kit's line alone
    refreshed: int = 0        # of all those, cells that held the kit's line of an earlier export


def kit_paragraph(line: str) -> str:
    return f"<p>{LABEL} : {html.escape(line, quote=False)}</p>"


def teachers_part(cell: str) -> str:
    """The cell without the kit's paragraphs: what the teacher wrote."""
    return _KIT_PARAGRAPH.sub("", cell or "").strip()


def feedback_cell(cell: str, line: str, replace: bool, counts: FeedbackCounts) -> str:
    """The new content of a Feedback comments cell that held `cell`, counted in `counts`."""
    theirs = teachers_part(cell)
    if theirs != (cell or "").strip():
        counts.refreshed += 1
    if not theirs:
        counts.alone += 1
        return kit_paragraph(line)
    if replace:
        counts.replaced += 1
        return kit_paragraph(line)
    counts.added_after += 1
    return theirs + kit_paragraph(line)
