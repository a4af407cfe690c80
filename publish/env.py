"""The one Jinja environment every page, statement, letter and message is rendered with.

Autoescape is on for everything except the Markdown message templates (``.md``), whose
output is Markdown source (mail plain text) that :mod:`publish.markdown` turns into HTML
with raw HTML off; those are rendered with :func:`message_environment`, which escapes every
value put in as Markdown text; StrictUndefined makes a misspelt placeholder an error, not a blank.
"""
from __future__ import annotations

from functools import lru_cache

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from . import formatting
from .markdown import escape_text, render, render_inline
from .paths import TEMPLATES


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
    env = base.overlay(finalize=escape_text)
    return env
