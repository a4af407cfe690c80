"""Helping a mistyped command line: "did you mean …?".

:func:`did_you_mean` gives the closest known names (``difflib``) to what was typed, as the
hint of the one error line: for commands, client ids and invoice numbers. (A mistake in
the arguments themselves is reported before the book is opened: :mod:`cli.checks`.)
"""
from __future__ import annotations

import difflib
from typing import Any, Iterable

from receivables.errors import DunError


def did_you_mean(typed: str, known: Iterable[str], fallback: str = "") -> str:
    """A hint naming the closest of ``known`` to ``typed`` ("" when none is close)."""
    names = [k for k in known if k]
    close = difflib.get_close_matches(typed, names, n=3, cutoff=0.6)
    if not close:
        low = {k.casefold(): k for k in names}
        close = [low[m] for m in difflib.get_close_matches(typed.casefold(), list(low), n=3, cutoff=0.6)]
    if not close:
        return fallback
    return "did you mean " + " or ".join(repr(c) for c in close) + "?"


def unknown_client(repo: Any, cid: str, where: str = "CLIENT") -> DunError:
    """The error for a client id that is not in the book: the hint names the clients whose
    id starts with what was typed or whose name holds it, as the app's client field finds
    them ("parkside" -> 'parkside-dental-practice'), else the ids spelled closest to it."""
    from receivables.slugs import match_clients

    try:
        clients = dict(repo.clients())
    except (DunError, OSError, AttributeError):
        clients = {}
    found = match_clients(cid, clients)
    if found:
        hint = "did you mean " + " or ".join(repr(c) for c in found[:3]) + \
            (f" (or {len(found) - 3} more: see 'dun client list')" if len(found) > 3 else "") + "?"
    else:
        hint = did_you_mean(cid, clients, "see 'dun client list' for the ids")
    return DunError(f"unknown client {cid!r}", where, hint)


def unknown_invoice(number: str, known: Iterable[str], where: str, client: str | None = None) -> DunError:
    what = f"no invoice {number!r} for client {client!r}" if client else f"unknown invoice {number!r}"
    return DunError(what, where, did_you_mean(number, known, "check the number with 'dun client show'"))


def all_invoice_numbers(repo: Any) -> list[str]:
    try:
        return [d.get("number", "") for d in repo.documents("invoices")]
    except (DunError, OSError, AttributeError):
        return []
