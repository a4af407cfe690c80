"""Markdown that cannot smuggle anything into a page or a PDF.

markdown-it-py's ``commonmark`` preset with raw HTML off, only ``http``, ``https`` and
``mailto`` links, and images rendered as their alt text (never fetched, never embedded).
With the stock preset and a ``|safe`` filter, ``<link rel="attachment" href="file:///...">``
in a note embeds the file into the PDF; here it comes out as inert text.
"""
from __future__ import annotations

from functools import lru_cache
from html import escape

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
