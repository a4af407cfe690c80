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


def invoice_cells(s: InvoiceState, handed_over: str | None = None, client_name: str = "") -> list[str]:
    """``handed_over``: "agency" or "legal" when the invoice is with them (the status says so:
    "part-paid" on a 200-day-old invoice read as if nobody was chasing it); ``client_name``:
    shown for the client (its id otherwise)."""
    inv = s.invoice
    return [
        inv.number,
        client_name or inv.client,
        day(inv.due),
        money(inv.amount, inv.currency),
        money(s.outstanding, inv.currency) if s.outstanding else "—",
        f"{s.days_overdue}d" if s.days_overdue else "",
        f"→ {handed_over}" if handed_over and s.outstanding > 0 else s.status,
    ]


def invoice_cells_short(s: InvoiceState, handed_over: str | None = None, client_name: str = "") -> list[str]:
    cells = invoice_cells(s, handed_over)
    return [cells[0]] + cells[2:]


def with_handover(cells, state_of):
    """``cells`` (one of the above) for a table whose rows may be with the agency or legal:
    ``state_of()`` is the app's state at the time a row is drawn. The client is named (the
    Invoices screen showed ids: 'lodz-logistyka' for Łódź Logistyka sp. z o.o.)."""
    def row(s: InvoiceState) -> list[str]:
        state = state_of()
        status = state.status(s.invoice.client) if state is not None and s.outstanding > 0 else None
        client = state.book.clients.get(s.invoice.client) if state is not None else None
        return cells(s, status.handed_over.get(s.invoice.number) if status is not None else None,
                     client.name if client is not None else "")
    return row
