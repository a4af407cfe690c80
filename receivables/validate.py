"""Checks on records before they are stored, and on a whole book (``dun check``).

Each function returns problems as data; the store refuses a write that has any and
changes nothing. Whole-book checks never change the book.
"""
from __future__ import annotations

import re
from collections import Counter
from datetime import date
from decimal import Decimal
from typing import Iterable, Mapping

from .dates import WINDOW_TEXT, window_problem
from .errors import Problem
from .ledger import derive, index_book
from .model import (
    ADJUSTMENT_KINDS,
    CHANNELS,
    CREDIT_APPLIED,
    DIRECTIONS,
    Activity,
    Adjustment,
    Book,
    Client,
    Dispute,
    Invoice,
    Payment,
    PaymentPlan,
    PromiseToPay,
)
from .money import MINOR_UNITS, round_money
from .shapes import shape_problems

ZERO = Decimal(0)
MAX_AMOUNT = Decimal(10) ** 15  # as receivables.money.parse_amount: at most 15 digits before the point
_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", re.ASCII)


def _p(where: str, message: str, hint: str = "") -> Problem:
    return Problem(message, where, hint)


def _currency(where: str, code: str) -> list[Problem]:
    if code not in MINOR_UNITS:
        return [_p(where, f"unknown currency {code!r}", "use an ISO 4217 code such as GBP, EUR or USD")]
    return []


def _amount(where: str, value: Decimal, currency: str, positive: bool = True) -> list[Problem]:
    if not isinstance(value, Decimal) or not value.is_finite():
        return [_p(where, f"{value!r} is not a finite decimal amount")]
    if currency in MINOR_UNITS and round_money(value, currency) != value:
        return [_p(where, f"{value} has more decimals than {currency} allows")]
    if positive and value <= 0:
        return [_p(where, f"{value} must be greater than zero")]
    if abs(value) >= MAX_AMOUNT:
        return [_p(where, f"{value} is too large", "amounts are limited to 15 digits")]
    return []


def _dates(where: str, **dates: date | None) -> list[Problem]:
    """A problem for each given date outside the book's window (receivables.dates)."""
    out = []
    for name, d in dates.items():
        if d is not None and window_problem(d) is not None:
            out.append(_p(f"{where} {name.replace('_', ' ')}", window_problem(d), f"use a date from {WINDOW_TEXT}"))
    return out


def check_client(c: Client) -> list[Problem]:
    where = f"client {c.id!r}"
    out: list[Problem] = shape_problems(c, where)
    if out:
        return out
    if not _ID_RE.fullmatch(c.id or ""):
        out.append(_p(where, "the id must be 1-64 letters, digits, '.', '_' or '-' starting with a letter or digit",
                      "e.g. acme-ltd"))
    if not c.name.strip():
        out.append(_p(where, "the name is empty", "give the client a name"))
    out += _currency(where, c.currency)
    if c.terms_days < 0 or c.terms_days > 3650:
        out.append(_p(where, f"payment terms of {c.terms_days} days are out of range", "use 0 to 3650 days"))
    if c.credit_limit is not None and c.currency in MINOR_UNITS:
        out += _amount(f"{where} credit limit", c.credit_limit, c.currency, positive=False)
        if c.credit_limit < 0:
            out.append(_p(f"{where} credit limit", "must not be negative"))
    if c.credit_check is not None:
        out += _dates(where, credit_check=c.credit_check.date)
    for bad in c.bad_emails:
        out.append(_p(where, f"the e-mail {bad!r:.80} is not one plain address",
                      "write one address, e.g. accounts@acme.example (mail goes to no list)"))
    return out


def check_invoice(inv: Invoice, clients: Mapping[str, Client]) -> list[Problem]:
    where = f"invoice {inv.number!r}"
    out: list[Problem] = shape_problems(inv, where)
    if out:
        return out
    if not inv.number.strip():
        out.append(_p("invoice", "the number is empty", "every invoice needs a number"))
    client = clients.get(inv.client)
    if client is None:
        out.append(_p(where, f"unknown client {inv.client!r}", "add the client first or check the id"))
    out += _currency(where, inv.currency)
    if inv.currency in MINOR_UNITS:
        out += _amount(f"{where} amount", inv.amount, inv.currency)
        if inv.tax:
            out += _amount(f"{where} tax", inv.tax, inv.currency, positive=False)
        for k, ln in enumerate(inv.lines, 1):
            for name, value in (("quantity", ln.quantity), ("unit amount", ln.unit_amount)):
                if abs(value) >= MAX_AMOUNT or value.as_tuple().exponent < -6:
                    out.append(_p(f"{where} line {k} {name}", f"{value:.6g} is out of range",
                                  "at most 15 digits before the point and 6 after"))
        if inv.lines and not out:
            total = sum((ln.amount for ln in inv.lines), ZERO) + inv.tax
            if total != inv.amount:
                out.append(_p(where, f"the lines and tax add up to {total}, not the amount {inv.amount}"))
    window = _dates(where, issued=inv.issued, due=inv.due)
    if window:
        return out + window
    if inv.due < inv.issued:
        out.append(_p(where, f"due date {inv.due} is before the issue date {inv.issued}", "check both dates"))
    if inv.kind or inv.charges:
        from .claims import check_charge_document

        out += check_charge_document(inv)
    return out


def check_payment(p: Payment, book: Book) -> list[Problem]:
    """``book`` must hold at least this client's records (a partial book is fine)."""
    if shape_problems(p, "payment") or p.client not in book.clients:  # refused before any ledger is derived
        return check_payment_against(p, book.clients, book.invoices, {})
    ledger = derive(book, date.max)  # everything recorded, whatever its date
    owed = {a.invoice: s.outstanding for a in p.allocations if (s := ledger.invoices.get(a.invoice)) is not None}
    return check_payment_against(p, book.clients, book.invoices, owed)


def check_payment_against(p: Payment, clients: Mapping[str, Client], invoices: Mapping[str, Invoice],
                          owed: Mapping[str, Decimal]) -> list[Problem]:
    """The payment rules, given what each invoice it is allocated to still owes (``owed``;
    an invoice missing from it is not checked for over-allocation)."""
    where = f"payment {p.id or p.reference or ''}".strip()
    out: list[Problem] = shape_problems(p, where)
    if out:
        return out
    client = clients.get(p.client)
    if client is None:
        return [_p(where, f"unknown client {p.client!r}", "check the client id")]
    out += _currency(where, p.currency) + _dates(where, date=p.date)
    if out:
        return out
    out += _amount(f"{where} amount", p.amount, p.currency)
    allocated = ZERO
    seen: set[str] = set()
    for a in p.allocations:
        inv = invoices.get(a.invoice)
        w = f"{where} allocation to {a.invoice!r}"
        if inv is None or inv.client != p.client:
            out.append(_p(w, f"no invoice {a.invoice!r} for client {p.client!r}", "check the invoice number"))
            continue
        if inv.currency != p.currency:
            out.append(_p(w, f"the invoice is in {inv.currency}, the payment in {p.currency}"))
            continue
        if inv.issued > p.date:  # (seen as of a day between, it would count nowhere: a year typed wrong)
            out.append(_p(w, before_issue(p.date, inv), BEFORE_ISSUE_HINT))
            continue
        if a.invoice in seen:
            out.append(_p(w, "the invoice is allocated twice"))
        seen.add(a.invoice)
        out += _amount(w, a.amount, p.currency)
        left = owed.get(a.invoice)
        if left is not None and a.amount > left:
            out.append(_p(w, f"{a.amount} is more than the {left} still owed",
                          "allocate less; the rest stays as client credit"))
        allocated += a.amount
    if allocated > p.amount:
        out.append(_p(where, f"allocations of {allocated} exceed the payment of {p.amount}"))
    return out


BEFORE_ISSUE_HINT = ("check the payment's year; money received before an invoice was issued is client credit, "
                      "on no invoice")


def before_issue(on: date, inv: Invoice) -> str:
    """What is wrong with a payment of ``on`` put on ``inv`` (a year typed wrong, most often)."""
    return f"the payment is dated {on}, before {inv.number} was issued ({inv.issued})"


def check_adjustment(a: Adjustment, book: Book) -> list[Problem]:
    out: list[Problem] = shape_problems(a, f"adjustment {a.id!r}")
    if out:
        return out
    where = f"{a.kind.replace('_', ' ')} {a.id}".strip()
    if a.kind not in ADJUSTMENT_KINDS:
        out.append(_p(where, f"unknown kind {a.kind!r}", f"use one of {', '.join(ADJUSTMENT_KINDS)}"))
    if a.client not in book.clients:
        out.append(_p(where, f"unknown client {a.client!r}"))
    out += _currency(where, a.currency) + _dates(where, date=a.date)
    if out:
        return out
    out += _amount(f"{where} amount", a.amount, a.currency, positive=a.kind != "adjustment")
    if a.invoice:
        inv = book.invoices.get(a.invoice)
        if inv is None or inv.client != a.client:
            out.append(_p(where, f"no invoice {a.invoice!r} for client {a.client!r}"))
        elif inv.currency != a.currency:
            out.append(_p(where, f"the invoice is in {inv.currency}, not {a.currency}"))
        elif a.kind != "adjustment":
            state = derive(book, date.max).invoices.get(a.invoice)
            if state is not None and a.amount > state.outstanding:
                out.append(_p(where, f"{a.amount} is more than the {state.outstanding} still owed"))
    elif a.kind in ("write_off", CREDIT_APPLIED):
        out.append(_p(where, f"a {a.kind.replace('_', ' ')} needs an invoice", "name the invoice"))
    if a.kind == CREDIT_APPLIED and not out:
        # (on its day, and after: a later application of the same credit dated before it)
        credit = min(derive(book, a.date).credit(a.client, a.currency), derive(book, date.max).credit(a.client, a.currency))
        if a.amount > credit:
            out.append(_p(where, f"{a.amount} is more than the client's {credit} {a.currency} of credit on {a.date}",
                          "apply no more than the credit"))
    return out


def check_activity(a: Activity, book: Book) -> list[Problem]:
    where = "activity"
    out: list[Problem] = shape_problems(a, where)
    if out:
        return out
    if a.client not in book.clients:
        out.append(_p(where, f"unknown client {a.client!r}", "check the client id"))
    if a.channel not in CHANNELS:
        out.append(_p(where, f"unknown channel {a.channel!r}", f"use one of {', '.join(CHANNELS)}"))
    if a.direction not in DIRECTIONS:
        out.append(_p(where, f"unknown direction {a.direction!r}", "use out or in"))
    out += _dates(where, date=a.date, snooze_until=a.snooze_until)
    for n in a.invoices:
        inv = book.invoices.get(n)
        if inv is None or inv.client != a.client:
            out.append(_p(where, f"no invoice {n!r} for client {a.client!r}", "check the invoice number"))
    return out


def check_promise(p: PromiseToPay, book: Book) -> list[Problem]:
    where = "promise"
    out: list[Problem] = shape_problems(p, where)
    if out:
        return out
    if p.client not in book.clients:
        return [_p(where, f"unknown client {p.client!r}")]
    out += _currency(where, p.currency)
    if out:
        return out
    out += _amount(f"{where} amount", p.amount, p.currency)
    window = _dates(where, made=p.made, by=p.by)
    if window:
        return out + window
    if p.by < p.made:
        out.append(_p(where, f"the promised date {p.by} is before the day it was made {p.made}"))
    for n in p.invoices:
        inv = book.invoices.get(n)
        if inv is None or inv.client != p.client:
            out.append(_p(where, f"no invoice {n!r} for client {p.client!r}"))
    return out


def check_plan(p: PaymentPlan, book: Book) -> list[Problem]:
    where = "payment plan"
    out: list[Problem] = shape_problems(p, where)
    if out:
        return out
    if p.client not in book.clients:
        return [_p(where, f"unknown client {p.client!r}")]
    out += _currency(where, p.currency)
    if not p.invoices:
        out.append(_p(where, "covers no invoice", "name at least one invoice"))
    if not p.installments:
        out.append(_p(where, "has no installments"))
    for n in p.invoices:
        inv = book.invoices.get(n)
        if inv is None or inv.client != p.client:
            out.append(_p(where, f"no invoice {n!r} for client {p.client!r}"))
    for i in p.installments:
        out += _amount(f"{where} installment {i.due}", i.amount, p.currency)
    out += _dates(where, created=p.created, cancelled=p.cancelled)
    for k, i in enumerate(p.installments, 1):
        out += _dates(where, **{f"installment {k} due": i.due})
    return out


def check_dispute(d: Dispute, book: Book) -> list[Problem]:
    where = f"dispute on {d.invoice!r}"
    shape = shape_problems(d, where)
    if shape:
        return shape
    inv = book.invoices.get(d.invoice)
    if inv is None:
        return [_p(where, f"unknown invoice {d.invoice!r}", "check the invoice number")]
    out: list[Problem] = []
    if inv.client != d.client:
        out.append(_p(where, f"the invoice belongs to {inv.client!r}, not {d.client!r}"))
    if not d.reason.strip():
        out.append(_p(where, "needs a reason", "say what the client disputes"))
    window = _dates(where, opened=d.opened, resolved=d.resolved)
    if window:
        return out + window
    if d.resolved is not None and d.resolved < d.opened:
        out.append(_p(where, "is resolved before it was opened"))
    if d.resolved is None:  # one open dispute per invoice: a second would be reviewed twice
        other = next((x for x in book.disputes if x.invoice == d.invoice and x.resolved is None and x.id != d.id),
                     None)
        if other is not None:
            out.append(_p(where, f"invoice {d.invoice!r} already has an open dispute ({other.id})",
                          f"resolve {other.id} first (dun dispute {d.invoice} --resolve)"))
    return out


def check_book(book: Book, duplicate_keys: Iterable[Problem] = ()) -> list[Problem]:
    """Validate the whole book: every record, references, allocations, sums, duplicates.
    Records of the wrong shape (receivables.shapes) are named first and alone: the other
    checks, like the engine, assume every field has its type."""
    out: list[Problem] = list(duplicate_keys)
    shapes = [p for kind, records in (
        ("client", book.clients.values()), ("invoice", book.invoices.values()), ("payment", book.payments),
        ("adjustment", book.adjustments), ("activity", book.activities), ("promise", book.promises),
        ("plan", book.plans), ("dispute", book.disputes))
        for r in records for p in shape_problems(r, f"{kind} {getattr(r, 'id', None) or getattr(r, 'number', '')!r}")]
    if shapes:
        return out + shapes
    for c in book.clients.values():
        out += check_client(c)
    for inv in book.invoices.values():
        out += check_invoice(inv, book.clients)
    ids = Counter()
    for kind, records in (("payment", book.payments), ("adjustment", book.adjustments),
                          ("activity", book.activities), ("promise", book.promises),
                          ("plan", book.plans), ("dispute", book.disputes)):
        for r in records:
            ids[(kind, r.id)] += 1
    for (kind, rid), n in ids.items():
        if n > 1:
            out.append(_p(f"{kind} {rid}", f"appears {n} times"))
    from .claims import check_claims

    out += check_claims(book)  # charge documents: no day of interest or compensation claimed twice
    index = index_book(book)
    # allocations: referenced invoice exists, same client and currency, never over-settled
    for p in book.payments:
        where = f"payment {p.id}"
        if p.client not in book.clients:
            out.append(_p(where, f"unknown client {p.client!r}"))
        total = ZERO
        for a in p.allocations:
            inv = book.invoices.get(a.invoice)
            if inv is None:
                out.append(_p(where, f"allocated to unknown invoice {a.invoice!r}"))
            elif inv.client != p.client or inv.currency != p.currency:
                out.append(_p(where, f"allocated to {a.invoice!r} of another client or currency"))
            elif inv.issued > p.date:
                out.append(_p(where, before_issue(p.date, inv), "void it and record it again with the right date"))
            if a.amount <= 0:
                out.append(_p(where, f"allocation of {a.amount} to {a.invoice!r} is not positive"))
            total += a.amount
        if total > p.amount:
            out.append(_p(where, f"allocations of {total} exceed the payment of {p.amount}"))
    for number, settlements in index.settlements.items():
        inv = book.invoices.get(number)
        if inv is None:
            continue
        settled = sum((s.amount for s in settlements), ZERO)
        if settled > inv.amount:
            out.append(_p(f"invoice {number}", f"settled {settled} but only {inv.amount} was invoiced",
                          "some payments or credits are allocated twice"))
    for p in book.payments:
        out += _dates(f"payment {p.id}", date=p.date)
        if p.currency in MINOR_UNITS:
            out += _amount(f"payment {p.id} amount", p.amount, p.currency)
    for a in book.adjustments:
        if a.client not in book.clients or (a.invoice and a.invoice not in book.invoices):
            out.append(_p(f"adjustment {a.id}", "refers to an unknown client or invoice"))
        out += _dates(f"adjustment {a.id}", date=a.date)
        if a.currency in MINOR_UNITS:
            out += _amount(f"adjustment {a.id} amount", a.amount, a.currency, positive=a.kind != "adjustment")
    for a in book.activities:
        out += _dates(f"activity {a.id}", date=a.date, snooze_until=a.snooze_until)
        if a.channel not in CHANNELS or a.direction not in DIRECTIONS:
            out.append(_p(f"activity {a.id}", f"unknown channel {a.channel!r} or direction {a.direction!r}",
                          f"channels: {', '.join(CHANNELS)}; directions: out, in"))
        if a.client not in book.clients:
            out.append(_p(f"activity {a.id}", f"unknown client {a.client!r}"))
        for n in a.invoices:
            if n not in book.invoices:
                out.append(_p(f"activity {a.id}", f"refers to unknown invoice {n!r}"))
        if a.corrects and not any(x.id == a.corrects for x in book.activities):
            out.append(_p(f"activity {a.id}", f"corrects unknown activity {a.corrects!r}"))
    for p in book.promises:
        out += [Problem(x.message, f"promise {p.id}: {x.where}", x.hint) for x in check_promise(p, book)]
    for p in book.plans:
        out += [Problem(x.message, f"plan {p.id}: {x.where}", x.hint) for x in check_plan(p, book)]
    for d in book.disputes:
        out += check_dispute(d, book)
    out += _check_sync_records(book)
    return out


def _check_sync_records(book: Book) -> list[Problem]:
    """Bank receipts name a payment that exists, payer aliases a client that exists."""
    out: list[Problem] = []
    if book.partial:
        return out
    payments = {p.id for p in book.payments}
    for x in (*book.receipts, *book.aliases, *book.syncs):
        out += shape_problems(x, f"{type(x).__name__} {x.id}")
    for r in book.receipts:
        if r.payment and r.payment not in payments:
            out.append(_p(f"receipt {r.id}", f"became payment {r.payment!r}, which is not in the book"))
        out += _currency(f"receipt {r.id}", r.currency)
    for a in book.aliases:
        if a.client not in book.clients:
            out.append(_p(f"payer alias {a.name!r}", f"unknown client {a.client!r}"))
    return out
