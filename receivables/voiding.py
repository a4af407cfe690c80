"""What voiding a record gives back: the one answer the CLI (``dun void``) and the app's
void dialog both give. A voided record counts nowhere (see :class:`receivables.model.Payment`)."""
from __future__ import annotations

from decimal import Decimal

from .model import Adjustment, Payment, PromiseToPay

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
