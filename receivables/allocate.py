"""Which invoices a payment pays, as proposed to the owner before saving.

A payment of exactly what one open invoice still owes is taken to be for that invoice
(clients pay invoice by invoice; spreading it over the oldest ones would leave two
half-paid). Otherwise the payment goes to the oldest due first (``propose_allocation``).
"""
from __future__ import annotations

from decimal import Decimal

from .ledger import Ledger, propose_allocation
from .model import Allocation


def suggest_allocation(ledger: Ledger, client_id: str, currency: str,
                       amount: Decimal) -> tuple[tuple[Allocation, ...], Decimal]:
    """Allocations and the unallocated rest (client credit), as ``propose_allocation``."""
    if amount > 0:
        open_ = ledger.open_invoices(client_id, currency)
        for s in [s for s in open_ if not s.disputed] + [s for s in open_ if s.disputed]:
            if s.outstanding == amount and s.invoice.currency == currency:
                return (Allocation(s.invoice.number, amount),), Decimal(0)
    return propose_allocation(ledger, client_id, currency, amount)
