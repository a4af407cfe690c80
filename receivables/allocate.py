"""Which invoices a payment pays, as proposed to the owner before saving, and which a
promise to pay covers when the owner names none.

A payment of exactly what one open invoice still owes is taken to be for that invoice
(clients pay invoice by invoice; spreading it over the oldest ones would leave two
half-paid). Otherwise the payment goes to the oldest due first (``propose_allocation``);
a payment taken while working an action goes to that action's invoices first (the ones the
owner was chasing), then to the oldest due.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal

from .ledger import Ledger, propose_allocation
from .model import CREDIT_APPLIED, Adjustment, Allocation, Payment


def suggest_allocation(ledger: Ledger, client_id: str, currency: str, amount: Decimal,
                       first: Sequence[str] = ()) -> tuple[tuple[Allocation, ...], Decimal]:
    """Allocations and the unallocated rest (client credit), as ``propose_allocation``;
    ``first``: invoices paid before any other (an action's), in the order given."""
    if amount > 0:
        open_ = ledger.open_invoices(client_id, currency)
        for s in [s for s in open_ if not s.disputed] + [s for s in open_ if s.disputed]:
            if s.outstanding == amount and s.invoice.currency == currency:
                return (Allocation(s.invoice.number, amount),), Decimal(0)
    if not first:
        return propose_allocation(ledger, client_id, currency, amount)
    open_ = ledger.open_invoices(client_id, currency)
    rest = [s.invoice.number for s in open_ if not s.disputed and s.invoice.number not in first]
    rest += [s.invoice.number for s in open_ if s.disputed and s.invoice.number not in first]
    return propose_allocation(ledger, client_id, currency, amount, [*first, *rest])


def settles(payment: Payment, owed: Mapping[str, Decimal], invoices: Iterable[str]) -> bool:
    """Whether ``payment`` pays in full what each of ``invoices`` still owed before it
    (``owed``: invoice -> outstanding; an invoice missing from it owed nothing). A payment
    taken while working an action does that action only then: a part payment leaves the
    action to do, on what is still owed."""
    paid: dict[str, Decimal] = {}
    for a in payment.allocations:
        paid[a.invoice] = paid.get(a.invoice, Decimal(0)) + a.amount
    return all(paid.get(n, Decimal(0)) >= owed.get(n, Decimal(0)) for n in invoices)


def promise_cover(ledger: Ledger, client_id: str, currency: str, amount: Decimal) -> list[str]:
    """The invoices a promise of ``amount`` covers when none are named: the client's open ones
    in ``currency`` (disputed ones aside: they are off the ladder already), oldest due first,
    until what they owe reaches ``amount``. A covered invoice leaves the ladder until the
    promised date, so a promise of 500 against a balance of 25,000 keeps the reminders on
    the rest going; a promise of the whole balance or more covers every open invoice."""
    out: list[str] = []
    owed = Decimal(0)
    for s in ledger.open_invoices(client_id, currency):
        if s.disputed:
            continue
        out.append(s.invoice.number)
        owed += s.outstanding
        if owed >= amount:
            break
    return out


def promise_over(ledger: Ledger, client_id: str, currency: str, amount: Decimal) -> Decimal | None:
    """What the client owes in ``currency`` when a promise of ``amount`` is more than that (a
    slip of the keyboard, 1200 for 120, that would take every open invoice off the ladder
    until the promised day); None when the promise is within what is owed."""
    owed = sum((s.outstanding for s in ledger.open_invoices(client_id, currency)), Decimal(0))
    return owed if amount > owed else None


def apply_credit(ledger: Ledger, client_id: str, currency: str, on: date,
                 invoices: Sequence[str] = ()) -> list[Adjustment]:
    """The client's unallocated credit in ``currency`` on ``on`` (an overpayment, a credit
    note on no invoice) put on its open invoices: the named ones in order, else the oldest
    due first (undisputed before disputed), as a payment would go. One ``credit_applied``
    adjustment per invoice (id left "" for the store); none when there is no credit or
    nothing open. Before, the credit stayed on the account while the agenda chased the
    same client for invoices it more than covered."""
    credit = ledger.credit(client_id, currency)
    if credit <= 0:
        return []
    allocations, _ = propose_allocation(ledger, client_id, currency, credit, list(invoices) or None)
    return [Adjustment("", CREDIT_APPLIED, on, client_id, a.amount, currency, a.invoice, "client credit applied")
            for a in allocations]
