"""The one Jinja environment every page, statement, letter and message is rendered with.

Autoescape is on for everything except the Markdown message templates (``.md``), whose
output is Markdown source (mail plain text) that :mod:`publish.markdown` turns into HTML
with raw HTML off; those are rendered with :func:`message_environment`, which escapes every
value put in as Markdown text; StrictUndefined makes a misspelt placeholder an error, not a blank.
Every value a template puts in loses its control characters and bidi controls
(:func:`without_controls`).
"""
from __future__ import annotations

from functools import lru_cache

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from receivables.controls import CONTROLS, LINE_BREAKS

from . import formatting
from .markdown import escape_text, render, render_inline
from .paths import TEMPLATES


_DROPPED = dict.fromkeys(CONTROLS - LINE_BREAKS)


def without_controls(value):
    """A value put into a page, statement, letter or message, without C0 and C1 controls and
    DEL (a tab and a newline stay) and without the bidi marks, embeddings, overrides and
    isolates (receivables.controls). A U+202E in a note or a reference showed the rest of its
    line reversed on a statement sent to the client, where it can make one figure read as
    another; an escape sequence or a bell from an imported name showed as empty boxes on the
    statement and went raw into the e-mail's text. None of them is text: a name in Arabic or
    Hebrew needs no bidi control to show right to left."""
    if isinstance(value, str) and not value.isprintable():
        cleaned = str(value).translate(_DROPPED)
        return Markup(cleaned) if isinstance(value, Markup) else cleaned
    return value


def _autoescape(name: str | None) -> bool:
    return not (name or "").endswith((".md", ".txt"))


def _pct(value, places: int = 1, locale: str | None = None) -> str:
    return formatting.figure(value, places, locale) + " %" if value is not None else "–"


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=_autoescape,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
        cache_size=400,
        finalize=without_controls,
    )
    env.filters["money"] = formatting.money
    env.filters["number"] = formatting.number
    env.filters["day"] = formatting.day
    env.filters["figure"] = formatting.figure
    env.filters["pct"] = _pct
    env.filters["markdown"] = render
    env.filters["markdown_inline"] = render_inline
    return env


@lru_cache(maxsize=1)
def message_environment() -> Environment:
    """The environment of the Markdown message templates (``messages/*.md``): as
    :func:`environment`, but every value a placeholder puts in is escaped as Markdown text
    (:func:`publish.markdown.escape_text`), so data from the book (names, invoice numbers,
    references, reasons) is never parsed as Markdown; only the template's own text is."""
    base = environment()
    env = base.overlay(finalize=lambda value: escape_text(without_controls(value)))
    return env
