"""Markdown to real plain text: the text/plain part of an e-mail, from the same source as
its HTML part.

A client's mail program shows this part as it is, so nothing of the Markdown syntax may be
left in it: emphasis loses its ``**`` and ``_``, a link becomes "text (url)" (just the URL
when the text is the URL), a heading its own line, list items "- " or "1. ", a quote
"> ", a hard line break a new line, an image its alt text. Raw HTML is never interpreted
(the parser has it off): it stays as the characters typed. Paragraphs are separated by one
blank line; lines are not re-wrapped (``email.policy`` folds nothing in a body, and a
format=flowed reader is not assumed).
"""
from __future__ import annotations

from .markdown import parser


def _inline(tokens) -> str:
    out: list[str] = []
    links: list[str] = []  # the href of each open link, to append after its text
    starts: list[int] = []
    for t in tokens or ():
        kind = t.type
        if kind in ("text", "code_inline", "html_inline"):
            out.append(t.content)
        elif kind == "softbreak":
            out.append("\n")
        elif kind == "hardbreak":
            out.append("\n")
        elif kind == "link_open":
            links.append(t.attrGet("href") or "")
            starts.append(len(out))
        elif kind == "link_close":
            href = links.pop() if links else ""
            start = starts.pop() if starts else len(out)
            text = "".join(out[start:])
            shown = href[7:] if href.lower().startswith("mailto:") else href
            if shown and text.strip() != shown:
                out.append(f" ({shown})")
        elif kind == "image":
            alt = _inline(t.children)
            out.append(f"[image: {alt}]" if alt else "[image]")
        # strong/em open and close, and anything else, add no characters
    return "".join(out)


def to_plain(markdown: str) -> str:
    """The plain text of ``markdown`` (see the module docstring). Ends with one newline."""
    tokens = parser().parse(markdown or "")
    blocks: list[str] = []
    lists: list[list] = []  # [ordered, next number] for each open list
    prefix: list[str] = []  # quote markers and list indents of the open containers
    pending_item = ""  # the marker of a list item whose first paragraph comes next
    for t in tokens:
        kind = t.type
        if kind == "bullet_list_open":
            lists.append([False, 0])
        elif kind == "ordered_list_open":
            lists.append([True, int(t.attrGet("start") or 1)])
        elif kind in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif kind == "list_item_open":
            ordered, n = lists[-1]
            pending_item = f"{n}. " if ordered else "- "
            if ordered:
                lists[-1][1] = n + 1
            prefix.append(" " * len(pending_item))
        elif kind == "list_item_close":
            prefix.pop()
            pending_item = ""
        elif kind == "blockquote_open":
            prefix.append("> ")
        elif kind == "blockquote_close":
            prefix.pop()
        elif kind == "inline":
            text = _inline(t.children)
            blocks.append(_indent(text, prefix, pending_item, tight=bool(lists)))
            pending_item = ""
        elif kind in ("fence", "code_block"):
            blocks.append(_indent(t.content.rstrip("\n"), prefix + ["    "], "", tight=False))
        elif kind == "hr":
            blocks.append(_indent("-" * 20, prefix, "", tight=False))
    # list items sit on consecutive lines; other blocks are separated by a blank line
    out: list[str] = []
    for text, tight in blocks:
        if out and not (tight and out[-1][1]):
            out.append(("", False))
        out.append((text, tight))
    return "\n".join(text for text, _ in out).rstrip("\n") + "\n"


def _indent(text: str, prefix: list[str], marker: str, *, tight: bool) -> tuple[str, bool]:
    lines = text.split("\n")
    lead = "".join(prefix)
    first = ("".join(prefix[:-1]) + marker) if marker else lead
    body = [first + lines[0]] + [lead + line for line in lines[1:]]
    return "\n".join(line.rstrip() if line.strip() else line.strip() for line in body), tight
