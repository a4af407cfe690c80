"""What the screens show, derived from the loaded book (in worker threads).

This module holds no rule: balances and statuses come from ``receivables.ledger``, the
agenda, statuses, risks and figures from every client's day read through the derived layer
(:mod:`derived`: after a change only the clients it touched are worked out again, and the
book's day is folded anew). It only gathers them into rows that tables can sort and filter.

Loading is split in two so a 100,000-invoice book shows its first screen fast:

1. :func:`build_state` — the book, its index and the day's agenda: enough for Today, whose
   client panel derives just that client's invoices (:meth:`BookState.ledger_for`);
2. :func:`complete_state` — the whole ledger, every client's row and risk: for Clients,
   Invoices and Reports, which show a loading line until it is there.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from receivables.errors import DunError, Problem
from receivables.ledger import BookIndex, Ledger, derive, index_book, invoice_state, is_disputed
from receivables.model import Book, Client
from receivables.policy import Policy, load_policy
from receivables.tuning import keep_for_life

import derived

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
    hold: bool = False  # the client's flag, or the engine's (a done credit-hold step)

    @property
    def id(self) -> str:
        return self.client.id


@dataclass(slots=True, repr=False)
class BookState:
    book_dir: Path
    on: date
    book: Book
    policy: Policy | None
    policy_problems: list[Problem]
    agenda: list[Any] | None  # None: no agenda (see agenda_note)
    agenda_note: str = ""
    derived: Any = None  # the derived.Derived this state's agenda, statuses and report come from
    ledger: Ledger | None = None  # the whole ledger, once complete_state has run
    clients: list[ClientRow] | None = None
    risks: dict[str, Any] = field(default_factory=dict)  # client id -> engine Risk
    timings: dict[str, float] = field(default_factory=dict)
    _index: BookIndex | None = None  # made when first asked for (the whole ledger, the Invoices screen)
    _partial: dict[str, Ledger] = field(default_factory=dict)
    _rows: dict[str, ClientRow] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __repr__(self) -> str:  # never the whole book (workers and logs repr their arguments)
        return f"<BookState {self.book_dir.name} on {self.on} {len(self.book.invoices)} invoices>"

    @property
    def index(self) -> BookIndex:
        """The book's index, made on first use (in stage 2, off the screen's thread)."""
        got = self._index
        if got is None:
            with self._lock:
                if self._index is None:
                    self._index = index_book(self.book)
                got = self._index
        return got

    @property
    def complete(self) -> bool:
        return self.ledger is not None and self.clients is not None

    def ledger_for(self, client_id: str) -> Ledger:
        """A ledger that is complete for this client (the whole one when it is there)."""
        if self.ledger is not None:
            return self.ledger
        with self._lock:
            got = self._partial.get(client_id)
            if got is None:  # the client's own records: no need to index the whole book for one client
                index = self._index if self._index is not None else index_book(self.book.only(client_id))
                got = self._partial[client_id] = client_ledger(index, client_id, self.on)
            return got

    def client_day(self, client_id: str) -> Any:
        """The client's day (receivables.engine.ClientDay), or None without an agenda."""
        return self.derived.days.get(client_id) if self.derived is not None else None

    def status(self, client_id: str) -> Any:
        day = self.client_day(client_id)
        return day.status if day is not None else None

    @property
    def report(self) -> Any:
        return self.derived.report if self.derived is not None else None

    def client_row(self, client_id: str) -> ClientRow | None:
        if self.clients is not None:
            return self._rows.get(client_id)
        client = self.book.clients.get(client_id)
        if client is None:
            return None
        day = self.client_day(client_id)
        return make_row(self.ledger_for(client_id), client, day.risk if day is not None else None,
                        day.status.hold if day is not None else None)


def settle_heap() -> None:
    """Move the freshly loaded book out of the garbage collector's sight.

    A 100,000-invoice book is millions of objects; without this, each full collection
    triggered by ordinary screen work walks all of them and the app stalls for seconds.
    Neither the records nor what the engine keeps with an index hold reference cycles, so
    reference counting still frees an old book and its index when a new state replaces them
    (a test in tests/test_report.py keeps it so)."""
    keep_for_life(collect_young=True)


def policy_path(book_dir: Path, repo: Any = None) -> Path:
    paths = getattr(repo, "paths", None)
    p = getattr(paths, "policy", None)
    return Path(p) if p else Path(book_dir) / "policy.toml"


def client_ledger(index: BookIndex, client_id: str, on: date) -> Ledger:
    """The ledger as of ``on`` for one client's invoices only (cheap on a large book)."""
    states = {}
    invoices = index.book.invoices
    for n in index.invoices_by_client.get(client_id, ()):
        inv = invoices[n]
        if inv.issued > on:
            continue
        disputed = n in index.open_disputes and is_disputed(index, n, on)
        states[n] = invoice_state(inv, index.settlements.get(n, ()), on, disputed)
    return Ledger(index, on, states)


def build_state(repo: Any, book_dir: Path, on: date, progress: Any = None, previous: "BookState | None" = None,
                save: bool = True, kept: Any = None, early: Any = None) -> BookState:
    """Stage 1: the book, its index and the agenda. Runs in a worker thread.

    ``previous`` is the state before a change: its clients' days count where their revision
    in the store is unchanged, so only the clients the change touched are worked out again
    (:func:`derived.current`); ``kept`` is a derived state read already (the app's preview).
    ``save``: write the derived state's file now (a first load); after a change the app
    writes it in a quiet moment instead. ``early(due, clients, policy)`` is given what is due
    (:class:`derived.Due`) before the rest of the day when every client is worked out afresh
    (a first start, a new day), with the book's clients and the policy its drafts need."""
    say = progress or (lambda message: None)
    t0 = time.perf_counter()
    say("Reading the book…")
    revisions = repo.client_revisions()  # before the book: see derived.current
    policy, problems = load_policy(policy_path(book_dir, repo))
    # every client worked out afresh: a second process works out part of what is due meanwhile
    share = derived.start_share(repo, policy, on, revisions) if early and policy is not None else None
    try:  # (the helper is stopped where the two meet, and in any case here)
        book = repo.book()
        t1 = time.perf_counter()
        index = previous._index if previous is not None and previous._index is not None \
            and previous._index.book is book else None  # (else made when first wanted)
        t2 = time.perf_counter()
        agenda = None
        note = ""
        state = None
        timings = {"book": t1 - t0, "index": t2 - t1}

        def due_first(due) -> None:
            timings["due"] = time.perf_counter() - t2  # (what is due known: benchmarks/tui.py)
            early(due, book.clients, policy)

        if policy is None:
            note = "The policy has problems, so there is no agenda: see the Policy screen (5)."
        else:
            say(f"Working out what is due on {on.isoformat()}…")
            try:
                state = derived.current(repo, policy, on, previous.derived if previous is not None else kept,
                                        book=book, save=save, revisions=revisions,
                                        early=due_first if early else None, share=share)
                agenda = list(state.agenda)
            except DunError as e:  # e.g. a calendar country the holidays package does not know
                note = f"The agenda could not be built: {e}"
    finally:
        if share is not None:
            share.close()
    t3 = time.perf_counter()
    settle_heap()
    return BookState(
        book_dir=Path(book_dir), on=on, book=book, _index=index, policy=policy, policy_problems=problems,
        agenda=agenda, agenda_note=note, derived=state, timings={**timings, "agenda": t3 - t2},
    )


def complete_state(state: BookState) -> BookState:
    """Stage 2: the whole ledger and every client's row (with risk). Worker thread."""
    t0 = time.perf_counter()
    ledger = derive(state.index, state.on)
    t1 = time.perf_counter()
    risks: dict[str, Any] = {}
    holds: dict[str, bool] = {}
    if state.derived is not None and state.agenda is not None:
        for cid, day in state.derived.days.items():
            risks[cid] = day.risk
            holds[cid] = bool(day.status.hold)
    rows = [r for cid, c in state.book.clients.items() for r in make_rows(ledger, c, risks.get(cid), holds.get(cid))]
    t2 = time.perf_counter()
    settle_heap()
    state.risks = risks
    state._rows = {}
    for r in rows:  # (a client's row in its own currency: the first of its rows)
        state._rows.setdefault(r.client.id, r)
    state.ledger = ledger
    state.clients = rows
    state.timings.update({"ledger": t1 - t0, "rows": t2 - t1})
    return state


def make_row(ledger: Ledger, client: Client, risk: Any = None, hold: bool | None = None) -> ClientRow:
    """The client's row in its own currency (or the first it deals in)."""
    return make_rows(ledger, client, risk, hold)[0]


def make_rows(ledger: Ledger, client: Client, risk: Any = None, hold: bool | None = None) -> list[ClientRow]:
    """The client's rows: its own currency's first (always), then one for each other currency
    it owes or is owed something in. Before, only the first: a GBP client's EUR invoice 50
    days overdue showed nowhere on the Clients screen, nor in its totals."""
    cid = client.id
    positions = ledger.positions(cid)
    main = next((p for p in positions if p.currency == client.currency), None)
    if main is None and positions:
        main = positions[0]
    extra = [p for p in positions if main is not None and p.currency != main.currency and (p.balance or p.overdue)]
    others = tuple(p.currency for p in extra)

    def row(p) -> ClientRow:
        return ClientRow(
            client=client,
            currency=p.currency if p else client.currency,
            balance=p.balance if p else ZERO,
            overdue=p.overdue if p else ZERO,
            oldest=p.oldest_days_overdue if p else 0,
            open_count=len(ledger.open_invoices(cid, p.currency if p else None)),
            risk=getattr(risk, "score", None),
            risk_reasons=tuple(getattr(risk, "reasons", ()) or ()),
            other_currencies=others if p is main else (),
            hold=client.hold if hold is None else (hold or client.hold),
        )

    return [row(main), *(row(p) for p in extra)]
