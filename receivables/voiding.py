"""What voiding a record gives back: the one answer the CLI (``dun void``) and the app's
void dialog both give. A voided record counts nowhere (see :class:`receivables.model.Payment`)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Iterable

from .daylog import taken_back
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


def undo_with(rec: Voidable, activities: Iterable[Activity], on: date, reason: str) -> list[Activity]:
    """The activities that take back, with ``rec`` voided on ``on``, each activity that
    recorded an action as paid and is no longer true (a correction names it: it counts
    nowhere):

    - the one recorded with payment ``rec`` (the latest of the client's on the payment's day
      naming it, not already taken back). Before, it stayed: the action paid with a payment
      on the wrong client kept counting as done once the payment was voided, and its
      invoices, owed again, were not chased;
    - any other "paid" on an invoice ``rec`` paid or credited, dated from its day: a part
      payment voided (a cheque that bounced) makes the invoice owe again, so the action a
      later payment closed is not paid either. Before, it stayed done."""
    acts = list(activities)
    corrected = taken_back(acts)
    what = f"{kind_of(rec).capitalize()} {rec.id} voided ({reason})"
    out: list[Activity] = []
    direct = None
    if isinstance(rec, Payment):
        body = paid_note(rec)
        direct = next((a for a in reversed(acts) if a.client == rec.client and a.date == rec.date
                       and a.outcome == PAID and a.body == body and a.id not in corrected), None)
        if direct is not None:
            out.append(_undo(direct, on, rec, f"{what}: the action it was recorded for is to do again."))
    owed = {n for n, _ in owed_again(rec)}
    for a in acts:
        if (a is not direct and a.outcome == PAID and a.client == rec.client and a.date >= rec.date
                and a.id not in corrected and owed.intersection(a.invoices)):
            again = ", ".join(n for n in a.invoices if n in owed)
            out.append(_undo(a, on, rec, f"{what}: {again} owed again, the action recorded as paid on "
                                         f"{a.date.isoformat()} is to do again."))
    return out


def _undo(done: Activity, on: date, rec: Voidable, body: str) -> Activity:
    return correction(done, on, f"void:{rec.id}", body)


def correction(done: Activity, on: date, why: str, body: str) -> Activity:
    """The activity, dated ``on``, that takes back ``done``: it names it (``corrects``), so
    ``done`` counts nowhere from then on. ``why`` ("void:PAY-1", "undo:ACT-7") is its step: no
    ladder step's id nor an action's key, so it carries nothing out itself."""
    return Activity(id="", date=on, client=done.client, channel="other", step=why, invoices=done.invoices,
                    outcome="note", corrects=done.id, body=body)
