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
from operator import attrgetter
from typing import Iterable

from .model import CREDIT_APPLIED, Allocation, Book, Client, Invoice, record_maker

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


_settlement = record_maker(Settlement)  # a book has as many as its allocations


def index_book(book: Book) -> BookIndex:
    """The date-independent lookups over ``book``."""
    settlement = _settlement
    settlements: dict[str, list[Settlement]] = defaultdict(list)
    credits: dict[str, list[tuple[date, str, Decimal]]] = defaultdict(list)
    for p in book.payments:
        allocated = ZERO
        for a in p.allocations:
            settlements[a.invoice].append(settlement(p.date, a.amount, "payment", p.id))
            allocated += a.amount
        if p.amount != allocated:
            credits[p.client].append((p.date, p.currency, p.amount - allocated))
    for adj in book.adjustments:
        if adj.invoice:
            settlements[adj.invoice].append(settlement(adj.date, adj.amount, adj.kind, adj.id))
            if adj.kind == CREDIT_APPLIED:  # (the credit it came from is used up)
                credits[adj.client].append((adj.date, adj.currency, -adj.amount))
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


# (the engine makes one for each open invoice of every date it is asked about)
make_state = record_maker(InvoiceState)


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
    return make_state(inv, paid, credited, written_off, outstanding, status, days, settled_on, last_payment, disputed)


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
        targets = oldest_due_first(ledger.open_invoices(client_id, currency))
    return allocate(targets, currency, amount)


def oldest_due_first(states: list[InvoiceState]) -> list[InvoiceState]:
    """Where a payment that names no invoice goes: the oldest due first, undisputed before
    disputed (``states`` in the ledger's order, oldest due first)."""
    return [s for s in states if not s.disputed] + [s for s in states if s.disputed]


def allocate(targets: Iterable[InvoiceState], currency: str, amount: Decimal,
             taken: dict[str, Decimal] | None = None) -> tuple[tuple[Allocation, ...], Decimal]:
    """``amount`` put on ``targets`` in order, each up to what it owes (less what ``taken``
    already puts on it); the allocations and the rest."""
    rest = amount
    out: list[Allocation] = []
    for s in targets:
        if rest <= 0:
            break
        owed = s.outstanding - taken.get(s.invoice.number, ZERO) if taken else s.outstanding
        if owed <= 0 or s.invoice.currency != currency:
            continue
        take = min(rest, owed)
        out.append(Allocation(s.invoice.number, take))
        rest -= take
    return tuple(out), rest
