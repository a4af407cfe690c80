"""Invoices: filter by status, client and age bucket; add, edit, dispute, write off, plan.

Built for 100,000 invoices: the table is virtual (only visible rows are drawn), filtering
is one pass over the ledger's invoice states, and the search is debounced.
"""
from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Header, Input, Select, Static

from receivables.ledger import InvoiceState

from ..fmt import money
from ..state import BookState
from ..widgets.invoice_rows import INVOICE_COLUMNS, invoice_cells, with_handover
from ..widgets.vtable import VirtualTable
from ..widgets.footer import DunFooter
from ..widgets.typing import TextInput
from .base import InvoiceActions, TableScreen, invoice_commands

STATUS_FILTERS = [
    ("Open", "open"),
    ("Overdue", "overdue"),
    ("Disputed", "disputed"),
    ("Settled", "settled"),
    ("All", "all"),
]
BUCKETS = [
    ("Any age", "any"),
    ("Not yet due", "current"),
    ("1–30 days", "1-30"),
    ("31–60 days", "31-60"),
    ("61–90 days", "61-90"),
    ("91–120 days", "91-120"),
    ("Over 120 days", "120+"),
]
_BUCKET_RANGE = {"current": (0, 0), "1-30": (1, 30), "31-60": (31, 60), "61-90": (61, 90),
                 "91-120": (91, 120), "120+": (121, 10**9)}
SORTS = {
    "due": (lambda s: (s.invoice.due, s.invoice.number), False),
    "number": (lambda s: s.invoice.number, False),
    "client": (lambda s: (s.invoice.client, s.invoice.due), False),
    "amount": (lambda s: s.invoice.amount, True),
    "owed": (lambda s: s.outstanding, True),
    "late": (lambda s: (s.days_overdue, s.outstanding, s.invoice.number), True),  # (ties: most owed first)
    "status": (lambda s: s.status, False),
}
CYCLE = ("late", "owed", "due", "amount", "client", "number")

def matches(s: InvoiceState, status: str, bucket: str, query: str, names: dict[str, str] | None = None) -> bool:
    """``names``: client id -> its name, folded (a search finds an invoice by its client's name too)."""
    if status == "open" and s.outstanding <= 0:
        return False
    if status == "overdue" and not (s.outstanding > 0 and s.days_overdue > 0):
        return False
    if status == "disputed" and not (s.outstanding > 0 and s.disputed):
        return False
    if status == "settled" and s.outstanding > 0:
        return False
    if bucket != "any":
        if s.outstanding <= 0:
            return False
        lo, hi = _BUCKET_RANGE[bucket]
        if not lo <= s.days_overdue <= hi:
            return False
    if query:
        inv = s.invoice
        if query not in inv.number.casefold() and query not in inv.client.casefold() \
                and query not in inv.reference.casefold() and query not in (names or {}).get(inv.client, ""):
            return False
    return True


class InvoicesScreen(InvoiceActions, TableScreen):
    table_id, search_id, sorts, sort_cycle = "invoices", "invoice-search", SORTS, CYCLE
    BINDINGS = [
        Binding("slash", "search", "Search", id="invoices.search", key_display="/"),
        Binding("f", "cycle_status", "Filter", id="invoices.filter"),
        Binding("g", "cycle_bucket", "Age", id="invoices.age"),
        Binding("o", "sort_next", "Sort", id="invoices.sort"),
        Binding("O", "sort_reverse", "Reverse", id="invoices.reverse", show=False),
        Binding("a", "add", "Add", id="invoices.add"),
        Binding("e", "edit_invoice", "Edit", id="invoices.edit"),
        Binding("d", "dispute", "Dispute", id="invoices.dispute"),
        Binding("w", "write_off", "Write off", id="invoices.write_off"),
        Binding("C", "credit_note", "Credit note", id="invoices.credit_note", show=False,
                tooltip="Take an amount off the selected invoice (goods returned, a price corrected)"),
        Binding("p", "plan", "Plan", id="invoices.plan"),
        Binding("n", "app.note", "Note", id="invoices.note", show=False),
        Binding("dollar_sign", "app.payment", "Payment", id="invoices.payment", show=False, key_display="$"),
        Binding("escape", "clear", "Clear", id="invoices.clear", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.status = "open"
        self.bucket = "any"
        self.query_text = ""
        self.sort = "late"
        self.reverse = True
        self._timer = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="invoice-filters"):
            yield Select(STATUS_FILTERS, value="open", allow_blank=False, id="filter-status", compact=True)
            yield Select(BUCKETS, value="any", allow_blank=False, id="filter-bucket", compact=True)
            yield TextInput(placeholder="number, client or reference (/)", id="invoice-search", compact=True)
        yield VirtualTable(INVOICE_COLUMNS, with_handover(invoice_cells, lambda: self.app.state), id="invoices",
                           muted=lambda s: s.outstanding <= 0,
                           empty="No invoices match these filters.")
        yield Static("", id="invoices-status", classes="status-line", markup=False)
        yield DunFooter()

    def on_mount(self) -> None:  # (DunScreen's runs too, after this one: Textual calls each class's)
        table = self.query_one("#invoices", VirtualTable)
        table.select_now = lambda row: self.dun.open_client(row.invoice.client)  # (see VirtualTable.select_now)
        table.focus()

    def show(self, state: BookState) -> None:
        self._apply()

    def _apply(self) -> None:
        state = self.state
        if state is None:
            return
        table = self.query_one("#invoices", VirtualTable)
        if state.ledger is None:  # the whole ledger is being worked out (after opening or a write)
            if not table.row_count:
                table.empty = f"Working out the state of {len(state.book.invoices):,} invoices…"
                table.set_rows([])
            self.query_one("#invoices-status", Static).update("Refreshing…")
            return
        table.empty = ("No invoices match these filters (f: status, g: age, /: search; escape clears it)."
                       if state.book.invoices else
                       "No invoices yet. a adds one; or, from a shell, "
                       "'dun import invoices FILE' (CSV: number,client,issued,due,amount,currency,reference) "
                       "or 'dun import xero FILE'.")
        cur = table.current
        keep = cur.invoice.number if cur is not None else None
        q = self.query_text.casefold().strip()
        status, bucket = self.status, self.bucket
        if status == "all" and bucket == "any" and not q:
            rows = list(state.ledger.invoices.values())
        else:
            names = {c.id: c.name.casefold() for c in state.book.clients.values()} if q else None
            rows = [s for s in state.ledger.invoices.values() if matches(s, status, bucket, q, names)]
        key, _ = SORTS[self.sort]
        rows.sort(key=key, reverse=self.reverse)
        table.sort_key, table.sort_reverse = self.sort, self.reverse
        table.set_rows(rows, keep=(lambda s: s.invoice.number == keep) if keep else None)
        owed: dict[str, Any] = {}
        for s in rows:
            if s.outstanding > 0:
                owed[s.invoice.currency] = owed.get(s.invoice.currency, 0) + s.outstanding
        owed_text = " · ".join(money(v, k) for k, v in sorted(owed.items())) or "—"
        self.query_one("#invoices-status", Static).update(
            f"{len(rows):,} of {len(state.ledger.invoices):,} · owing {owed_text} · by {self.sort}"
        )

    @on(Select.Changed, "#filter-status")
    def _status(self, event: Select.Changed) -> None:
        if event.value != self.status:
            self.status = str(event.value)
            self._apply()

    @on(Select.Changed, "#filter-bucket")
    def _bucket(self, event: Select.Changed) -> None:
        if event.value != self.bucket:
            self.bucket = str(event.value)
            self._apply()

    @on(Input.Changed, "#invoice-search")
    def _search(self, event: Input.Changed) -> None:
        self.query_text = event.value
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(0.15, self._apply)

    @on(Input.Submitted, "#invoice-search")
    def _search_done(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        self.search_done()

    def action_cycle_status(self) -> None:
        values = [v for _, v in STATUS_FILTERS]
        self.query_one("#filter-status", Select).value = values[(values.index(self.status) + 1) % len(values)]

    def action_cycle_bucket(self) -> None:
        values = [v for _, v in BUCKETS]
        self.query_one("#filter-bucket", Select).value = values[(values.index(self.bucket) + 1) % len(values)]

    def action_add(self) -> None:
        from ..dialogs.invoice_form import InvoiceForm

        if self.dun.check_writable():
            self.app.push_screen(InvoiceForm())

    def selected_invoice(self) -> InvoiceState | None:
        return self.query_one("#invoices", VirtualTable).current

    def current_client_id(self) -> str | None:
        s = self.selected_invoice()
        return s.invoice.client if s is not None else None

    def current_invoice(self) -> str | None:
        s = self.selected_invoice()
        return s.invoice.number if s is not None else None

    def commands(self):
        return [
            ("Invoices: search", "By number, client or reference (/)", self.action_search),
            ("Invoices: next status filter", "open, overdue, disputed, settled, all (f)", self.action_cycle_status),
            ("Invoices: next age bucket", "current, 1-30 … 120+ (g)", self.action_cycle_bucket),
            ("Invoices: next sort", "(o)", self.action_sort_next),
            ("Invoices: add", "A new invoice (a)", self.action_add),
        ] + invoice_commands(self)
