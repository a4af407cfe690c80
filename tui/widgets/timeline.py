"""A client's activity timeline as Markdown (newest first), for the Markdown widget.

Headings are built from escaped fields; bodies are the owner's own Markdown, shown as
Markdown, with control characters made inert. Links are not opened by the widget.
"""
from __future__ import annotations

from receivables.shapes import clipped

from ..fmt import md_escape, safe
from ..state import BookState


def timeline_markdown(state: BookState, client_id: str, limit: int = 200) -> str:
    acts = [a for a in state.book.activities if a.client == client_id]
    if not acts:
        return "*No activity yet.* Press **n** to add a note."
    parts = []
    for a in reversed(acts[-limit:]):
        head = f"{a.date.isoformat()} · {a.channel}" + (" (in)" if a.direction == "in" else "")
        if a.step:
            head += f" · {md_escape(a.step)}"
        if a.outcome:
            head += f" · *{md_escape(a.outcome)}*"
        if a.invoices:
            head += " · " + md_escape(", ".join(a.invoices[:6])) + (" …" if len(a.invoices) > 6 else "")
        if a.snooze_until:
            head += f" · until {a.snooze_until.isoformat()}"
        body = safe(clipped(a.body).strip(), lines=True)
        parts.append(f"#### {safe(head)}\n\n{body if body else '*(no text)*'}\n")
    if len(acts) > limit:
        parts.append(f"*… {len(acts) - limit} earlier entries not shown.*")
    return "\n---\n\n".join(parts)
