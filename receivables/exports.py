"""Rows for the CSV exports (``dun export clients|invoices|payments|activities``).

Each function returns ``(header, rows, numeric)`` for :func:`receivables.csvsafe.write_rows`
(``numeric``: the columns holding amounts we wrote, exported as plain numbers). The
clients, invoices and payments exports use exactly the native import columns, so an
export imports back into an empty book; invoices add nothing derived (use the report for
statuses), and a charge document carries its ``kind``, ``charges`` and ``note`` so that it
comes back as one (never as an invoice claiming its interest and compensation again). Amounts are decimal strings with the currency's decimals; dates ISO.
"""
from __future__ import annotations

from typing import Iterable, Sequence

from .chargecsv import charges_text
from .imports import CLIENT_COLUMNS, CLIENT_OPTIONAL, INVOICE_COLUMNS, INVOICE_OPTIONAL, PAYMENT_COLUMNS, contact_name
from .model import Book
from .money import to_text

ACTIVITY_COLUMNS = ("id", "date", "client", "channel", "direction", "step", "invoices", "outcome", "body",
                    "corrects", "snooze_until", "internal")
KINDS = ("clients", "invoices", "payments", "activities")

Rows = tuple[Sequence[str], Iterable[Sequence[object]], tuple[str, ...]]


def client_rows(book: Book) -> Rows:
    def rows():
        for c in sorted(book.clients.values(), key=lambda c: c.id):
            yield (c.id, c.name, c.email, c.phone, c.terms_days,
                   to_text(c.credit_limit, c.currency) if c.credit_limit is not None else "", c.currency,
                   contact_name(c))
    return CLIENT_COLUMNS + CLIENT_OPTIONAL, rows(), ("terms_days", "credit_limit")


def invoice_rows(book: Book) -> Rows:
    def rows():
        for i in sorted(book.invoices.values(), key=lambda i: (i.issued, i.number)):
            yield (i.number, i.client, i.issued.isoformat(), i.due.isoformat(), to_text(i.amount, i.currency),
                   i.currency, i.reference, i.kind, charges_text(i.charges, i.currency), i.note)
    return INVOICE_COLUMNS + INVOICE_OPTIONAL, rows(), ("amount",)


def payment_rows(book: Book) -> Rows:
    def rows():
        for p in sorted(book.payments, key=lambda p: (p.date, p.id)):
            yield (p.date.isoformat(), p.client, to_text(p.amount, p.currency), p.currency, p.reference,
                   ";".join(a.invoice for a in p.allocations))
    return PAYMENT_COLUMNS, rows(), ("amount",)


def activity_rows(book: Book) -> Rows:
    def rows():
        for a in sorted(book.activities, key=lambda a: (a.date, a.id)):
            yield (a.id, a.date.isoformat(), a.client, a.channel, a.direction, a.step or "", ";".join(a.invoices),
                   a.outcome, a.body, a.corrects or "", a.snooze_until.isoformat() if a.snooze_until else "",
                   "yes" if a.internal else "no")
    return ACTIVITY_COLUMNS, rows(), ()


def export_rows(book: Book, kind: str) -> Rows:
    from .errors import DunError

    fn = {"clients": client_rows, "invoices": invoice_rows, "payments": payment_rows,
          "activities": activity_rows}.get(kind)
    if fn is None:
        raise DunError(f"unknown export {kind!r}", "export", f"use one of {', '.join(KINDS)}")
    return fn(book)
