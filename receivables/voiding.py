"""What voiding a record gives back: the one answer the CLI (``dun void``) and the app's
void dialog both give. A voided record counts nowhere (see :class:`receivables.model.Payment`)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Iterable

from .model import Activity, Adjustment, Payment, PromiseToPay

Voidable = Payment | Adjustment | PromiseToPay


def kind_of(rec: Voidable) -> str:
    """The record's kind as the owner says it: "payment", "credit" or "promise"."""
    return "payment" if isinstance(rec, Payment) else "credit" if isinstance(rec, Adjustment) else "promise"


def owed_again(rec: Voidable) -> list[tuple[str, Decimal]]:
    """(invoice, amount) that voiding ``rec`` makes owed again: a payment's allocations, a
    credit's amount on its invoice (an adjustment that raised what is owed gives none back)."""
    if isinstance(rec, Payment):
        return [(a.invoice, a.amount) for a in rec.allocations]
    if isinstance(rec, Adjustment) and rec.invoice and rec.amount > 0:
        return [(rec.invoice, rec.amount)]
    return []


def back_on_ladder(rec: Voidable) -> tuple[str, ...]:
    """The invoices a voided promise named: chased again."""
    return tuple(rec.invoices) if isinstance(rec, PromiseToPay) else ()


PAID = "paid"  # the outcome of an action the client paid in full while it was being worked


def paid_note(p: Payment) -> str:
    """The body of the activity that records an action done by payment ``p``."""
    return f"Payment received: {p.amount} {p.currency}" + (f" (ref {p.reference})" if p.reference else "")


def undo_with(p: Payment, activities: Iterable[Activity], on: date, reason: str) -> Activity | None:
    """The activity that takes back, with payment ``p`` voided on ``on``, the activity that
    recorded an action done by it (the latest of the client's, of the payment's day, not
    already taken back), or None. Before, that activity stayed: the action paid with a
    payment on the wrong client kept counting as done once the payment was voided, and its
    invoices, owed again, were not chased. (A correction names it: it counts nowhere.)"""
    acts = list(activities)
    corrected = {a.corrects for a in acts if a.corrects}
    body = paid_note(p)
    done = next((a for a in reversed(acts) if a.client == p.client and a.date == p.date and a.outcome == PAID
                 and a.body == body and a.id not in corrected), None)
    if done is None:
        return None
    return Activity(id="", date=on, client=p.client, channel="other", step=f"void:{p.id}",
                    invoices=done.invoices, outcome="note", corrects=done.id,
                    body=f"Payment {p.id} voided ({reason}): the action it was recorded for is to do again.")
