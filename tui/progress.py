"""Today's progress, from the book (so it survives a restart), and the outbox line.

An action counts as done once an activity of today carries it out (its client and step),
whatever session logged it; snoozed and skipped ones are counted apart, never as done.
Actions handled in an earlier session have left the agenda, so they are added to the total.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from rich.text import Text

PAUSED = ("snoozed", "skipped")
NOT_AN_OUTCOME = ("note", "hold_lifted", "")


@dataclass(frozen=True)
class DayCounts:
    total: int
    done: int
    snoozed: int
    skipped: int


def action_key(a: Any) -> tuple[str, str]:
    step = a.step if getattr(a, "kind", "step") == "step" else (getattr(a, "key", "") or a.step)
    return a.client, step or ""


_cache: dict[str, Any] = {}


def _logged(book: Any, on: date) -> dict[tuple[str, str], str]:
    """(client, step) -> "done", "snoozed" or "skipped", from the activities of ``on`` (kept
    for the book object and its number of activities: a 100,000-invoice book has 170,000)."""
    key = (id(book), len(book.activities), on)
    if _cache.get("key") == key:
        return _cache["value"]
    logged: dict[tuple[str, str], str] = {}
    corrected = {a.corrects for a in book.activities if a.corrects}
    for a in book.activities:
        if a.date != on or not a.step or a.outcome in NOT_AN_OUTCOME or a.id in corrected:
            continue
        logged[(a.client, a.step)] = a.outcome if a.outcome in PAUSED else "done"  # the latest counts
    _cache.update(key=key, value=logged, book=book)
    return logged


def day_counts(queue: list[Any], session: dict[int, str], book: Any, on: date) -> DayCounts:
    """``session``: queue position -> the label this session gave it (before the book has it)."""
    logged = _logged(book, on) if book is not None else {}
    keys = [action_key(a) for a in queue]
    state: dict[tuple[str, str], str] = {}
    for i, k in enumerate(keys):
        label = session.get(i)
        if k in logged:
            state[k] = logged[k]
        elif label:
            state[k] = label if label in PAUSED else "done"
        else:
            state.setdefault(k, "")
    for k, v in logged.items():  # handled earlier today: no longer in the agenda
        state.setdefault(k, v)
    values = list(state.values())
    return DayCounts(total=len(state), done=values.count("done"), snoozed=values.count("snoozed"),
                     skipped=values.count("skipped"))


def outbox_line(app: Any) -> Text:
    """"✉ 2 queued in the outbox · sending 1…" and the last failure's reason, if any."""
    t = Text()
    sender = getattr(app, "sender", None)
    repo = getattr(app, "repo", None)
    outbox = getattr(getattr(repo, "paths", None), "outbox", None)
    queued = 0
    if outbox is not None and outbox.is_dir():
        queued = sum(1 for _ in outbox.glob("*.eml"))
    busy = len(sender.open_jobs) if sender is not None else 0
    if busy:
        t.append(f"   sending {busy}…", style="bold yellow")
    if queued:
        t.append(f"   ✉ {queued} queued in the outbox", style="yellow")
    if sender is not None and sender.last_failure:
        t.append(f"\nLast send failed: {sender.last_failure}", style="red")
    return t
