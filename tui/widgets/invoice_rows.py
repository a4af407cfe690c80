"""An invoice as a table row: the Invoices screen's columns and the client detail's shorter ones."""
from __future__ import annotations

from receivables.ledger import InvoiceState

from ..fmt import day, money
from .vtable import Column

INVOICE_COLUMNS = [
    Column("number", "Number", 11),
    Column("client", "Client", 10, flex=True),
    Column("due", "Due", 10),
    Column("amount", "Amount", 11, right=True),
    Column("owed", "Owed", 11, right=True),
    Column("late", "Late", 5, right=True),
    Column("status", "Status", 9),
]
INVOICE_COLUMNS_SHORT = [
    Column("number", "Number", 12, flex=True),
    Column("due", "Due", 10),
    Column("amount", "Amount", 12, right=True),
    Column("owed", "Owed", 12, right=True),
    Column("late", "Late", 5, right=True),
    Column("status", "Status", 11),
]


def invoice_cells(s: InvoiceState) -> list[str]:
    inv = s.invoice
    return [
        inv.number,
        inv.client,
        day(inv.due),
        money(inv.amount, inv.currency),
        money(s.outstanding, inv.currency) if s.outstanding else "—",
        f"{s.days_overdue}d" if s.days_overdue else "",
        s.status,
    ]


def invoice_cells_short(s: InvoiceState) -> list[str]:
    cells = invoice_cells(s)
    return [cells[0]] + cells[2:]
