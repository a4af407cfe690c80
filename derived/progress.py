"""The day's handled actions (Today's progress), per client, by the derived state's one rule.

Each client's entry is what :func:`receivables.daylog.handled_on` says of that client's
activities on the day. An entry made with a :class:`~derived.state.Derived` is valid for a
later one when their key (book id, policy digest, code version, date) is the same and the
client's revision that state was checked against in the store is unchanged; anything else
is worked out again from the book. Nothing is kept here: the caller hands the last
:class:`Logged` back in as ``previous`` (the app keeps it with the screen that shows it).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Mapping

from receivables.daylog import handled_on
from receivables.model import Book

from .state import Derived, Key


@dataclass(frozen=True, slots=True)
class Logged:
    """(client, step) -> "done" / "snoozed" / "skipped" for the day, with what it was checked against."""

    on: date
    key: Key | None  # None: worked out without a derived state (nothing of it is reused)
    revisions: Mapping[str, str]  # client id -> revision its entry was made at
    clients: Mapping[str, Mapping[tuple[str, str], str]]  # client id -> its entry
    steps: dict[tuple[str, str], str] = field(init=False)  # every client's entries together

    def __post_init__(self) -> None:
        merged: dict[tuple[str, str], str] = {}
        for entry in self.clients.values():
            merged.update(entry)
        object.__setattr__(self, "steps", merged)


def logged(book: Book, on: date, state: Derived | None = None, previous: Logged | None = None) -> Logged:
    """What the activities of ``on`` in ``book`` handled. ``state``: the derived state ``book``
    was read with (its key and revisions); ``previous``: the last result, whose valid entries
    are kept (only the clients whose revision changed are worked out again)."""
    key = state.key if state is not None and state.key.on == on else None
    revisions: Mapping[str, str] = state.revisions if key is not None else {}
    kept: dict[str, Mapping[tuple[str, str], str]] = {}
    if key is not None and previous is not None and previous.key == key:
        if previous.revisions == revisions:
            return previous
        kept = {cid: entry for cid, entry in previous.clients.items()
                if cid in revisions and previous.revisions.get(cid) == revisions[cid]}
    wanted = None if key is None else {cid for cid in revisions if cid not in kept}
    found: dict[str, list[Any]] = {}
    for a in book.activities:  # the day's activities and every correction, of the clients wanted
        if (a.date == on or a.corrects) and (wanted is None or a.client in wanted):
            got = found.get(a.client)
            if got is None:
                found[a.client] = [a]
            else:
                got.append(a)
    clients: dict[str, Mapping[tuple[str, str], str]] = {}
    for cid in (revisions if key is not None else found):
        if cid in kept:
            clients[cid] = kept[cid]
        else:
            clients[cid] = handled_on(found.get(cid, ()), on)
    return Logged(on, key, dict(revisions), clients)
