"""Payment plans: split what invoices owe into installments, and check a plan can start.

One rule for every front end (the CLI's ``dun plan`` and the app's plan dialog).
"""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Sequence

from .dates import MAX_INTERVAL_DAYS, check_window
from .errors import DunError
from .ledger import BookIndex, derive
from .model import Book, Installment, PaymentPlan
from .money import round_money, to_text
from .policy import Policy

ZERO = Decimal(0)
MAX_INSTALLMENTS = 120  # ten years of monthly installments


def check_terms(count: int, every: int, first: date, on: date | None = None) -> None:
    """The terms of a plan that need no book: ``count`` installments ``every`` days apart from
    ``first`` (not before ``on``), all within the book's dates; else a DunError."""
    if on is not None and first < on:
        raise DunError(f"{first.isoformat()} is before {on.isoformat()}", "first installment",
                       "the first installment is due today or later")
    if count < 1:
        raise DunError("a plan needs at least one installment", "installments", "e.g. 3 installments")
    if count > MAX_INSTALLMENTS:
        raise DunError(f"{count} installments are too many", "installments", f"use 1 to {MAX_INSTALLMENTS}")
    if every < 1:
        raise DunError("installments must be at least a day apart", "every", "e.g. every 30 days")
    if every > MAX_INTERVAL_DAYS:
        raise DunError(f"{every} days between installments is too long", "every",
                       f"use 1 to {MAX_INTERVAL_DAYS} days")
    check_window(first, "first installment")
    check_window(first + timedelta(days=every * (count - 1)), "last installment")


def split_installments(total: Decimal, currency: str, count: int, first: date, every: int) -> tuple[Installment, ...]:
    """``count`` equal installments rounded half-up, ``every`` days apart from ``first``;
    the last takes the remainder so they add up to ``total`` exactly."""
    check_terms(count, every, first)
    each = round_money(total / count, currency)
    items = [Installment(first + timedelta(days=every * k), each) for k in range(count - 1)]
    items.append(Installment(first + timedelta(days=every * (count - 1)), total - each * (count - 1)))
    if each <= 0 or items[-1].amount <= 0:
        raise DunError(f"{to_text(total, currency)} {currency} cannot be split into {count} installments",
                       "installments", "use fewer installments")
    return tuple(items)


def draft_plan(book: Book | BookIndex, policy: Policy, client_id: str, invoices: Sequence[str], count: int,
               every: int, first: date, on: date) -> PaymentPlan:
    """The plan to store for ``invoices`` (what they still owe on ``on``), or a DunError
    saying why it cannot start."""
    from .agenda import client_status

    check_terms(count, every, first, on)
    numbers = list(dict.fromkeys(n.strip() for n in invoices))
    if not numbers:
        raise DunError("a plan covers at least one invoice", "invoices", "name the invoices to spread")
    ledger = derive(book, on)
    states = []
    for n in numbers:
        st = ledger.invoices.get(n)
        if st is None or st.invoice.client != client_id:
            raise DunError(f"no invoice {n!r} for client {client_id!r}", "invoices", "check the number")
        if st.outstanding <= 0:
            raise DunError(f"invoice {n} is already settled", "invoices", "plan only what is owed")
        states.append(st)
    currencies = {s.invoice.currency for s in states}
    if len(currencies) > 1:
        raise DunError("the invoices are in different currencies", "invoices", "make one plan per currency")
    currency = currencies.pop()
    status = client_status(book, policy, client_id, on)
    if status.plan is not None and set(numbers) & set(status.plan.plan.invoices):
        raise DunError(f"{status.plan.plan.id} already covers some of these invoices", "invoices",
                       "the plan must be completed, broken or cancelled first")
    total = sum((s.outstanding for s in states), ZERO)
    return PaymentPlan(id="", client=client_id, created=on, currency=currency, invoices=tuple(numbers),
                       installments=split_installments(total, currency, count, first, every))
