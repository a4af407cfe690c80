"""Today's progress line and the outbox line: presentation only.

What the book says was handled today comes from :mod:`derived.progress` (the rule is
:mod:`receivables.daylog`'s); this module adds what this session did that the book does not
have yet, and counts. Actions handled in an earlier session have left the agenda, so they
are added to the total.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from rich.text import Text

from receivables.daylog import DONE, PAUSED, action_key


@dataclass(frozen=True)
class DayCounts:
    total: int
    done: int
    snoozed: int
    skipped: int


def day_counts(queue: list[Any], session: dict[int, str], logged: Mapping[tuple[str, str], str]) -> DayCounts:
    """``session``: queue position -> the label this session gave it (before the book has it);
    ``logged``: (client, step) -> what the book says of it today (``derived.progress.Logged.steps``)."""
    keys = [action_key(a) for a in queue]
    state: dict[tuple[str, str], str] = {}
    for i, k in enumerate(keys):
        label = session.get(i)
        if k in logged:
            state[k] = logged[k]
        elif label:
            state[k] = label if label in PAUSED else DONE
        else:
            state.setdefault(k, "")
    for k, v in logged.items():  # handled earlier today: no longer in the agenda
        state.setdefault(k, v)
    values = list(state.values())
    return DayCounts(total=len(state), done=values.count(DONE), snoozed=values.count("snoozed"),
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
    jobs = list(sender.open_jobs.values()) if sender is not None else []
    letters = sum(1 for j in jobs if j.action.channel == "letter")
    if len(jobs) > letters:
        t.append(f"   sending {len(jobs) - letters}…", style="bold yellow")
    if letters:
        t.append(f"   making {letters} letter{'s' if letters > 1 else ''}…", style="bold yellow")
    if queued:
        t.append(f"   ✉ {queued} queued in the outbox", style="yellow")
    if sender is not None and sender.last_failure:
        t.append(f"\nLast send failed: {sender.last_failure}", style="red")
    return t
