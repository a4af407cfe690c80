"""What the screens show, derived once per loaded book (in a worker thread).

This module holds no rule: balances and statuses come from ``receivables.ledger``, the
agenda and figures from the engine (when present). It only gathers them into rows that
tables can sort and filter.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from receivables.errors import DunError, Problem
from receivables.ledger import Ledger, derive, index_book
from receivables.model import Book, Client
from receivables.policy import Policy, load_policy

from . import engine

ZERO = Decimal(0)


@dataclass(slots=True)
class ClientRow:
    client: Client
    currency: str
    balance: Decimal
    overdue: Decimal
    oldest: int
    open_count: int
    risk: int | None = None  # the engine's score, when it is there
    risk_reasons: tuple[str, ...] = ()
    other_currencies: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        return self.client.id


@dataclass(slots=True)
class BookState:
    book_dir: Path
    on: date
    book: Book
    ledger: Ledger
    policy: Policy | None
    policy_problems: list[Problem]
    clients: list[ClientRow]
    agenda: list[Any] | None  # None: the engine is not there (see agenda_note)
    agenda_note: str = ""
    statuses: dict[str, Any] = field(default_factory=dict)  # client id -> engine Risk
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def index(self):
        return self.ledger.index

    def client_row(self, client_id: str) -> ClientRow | None:
        for r in self.clients:
            if r.client.id == client_id:
                return r
        return None


def policy_path(book_dir: Path, repo: Any = None) -> Path:
    paths = getattr(repo, "paths", None)
    p = getattr(paths, "policy", None)
    return Path(p) if p else Path(book_dir) / "policy.toml"


def build_state(repo: Any, book_dir: Path, on: date) -> BookState:
    """Derive everything the first screens need. Runs in a worker thread."""
    t0 = time.perf_counter()
    book = repo.book()
    t1 = time.perf_counter()
    index = index_book(book)
    ledger = derive(index, on)
    t2 = time.perf_counter()
    policy, problems = load_policy(policy_path(book_dir, repo))
    agenda = None
    note = ""
    statuses: dict[str, Any] = {}
    if policy is None:
        note = "The policy has problems, so there is no agenda: see the Policy screen (5)."
    else:
        build_agenda = engine.get("agenda")
        if build_agenda is None:
            note = "The collections engine is not installed yet: " + engine.why_missing("agenda")
        else:
            try:
                agenda = list(build_agenda(index, policy, on))
            except DunError as e:
                note = f"The agenda could not be built: {e}"
            except Exception as e:  # keep the app usable if the engine trips
                note = f"The agenda could not be built ({type(e).__name__}: {e})"
        risk_fn = engine.get("risk")
        if risk_fn is not None and agenda is not None:
            try:
                statuses = {cid: risk_fn(index, policy, cid, on) for cid in book.clients}
            except Exception:
                statuses = {}
    t3 = time.perf_counter()
    rows = client_rows(ledger, statuses)
    t4 = time.perf_counter()
    return BookState(
        book_dir=Path(book_dir),
        on=on,
        book=book,
        ledger=ledger,
        policy=policy,
        policy_problems=problems,
        clients=rows,
        agenda=agenda,
        agenda_note=note,
        statuses=statuses,
        timings={"load": t1 - t0, "ledger": t2 - t1, "agenda": t3 - t2, "rows": t4 - t3},
    )


def client_rows(ledger: Ledger, statuses: dict[str, Any] | None = None) -> list[ClientRow]:
    rows = []
    statuses = statuses or {}
    for cid, client in ledger.book.clients.items():
        positions = ledger.positions(cid)
        main = next((p for p in positions if p.currency == client.currency), None)
        others = tuple(p.currency for p in positions if p.currency != client.currency and p.balance)
        if main is None:
            main = positions[0] if positions else None
        open_count = len(ledger.open_invoices(cid, main.currency if main else None))
        r = statuses.get(cid)
        risk = getattr(r, "score", None)
        reasons = tuple(getattr(r, "reasons", ()) or ())
        rows.append(
            ClientRow(
                client=client,
                currency=main.currency if main else client.currency,
                balance=main.balance if main else ZERO,
                overdue=main.overdue if main else ZERO,
                oldest=main.oldest_days_overdue if main else 0,
                open_count=open_count,
                risk=risk,
                risk_reasons=reasons,
                other_currencies=others,
            )
        )
    return rows
