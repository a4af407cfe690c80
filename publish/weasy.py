"""How dun drives WeasyPrint: the options, the stylesheets, a lean user-agent stylesheet, and
:func:`render`, the one function every PDF is written by. Nothing here is kept between PDFs
but the lean user-agent stylesheet (made once from WeasyPrint's own); ``publish.pdf`` keeps
each process's parsed print stylesheet and font configuration and passes them in.

WeasyPrint is imported inside the functions: a building process whose workers render the
PDFs never pays for its import.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .paths import ASSETS

PAPERS = {"A4": "A4", "Letter": "letter"}
BASE_URL = ASSETS.as_uri() + "/"

# Deterministic output: no creation date and a fixed identifier unless asked.
PDF_OPTIONS = {"hinting": False, "optimize_images": False, "uncompressed_pdf": False}

# What the lean user-agent stylesheet leaves out matters only to a document or stylesheet that
# names one of these (footnotes, notes, list items other than <li>); any that does gets
# WeasyPrint's own.
_NEEDS_STOCK_UA = ("footnote", "note(", "list-item")


@lru_cache(maxsize=1)
def options() -> dict:
    """:data:`PDF_OPTIONS` and how the fonts go in. Where WeasyPrint subsets with HarfBuzz (C),
    a PDF embeds only the glyphs it draws: embedding a font whole costs more (every glyph's
    width and Unicode mapping read with fontTools and written, the whole font compressed), and
    its widths are not rounded as the layout rounded them, so glyphs drift by fractions of a
    point along a line. Without HarfBuzz, WeasyPrint would subset with fontTools (Python, slower
    than embedding whole): the font goes in whole."""
    from weasyprint.text.ffi import harfbuzz, harfbuzz_subset

    subsets_fast = harfbuzz_subset is not None and bool(harfbuzz.hb_version_atleast(4, 1, 0))
    return {**PDF_OPTIONS, "full_fonts": not subsets_fast}


@dataclass(frozen=True)
class Sheets:
    """The parsed print stylesheet and ``@page`` size, and whether its text allows the lean
    user-agent stylesheet."""
    sheets: tuple
    lean_ua: bool


def stylesheets(css: bytes, size: str, font_config, fetch) -> Sheets:
    """``css`` (print.css's bytes) and an ``@page`` of ``size`` parsed, their ``@font-face``
    fonts added to ``font_config`` and fetched by ``fetch``."""
    from weasyprint import CSS

    text = css.decode("utf-8")
    base = CSS(string=text, base_url=BASE_URL, url_fetcher=fetch, font_config=font_config)
    page = CSS(string=f"@page {{ size: {size}; }}", base_url=BASE_URL, url_fetcher=fetch, font_config=font_config)
    return Sheets((base, page), not any(word in text for word in _NEEDS_STOCK_UA))


def lean_ua_text(ua: str) -> str:
    """WeasyPrint's user-agent stylesheet ``ua`` without the rules every element matches for
    pseudo-elements a statement, letter or report never has: ``::footnote-call``,
    ``::footnote-marker`` and the ``::note-*`` family (an element floated to a footnote or
    positioned as a note), and ``::marker`` kept for ``<li>`` only (the one list item of the
    user-agent stylesheet). WeasyPrint works out a style for each such pseudo-element of every
    element, six per element, that nothing then uses."""
    lean = re.sub(r"(?m)^::(footnote-call|footnote-marker|note-call|note-marker|note-callback) \{[^}\n]*\}$",
                  "", ua)
    return re.sub(r"(?m)^::marker \{", "li::marker {", lean)


@lru_cache(maxsize=1)
def _lean_html():
    """WeasyPrint's ``HTML`` with the lean user-agent stylesheet in place of its own (forms'
    stylesheet and any other left as they are), or None where there is nothing to leave out (a
    WeasyPrint whose stylesheet differs from the one this was written for)."""
    from weasyprint import CSS, HTML, html
    from weasyprint.css.counters import CounterStyle

    lean = lean_ua_text(html.UA)
    if lean == html.UA:
        return None
    stock = html.UA_STYLESHEET
    # its @counter-style rules go to a counter style of its own: WeasyPrint's, which every
    # document copies, already has the same ones from its own stylesheet
    sheet = CSS(string=lean, counter_style=CounterStyle())

    class LeanHTML(HTML):
        def _ua_stylesheets(self, *args, **kwargs):
            return [sheet if s is stock else s for s in super()._ua_stylesheets(*args, **kwargs)]

    return LeanHTML


def render(html: str, sheets: Sheets, font_config, fetch, stock_ua: bool = False) -> bytes:
    """``html`` to PDF bytes with the parsed ``sheets`` (see :func:`stylesheets`), the
    ``font_config`` they were parsed with and the URL fetcher ``fetch``: the one way every PDF
    is written, with the kept stylesheets and font configuration (``publish.pdf.html_to_pdf``)
    or fresh ones. The lean user-agent stylesheet unless ``stock_ua`` or the stylesheet or the
    document names what it leaves out."""
    from weasyprint import HTML

    lean = not stock_ua and sheets.lean_ua and not any(word in html for word in _NEEDS_STOCK_UA)
    kind = (_lean_html() if lean else None) or HTML
    doc = kind(string=html, base_url=BASE_URL, url_fetcher=fetch)
    return doc.write_pdf(stylesheets=list(sheets.sheets), font_config=font_config, pdf_identifier=b"dun",
                         **options())
