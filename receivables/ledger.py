"""Derive balances, invoice statuses and days overdue from the book, as of a date.

Nothing here is stored: the store keeps records, this module computes what they mean.
The work is split so a caller can derive once and ask about many dates:

- :func:`index_book` (date-independent) gathers every settlement of every invoice
  (allocations of payments, credit notes, write-offs, adjustments), sorted by date;
- :func:`derive` turns that into a :class:`Ledger` as of one date: an invoice exists from
  its issue date; a settlement counts from its own date.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from itertools import compress
from operator import attrgetter, eq, is_
from typing import Iterable

from .model import Allocation, Book, Client, Invoice

ZERO = Decimal(0)

OPEN, PART_PAID, PAID, WRITTEN_OFF, DISPUTED = "open", "part-paid", "paid", "written off", "disputed"
STATUSES = (OPEN, PART_PAID, PAID, WRITTEN_OFF, DISPUTED)


@dataclass(frozen=True, slots=True)
class Settlement:
    """Something that reduces (or, negative, increases) what an invoice still owes."""

    date: date
    amount: Decimal
    kind: str  # "payment", "credit_note", "write_off", "adjustment"
    ref: str  # payment or adjustment id


@dataclass(frozen=True, slots=True)
class BookIndex:
    """Date-independent lookups over a book. Build once per loaded book."""

    book: Book
    settlements: dict[str, tuple[Settlement, ...]]  # by invoice number, in date order
    invoices_by_client: dict[str, tuple[str, ...]]  # numbers, oldest due first
    credits: dict[str, tuple[tuple[date, str, Decimal], ...]]  # client -> (date, currency, amount)
    open_disputes: dict[str, tuple]  # invoice -> disputes (all, in order)
    # Derived, date-independent lookups other modules build lazily and keep with the index
    # (receivables.agenda keeps its engine index here). Never part of equality.
    # cache["per_client"]: name -> (key, {client id: value}), what other modules work out per
    # client (publish: statement fingerprints); an index updated after a change keeps the
    # values of the clients the change did not touch.
    cache: dict = field(default_factory=dict, compare=False, repr=False)


def index_book(book: Book, base: BookIndex | None = None) -> BookIndex:
    """The date-independent lookups over ``book``.

    ``base`` may be the index of an earlier state of the same book (what the app holds
    before a change is saved). When the change is confined to a few clients, only their
    records are indexed again and the rest is taken from ``base``; the engine built on the
    result is updated the same way (see :mod:`receivables.agenda`). Either way the result
    equals a full index of ``book`` (tests/test_incremental.py compares them)."""
    if base is not None:
        if base.book is book:
            return base
        got = _updated_index(base, book)
        if got is not None:
            return got
    return _full_index(book)


def _full_index(book: Book) -> BookIndex:
    settlements: dict[str, list[Settlement]] = defaultdict(list)
    credits: dict[str, list[tuple[date, str, Decimal]]] = defaultdict(list)
    for p in book.payments:
        allocated = ZERO
        for a in p.allocations:
            settlements[a.invoice].append(Settlement(p.date, a.amount, "payment", p.id))
            allocated += a.amount
        if p.amount != allocated:
            credits[p.client].append((p.date, p.currency, p.amount - allocated))
    for adj in book.adjustments:
        if adj.invoice:
            settlements[adj.invoice].append(Settlement(adj.date, adj.amount, adj.kind, adj.id))
        else:
            credits[adj.client].append((adj.date, adj.currency, adj.amount))
    by_client: dict[str, list[Invoice]] = defaultdict(list)
    for inv in book.invoices.values():
        by_client[inv.client].append(inv)
    disputes: dict[str, list] = defaultdict(list)
    for d in book.disputes:
        disputes[d.invoice].append(d)
    by_date = attrgetter("date")
    by_due = attrgetter("due", "issued", "number")
    return BookIndex(
        book=book,
        settlements={k: tuple(v) if len(v) == 1 else tuple(sorted(v, key=by_date)) for k, v in settlements.items()},
        invoices_by_client={c: tuple(i.number for i in sorted(v, key=by_due)) for c, v in by_client.items()},
        credits={k: tuple(v) for k, v in credits.items()},
        open_disputes={k: tuple(v) for k, v in disputes.items()},
    )


# ---------------------------------------------------------------------------------------
# updating an index after a change confined to a few clients

RECORDS = ("payments", "adjustments", "activities", "promises", "plans", "disputes")  # tuples of records with .client


@dataclass(frozen=True, slots=True)
class Delta:
    """How an index was made from an earlier one (kept in ``BookIndex.cache["delta"]`` until
    the engine has used it): the clients whose records changed, their records before and
    after (each a :class:`Book` holding only those clients), and the earlier index's engine."""

    clients: frozenset[str]
    before: Book
    after: Book
    after_index: "BookIndex"
    base_engine: object


def changed_clients(old: Book, new: Book, limit: int) -> set[str] | None:
    """The clients whose records differ between two states of a book (compared by identity:
    a store hands out the unchanged records of the earlier state), or None when more than
    ``limit`` changed or the change is not per client."""
    if old.partial != new.partial:
        return None
    out: set[str] = set()
    if not _same_mapping(old.clients, new.clients):
        o, n = old.clients, new.clients
        out.update(cid for cid, c in n.items() if o.get(cid) is not c)
        out.update(cid for cid in o if cid not in n)
        if len(out) > limit:
            return None
    if not _same_mapping(old.invoices, new.invoices):
        o, n = old.invoices, new.invoices
        added = 0
        for number, inv in n.items():
            was = o.get(number)
            if was is not inv:
                out.add(inv.client)
                if was is None:
                    added += 1
                else:
                    out.add(was.client)
        if len(o) > len(n) - added:  # some were removed
            out.update(inv.client for number, inv in o.items() if number not in n)
        if len(out) > limit:
            return None
    for name in RECORDS:
        a, b = getattr(old, name), getattr(new, name)
        if a is b:
            continue
        k = min(len(a), len(b))
        if not all(map(is_, a, b)):  # (map stops at the shorter)
            for x, y in zip(a, b):
                if x is not y:
                    out.add(x.client)
                    out.add(y.client)
                    if len(out) > limit:
                        return None
        out.update(x.client for x in a[k:])
        out.update(x.client for x in b[k:])
        if len(out) > limit:
            return None
    return out


def _same_mapping(a, b) -> bool:
    return a is b or (len(a) == len(b) and all(map(is_, a.values(), b.values())) and all(map(eq, a, b)))


def client_slice(book: Book, clients: set[str] | frozenset[str]) -> Book:
    """The part of ``book`` that belongs to ``clients``, records in book order."""
    mine = clients.__contains__
    client_of = attrgetter("client")

    def keep(records):  # (the loop runs in C: a few ms for 100,000 records)
        return tuple(compress(records, map(mine, map(client_of, records))))

    invoices = book.invoices
    return Book(
        clients={c: v for c, v in book.clients.items() if c in clients},
        invoices=dict(compress(invoices.items(), map(mine, map(client_of, invoices.values())))),
        **{name: keep(getattr(book, name)) for name in RECORDS},
        partial=book.partial,
    )


def ownership(book: Book) -> dict | None:
    """Who owns each referenced id, or None when a record refers to another client's invoice
    or activity, to an unknown invoice, or ids repeat: a book that ``dun check`` would fault,
    whose index is never updated per client (a full index is always right)."""
    invoices = book.invoices
    for p in book.payments:
        for a in p.allocations:
            inv = invoices.get(a.invoice)
            if inv is None or inv.client != p.client:
                return None
    for adj in book.adjustments:
        if adj.invoice:
            inv = invoices.get(adj.invoice)
            if inv is None or inv.client != adj.client:
                return None
    for d in book.disputes:
        inv = invoices.get(d.invoice)
        if inv is None or inv.client != d.client:
            return None
    acts: dict[str, str] = {}
    for a in book.activities:
        acts[a.id] = a.client
        for n in a.invoices:
            inv = invoices.get(n)
            if inv is None or inv.client != a.client:
                return None
    if len(acts) != len(book.activities):  # an id repeats
        return None
    for a in book.activities:
        if a.corrects and acts.get(a.corrects) != a.client:
            return None
    promises = {p.id: p.client for p in book.promises}
    if len(promises) != len(book.promises):
        return None
    return {"activities": acts, "promises": promises}


def ready_for_updates(index: BookIndex) -> bool:
    """Do now the one check an update from ``index`` needs (who owns each id, about 0.2 s on a
    100,000-invoice book), so the first change after loading does not wait for it. True when
    the book can be updated per client."""
    return _owners(index) is not None


def _owners(index: BookIndex) -> dict | None:
    cache = index.cache
    if "owners" not in cache:
        cache["owners"] = ownership(index.book)
    return cache["owners"]


def splice(old: dict, new: dict, drop: Iterable) -> dict:
    """``old`` without the keys in ``drop``, then with ``new``: a changed clients' part put in
    place of their old part."""
    out = dict(old)
    for k in drop:
        out.pop(k, None)
    out.update(new)
    return out


def _updated_index(base: BookIndex, book: Book) -> BookIndex | None:
    limit = max(8, len(book.clients) // 50)
    changed = changed_clients(base.book, book, limit)
    if changed is None:
        return None
    owners = _owners(base)
    if owners is None:
        return None
    after = client_slice(book, changed)
    mine = ownership(after)
    if mine is None:
        return None
    before = client_slice(base.book, changed)
    # ids of the changed clients' records must not be another client's
    acts, promises = dict(owners["activities"]), dict(owners["promises"])
    for a in before.activities:
        del acts[a.id]
    for p in before.promises:
        del promises[p.id]
    for ids, new in ((acts, mine["activities"]), (promises, mine["promises"])):
        if not ids.keys().isdisjoint(new):
            return None
        ids.update(new)
    part = _full_index(after)
    old_numbers = [n for c in changed for n in base.invoices_by_client.get(c, ())]

    index = BookIndex(
        book=book,
        settlements=splice(base.settlements, part.settlements, old_numbers),
        invoices_by_client=splice(base.invoices_by_client, part.invoices_by_client, changed),
        credits=splice(base.credits, part.credits, changed),
        open_disputes=splice(base.open_disputes, part.open_disputes, old_numbers),
    )
    index.cache["owners"] = {"activities": acts, "promises": promises}
    carried = base.cache.get("per_client")
    if carried:
        index.cache["per_client"] = {name: (key, {c: v for c, v in values.items() if c not in changed})
                                     for name, (key, values) in carried.items()}
    engine = base.cache.get("engine")
    if engine is not None:
        index.cache["delta"] = Delta(frozenset(changed), before, after, part, engine)
    return index


@dataclass(frozen=True, slots=True)
class InvoiceState:
    invoice: Invoice
    paid: Decimal
    credited: Decimal  # credit notes and adjustments
    written_off: Decimal
    outstanding: Decimal
    status: str
    days_overdue: int  # 0 when not yet due or settled
    settled_on: date | None  # the date the outstanding amount reached zero, if it has
    last_payment: date | None
    disputed: bool

    @property
    def number(self) -> str:
        return self.invoice.number

    @property
    def is_open(self) -> bool:
        return self.outstanding > 0


def invoice_state(inv: Invoice, settlements: Iterable[Settlement], asof: date, disputed: bool) -> InvoiceState:
    paid = credited = written_off = ZERO
    settled_on = last_payment = None
    running = inv.amount
    for s in settlements:
        if s.date > asof:
            break
        if s.kind == "payment":
            paid += s.amount
            last_payment = s.date
        elif s.kind == "write_off":
            written_off += s.amount
        else:
            credited += s.amount
        running -= s.amount
        if running <= 0 and settled_on is None:
            settled_on = s.date
        elif running > 0:
            settled_on = None
    outstanding = running
    if outstanding > 0:
        status = DISPUTED if disputed else (PART_PAID if paid > 0 or credited > 0 else OPEN)
        days = max(0, (asof - inv.due).days)
    else:
        status = WRITTEN_OFF if written_off > 0 else PAID
        days = 0
    return InvoiceState(inv, paid, credited, written_off, outstanding, status, days, settled_on, last_payment, disputed)


def is_disputed(index: BookIndex, number: str, asof: date) -> bool:
    for d in index.open_disputes.get(number, ()):
        if d.opened <= asof and (d.resolved is None or d.resolved > asof):
            return True
    return False


@dataclass(frozen=True, slots=True)
class ClientPosition:
    client: Client
    currency: str
    invoiced_open: Decimal  # what open invoices still owe
    credit: Decimal  # unallocated payments and credit notes
    overdue: Decimal
    oldest_days_overdue: int

    @property
    def balance(self) -> Decimal:
        return self.invoiced_open - self.credit


@dataclass(slots=True)
class Ledger:
    """The state of the book as of one date."""

    index: BookIndex
    asof: date
    invoices: dict[str, InvoiceState] = field(default_factory=dict)

    @property
    def book(self) -> Book:
        return self.index.book

    def client_invoices(self, client_id: str) -> list[InvoiceState]:
        """The client's invoices issued by the as-of date, oldest due first."""
        inv = self.invoices
        return [inv[n] for n in self.index.invoices_by_client.get(client_id, ()) if n in inv]

    def open_invoices(self, client_id: str, currency: str | None = None) -> list[InvoiceState]:
        return [
            s for s in self.client_invoices(client_id)
            if s.outstanding > 0 and (currency is None or s.invoice.currency == currency)
        ]

    def credit(self, client_id: str, currency: str) -> Decimal:
        return sum(
            (amt for d, cur, amt in self.index.credits.get(client_id, ()) if cur == currency and d <= self.asof),
            ZERO,
        )

    def currencies(self, client_id: str) -> list[str]:
        client = self.book.clients.get(client_id)
        seen = {s.invoice.currency for s in self.client_invoices(client_id)}
        seen |= {cur for d, cur, _ in self.index.credits.get(client_id, ()) if d <= self.asof}
        if client is not None:
            seen.add(client.currency)
        return sorted(seen)

    def position(self, client_id: str, currency: str) -> ClientPosition:
        open_ = self.open_invoices(client_id, currency)
        overdue = [s for s in open_ if s.days_overdue > 0]
        return ClientPosition(
            client=self.book.clients[client_id],
            currency=currency,
            invoiced_open=sum((s.outstanding for s in open_), ZERO),
            credit=self.credit(client_id, currency),
            overdue=sum((s.outstanding for s in overdue), ZERO),
            oldest_days_overdue=max((s.days_overdue for s in overdue), default=0),
        )

    def positions(self, client_id: str) -> list[ClientPosition]:
        return [self.position(client_id, cur) for cur in self.currencies(client_id)]


def derive(book_or_index: Book | BookIndex, asof: date) -> Ledger:
    """The ledger as of ``asof``: invoices issued by then, settlements dated by then."""
    index = book_or_index if isinstance(book_or_index, BookIndex) else index_book(book_or_index)
    states: dict[str, InvoiceState] = {}
    settlements = index.settlements
    disputes = index.open_disputes
    for number, inv in index.book.invoices.items():
        if inv.issued > asof:
            continue
        disputed = number in disputes and is_disputed(index, number, asof)
        states[number] = invoice_state(inv, settlements.get(number, ()), asof, disputed)
    return Ledger(index, asof, states)


def propose_allocation(
    ledger: Ledger,
    client_id: str,
    currency: str,
    amount: Decimal,
    invoices: Iterable[str] | None = None,
) -> tuple[tuple[Allocation, ...], Decimal]:
    """Allocate a payment: to the named invoices in the order given, else to the oldest due
    first (undisputed before disputed). Returns the allocations and the unallocated rest,
    which stays with the client as credit."""
    if invoices:
        targets = [ledger.invoices[n] for n in invoices if n in ledger.invoices]
    else:
        open_ = ledger.open_invoices(client_id, currency)
        targets = [s for s in open_ if not s.disputed] + [s for s in open_ if s.disputed]
    rest = amount
    out: list[Allocation] = []
    for s in targets:
        if rest <= 0:
            break
        if s.outstanding <= 0 or s.invoice.currency != currency:
            continue
        take = min(rest, s.outstanding)
        out.append(Allocation(s.invoice.number, take))
        rest -= take
    return tuple(out), rest
