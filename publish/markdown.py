"""Markdown that cannot smuggle anything into a page or a PDF.

markdown-it-py's ``commonmark`` preset with raw HTML off, only ``http``, ``https`` and
``mailto`` links, and images rendered as their alt text (never fetched, never embedded).
With the stock preset and a ``|safe`` filter, ``<link rel="attachment" href="file:///...">``
in a note embeds the file into the PDF; here it comes out as inert text.
"""
from __future__ import annotations

import re
from functools import lru_cache
from html import escape
from typing import Any

from markdown_it import MarkdownIt
from markupsafe import Markup

ALLOWED_SCHEMES = ("http:", "https:", "mailto:")


def _validate_link(url: str) -> bool:
    return url.strip().lower().startswith(ALLOWED_SCHEMES)


def _image_as_text(self, tokens, idx, options, env) -> str:
    token = tokens[idx]
    alt = self.renderInlineAsText(token.children or [], options, env)
    return escape(f"[image: {alt}]" if alt else "[image]")


@lru_cache(maxsize=1)
def parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.validateLink = _validate_link
    md.add_render_rule("image", _image_as_text)
    return md


def render(text: str) -> Markup:
    """Markdown to safe HTML."""
    return Markup(parser().render(text or ""))


def render_inline(text: str) -> Markup:
    return Markup(parser().renderInline(text or ""))


# -- data into Markdown -------------------------------------------------------------------------

# What can start Markdown syntax anywhere in a line: escapes, code, emphasis, links and
# images ('(' and ')' matter only after a ']', escaped here), an autolink ('<' before a
# letter: raw HTML is off anyway) and an entity ('&' before a name or '#' and a ';'). A plain
# '&' or '<' (Smith & Sons, a < b) is left as it is, so the draft the owner reads stays clean.
_INLINE = re.compile(r"([\\`*_\[\]]|<(?=[A-Za-z/!?])|&(?=#?\w+;))")
# what starts a block only at the beginning of a line: headings, quotes, lists, rules, fences
_LINE_START = re.compile(r"^([ \t]*)(>|~{3,}|(?:#{1,6}|[+\-]|=+|-+|\d{1,9}[.)])(?=[ \t]|$))")
_BREAKS = re.compile(r"[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]+")
_UNESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def escape_text(value: Any) -> str:
    """``value`` as Markdown source that renders as exactly its text: a value from the book
    (a name, an invoice number or reference, a reason) put into a message template can never
    become a link, an image, emphasis or a heading. Line breaks become spaces (a value is one
    line of a message). A :class:`Markup` value is the owner's own Markdown and passes as it is."""
    if isinstance(value, Markup):
        return str(value)
    if value is None:
        return ""
    text = _BREAKS.sub(" ", str(value))
    text = _INLINE.sub(r"\\\1", text)
    return _LINE_START.sub(_escape_line_start, text)


def _escape_line_start(m: re.Match) -> str:
    lead, mark = m.group(1), m.group(2)
    if mark[0].isdigit():  # "2026. A year" would be a numbered list: escape the '.' or ')'
        return lead + mark[:-1] + "\\" + mark[-1]
    return lead + "\\" + mark


def unescape_text(text: str) -> str:
    """Markdown source back to its text for a place that shows text only (a mail's subject)."""
    return _UNESCAPE.sub(r"\1", text)
