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


# --- nbconvert: HTMLExporter's BeautifulSoup pass -----------------------------------------------

IMG_ALT = "No description has been provided for this image"   # nbconvert's words
_IMG_TAG = None


def _img_tag():
    """A start tag `<img ...>` as Python's html.parser (bs4's "html.parser") tokenizes it."""
    global _IMG_TAG
    if _IMG_TAG is None:
        import re
        from html import parser

        _IMG_TAG = (re.compile(r"<img(?=[\s/>])", re.I), parser.tagfind_tolerant, parser.locatestarttagend_tolerant,
                    parser.attrfind_tolerant)
    return _IMG_TAG


def alt_text_added(html: str) -> str | None:
    """What nbconvert's HTMLExporter does after rendering, without parsing the whole page into a
    BeautifulSoup tree and writing it out again (two thirds of a feedback page's time): the
    alternative text added to each `<img>` without one, after its attributes, where bs4 puts it.
    None when the page has what this cannot do as bs4 would (lab-template cells, which get a
    tabindex; `<img` inside a script or a style, which the parser does not tokenize; a tag it
    cannot delimit): the caller then runs nbconvert's own pass. `str(BeautifulSoup(result,
    "html.parser"))` is nbconvert's page (tests/test_feedback_page.py checks it)."""
    if "jp-Cell-inputWrapper" in html or "jp-OutputArea-output" in html:
        return None
    start_tag, tag_name, tag_end, attribute = _img_tag()
    out, done, lowered = [], 0, html.lower()
    for found in start_tag.finditer(html):
        begin = found.start()
        if _inside_raw_text(lowered, begin):
            return None
        j = tag_end.match(html, begin).end()
        if not html.startswith((">", "/>"), j):
            return None
        close = j
        names, k = set(), tag_name.match(html, begin + 1).end()
        while k < close:   # the attributes, as HTMLParser.parse_starttag reads them
            m = attribute.match(html, k)
            if not m:
                break
            names.add(m.group(1).lower())
            k = m.end()
        if "alt" in names:
            continue
        out += [html[done:close], f' alt="{IMG_ALT}"']
        done = close
    return "".join(out) + html[done:]


def _inside_raw_text(lowered: str, position: int) -> bool:
    """`position` of the page (in lower case) is inside a <script> or <style> element (raw text
    for the parser)."""
    for name in ("script", "style"):
        opened = lowered.rfind(f"<{name}", 0, position)
        if opened != -1 and lowered.rfind(f"</{name}", opened, position) == -1:
            return True
    return False


HIGHLIGHTED_KEPT = 4096   # code cells whose highlighted HTML a feedback process keeps


def remembered_highlight_class():
    """nbconvert's `Highlight2HTML` filter, whose HTML for a cell depends only on its source, the
    language, the formatter's options and the one metadata key that nbconvert's private
    `_pygments_highlight` reads (`magics_language`), remembering what it made: the cells every
    student's notebook shares (the lesson's read-only and test cells) are highlighted once per
    feedback process, not once per page (highlighting was 40 % of a page's time)."""
    from nbconvert.filters.highlight import Highlight2HTML

    class RememberedHighlight(Highlight2HTML):
        made: dict = {}

        def __call__(self, source, language=None, metadata=None):
            key = (self.pygments_lexer, repr(sorted(self.extra_formatter_options.items())), language,
                   (metadata or {}).get("magics_language"), source)
            html = self.made.get(key)
            if html is None:
                html = super().__call__(source, language, metadata)
                if len(self.made) >= HIGHLIGHTED_KEPT:
                    self.made.clear()
                self.made[key] = html
            return html

    return RememberedHighlight


def feedback_html_exporter_class():
    """nbconvert's HTMLExporter whose `from_notebook_node` is its own (filters registered, the
    template rendered) followed by `alt_text_added` instead of the BeautifulSoup pass, when it
    can; its code cells highlighted by `remembered_highlight_class`."""
    from nbconvert.exporters import HTMLExporter, TemplateExporter
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

    Highlight = remembered_highlight_class()

    class FeedbackHTMLExporter(HTMLExporter):
        def from_notebook_node(self, nb, resources=None, **kw):
            langinfo = nb.metadata.get("language_info", {})
            lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
            highlight_code = self.filters.get("highlight_code", Highlight(pygments_lexer=lexer, parent=self))
            resources = self._init_resources(resources)
            filter_data_type = WidgetsDataTypeFilter(notebook_metadata=self._nb_metadata, parent=self,
                                                     resources=resources)
            self.register_filter("highlight_code", highlight_code)
            self.register_filter("filter_data_type", filter_data_type)
            html, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
            fast = alt_text_added(html)
            return (fast if fast is not None else self._soup_pass(html)), resources

        def _soup_pass(self, html: str) -> str:
            from bs4 import BeautifulSoup

            soup = BeautifulSoup(html, features="html.parser")
            for elem in soup.select("img:not([alt])"):
                elem.attrs["alt"] = IMG_ALT
            for elem in soup.select(".jp-Notebook div.jp-Cell-inputWrapper"):
                elem.attrs["tabindex"] = "0"
            for elem in soup.select(".jp-Notebook div.jp-OutputArea-output"):
                elem.attrs["tabindex"] = "0"
            return str(soup)

    return FeedbackHTMLExporter
