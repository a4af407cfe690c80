"""What a day's activities say about its agenda, and the day's money by currency.

An agenda action is handled once an activity of that day carries it out: the activity names
the action's client and its step (a ladder step's id, or the key of another kind of action,
:func:`action_key`). Its outcome decides how: ``snoozed`` and ``skipped`` pause the action
(they are counted apart, never as done); any other outcome does it. Notes, lifted holds and
activities without an outcome handle nothing, and an activity named by another's
``corrects`` no longer counts. When several activities of the day name the same action,
the latest in the book counts.

Pure functions of records; a client's activities are enough for that client's actions.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Iterable

from .model import PUT_OFF

PAUSED = PUT_OFF  # (receivables.model: snoozed, skipped)
NOT_AN_OUTCOME = ("note", "hold_lifted", "")
DONE = "done"


def action_key(a: Any) -> tuple[str, str]:
    """(client, step) an activity names when it carries out the agenda action ``a``."""
    step = a.step if getattr(a, "kind", "step") == "step" else (getattr(a, "key", "") or a.step)
    return a.client, step or ""


def taken_back(activities: Iterable[Any]) -> set[str]:
    """The ids of the activities another one ``corrects`` (an outcome taken back, a void's
    undo): they no longer count."""
    return {a.corrects for a in activities if a.corrects}


def counted_on(activities: Iterable[Any], on: date) -> list[Any]:
    """The activities dated ``on`` that still count: neither taken back nor a correction."""
    acts = list(activities)
    gone = taken_back(acts)
    return [a for a in acts if a.date == on and not a.corrects and a.id not in gone]


def handled_on(activities: Iterable[Any], on: date) -> dict[tuple[str, str], str]:
    """(client, step) -> "done", "snoozed" or "skipped", from the activities dated ``on``
    (``activities`` in book order; corrections may be of any date)."""
    acts = list(activities)
    corrected = taken_back(acts)
    out: dict[tuple[str, str], str] = {}
    for a in acts:
        if a.date != on or not a.step or a.outcome in NOT_AN_OUTCOME or a.id in corrected:
            continue
        out[(a.client, a.step)] = a.outcome if a.outcome in PAUSED else DONE  # the latest counts
    return out


def totals_by_currency(records: Iterable[Any]) -> dict[str, Decimal]:
    """The records' amounts (payments, promises) summed per currency, in first-seen order."""
    out: dict[str, Decimal] = {}
    for r in records:
        out[r.currency] = out.get(r.currency, Decimal(0)) + r.amount
    return out
