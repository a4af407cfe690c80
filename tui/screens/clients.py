"""Clients: searchable and sortable (balance, overdue, oldest, risk, hold)."""
from __future__ import annotations

from decimal import Decimal

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Header, Input, Static

from ..fmt import money
from ..state import BookState, ClientRow
from ..widgets.vtable import Column, VirtualTable
from ..widgets.footer import DunFooter
from ..widgets.typing import TextInput
from .base import TableScreen, toggle_hold

SORTS = {
    "id": (lambda r: r.client.id, False),
    "name": (lambda r: r.client.name.casefold(), False),
    "balance": (lambda r: r.balance, True),
    "overdue": (lambda r: r.overdue, True),
    "oldest": (lambda r: r.oldest, True),
    "risk": (lambda r: -1 if r.risk is None else r.risk, True),
    "hold": (lambda r: (r.hold, r.overdue), True),
}
CYCLE = ("overdue", "balance", "oldest", "risk", "hold", "name")
MONEY_SORTS = ("balance", "overdue")


def by_currency(key, home: str, reverse: bool):
    """A money sort key that groups the rows by currency first: the home currency, then the
    others by code (whichever way the amounts run), the amounts sorted within each."""
    def group(r: ClientRow):
        rank = (r.currency != home, r.currency)
        return rank if not reverse else (not rank[0], _Desc(rank[1]))

    return lambda r: (group(r), key(r))


class _Desc(str):
    """A string that sorts the other way round (so a reversed sort keeps codes A to Z)."""

    def __lt__(self, other: str) -> bool:
        return str.__gt__(self, other)

    def __gt__(self, other: str) -> bool:
        return str.__lt__(self, other)


def client_cells(r: ClientRow) -> list[str]:
    bal = money(r.balance, r.currency)  # (another currency the client deals in: a row of its own)
    return [
        r.client.id,
        r.client.name,
        bal,
        money(r.overdue, r.currency) if r.overdue else "—",
        f"{r.oldest}d" if r.oldest else "—",
        "" if r.risk is None else str(r.risk),
        "HOLD" if r.hold else "",
    ]


def clients_empty(any_client: bool, query: str) -> str:
    """What the table says when it shows no client: a search that found none, or a new book."""
    if any_client:
        return f"No client's name or id contains {query.strip()!r}. escape clears the search."
    return ("No clients yet. a adds one; or, from a shell, 'dun import clients FILE' (CSV: id,name,email,"
            "phone,terms_days,credit_limit,currency) or 'dun import xero FILE'.")


class ClientsScreen(TableScreen):
    table_id, search_id, sorts, sort_cycle = "clients", "client-search", SORTS, CYCLE
    BINDINGS = [
        Binding("slash", "search", "Search", id="clients.search", key_display="/"),
        Binding("o", "sort_next", "Sort", id="clients.sort"),
        Binding("O", "sort_reverse", "Reverse", id="clients.reverse", show=False),
        Binding("a", "add", "Add", id="clients.add"),
        Binding("e", "edit", "Edit", id="clients.edit"),
        Binding("h", "hold", "Hold on/off", id="clients.hold"),
        Binding("n", "app.note", "Note", id="clients.note"),
        Binding("dollar_sign", "app.payment", "Payment", id="clients.payment", key_display="$"),
        Binding("escape", "clear", "Clear search", id="clients.clear", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.sort = "overdue"
        self.reverse = True
        self.query_text = ""

    def compose(self) -> ComposeResult:
        yield Header()
        yield TextInput(placeholder="Search clients by name or id (/)", id="client-search", compact=True)
        yield VirtualTable(
            [
                Column("id", "Id", 16, optional=True),
                Column("name", "Name", 22, flex=True),
                Column("balance", "Balance", 12, right=True),
                Column("overdue", "Overdue", 12, right=True),
                Column("oldest", "Oldest", 6, right=True),
                Column("risk", "Risk", 4, right=True),
                Column("hold", "Hold", 4),
            ],
            client_cells,
            empty="No clients match.",
            id="clients",
        )
        yield Static("", id="clients-status", classes="status-line", markup=False)
        yield DunFooter()

    def on_mount(self) -> None:  # (DunScreen's runs too, after this one: Textual calls each class's)
        table = self.query_one("#clients", VirtualTable)
        table.select_now = lambda row: self.dun.open_client(row.client.id)
        table.focus()

    def show(self, state: BookState) -> None:
        self._apply()

    def _apply(self) -> None:
        state = self.state
        if state is None:
            return
        table = self.query_one("#clients", VirtualTable)
        if state.clients is None:  # the whole ledger is being worked out (after opening or a write)
            if not table.row_count:
                table.empty = f"Working out the balances of {len(state.book.clients):,} clients…"
                table.set_rows([])
            self.query_one("#clients-status", Static).update("Refreshing…")
            return
        table.empty = clients_empty(bool(state.book.clients), self.query_text)
        current = table.current
        keep_id = (current.client.id, current.currency) if current is not None else None
        q = self.query_text.casefold().strip()
        rows = state.clients
        if q:
            rows = [r for r in rows if q in r.client.name.casefold() or q in r.client.id.casefold()]
        key, _ = SORTS[self.sort]
        if self.sort in MONEY_SORTS:  # amounts in different currencies are not compared
            home = state.policy.defaults.currency if state.policy is not None else ""
            key = by_currency(key, home, self.reverse)
        rows = sorted(rows, key=key, reverse=self.reverse)
        table.sort_key, table.sort_reverse = self.sort, self.reverse
        table.set_rows(rows, keep=(lambda r: (r.client.id, r.currency) == keep_id) if keep_id else None)
        total = len(state.book.clients)
        shown = len({r.client.id for r in rows})  # (a client owing in two currencies has two rows)
        owed: dict[str, Decimal] = {}
        for r in rows:
            owed[r.currency] = owed.get(r.currency, Decimal(0)) + r.balance
        owed_text = " · ".join(money(v, k) for k, v in sorted(owed.items()))
        self.query_one("#clients-status", Static).update(
            f"{shown} of {total} clients · owed {owed_text or '—'} · sorted by {self.sort}"
            f"{' (high first)' if self.reverse else ''} · o: next sort, O: reverse, enter: open"
        )

    @on(Input.Changed, "#client-search")
    def _search(self, event: Input.Changed) -> None:
        self.query_text = event.value
        self._apply()

    @on(Input.Submitted, "#client-search")
    def _search_done(self) -> None:
        self.search_done()

    def current_client_id(self) -> str | None:
        r = self.query_one("#clients", VirtualTable).current
        return r.client.id if r is not None else None

    def action_add(self) -> None:
        from ..dialogs.client_form import ClientForm

        if self.dun.check_writable():
            self.app.push_screen(ClientForm())

    def action_edit(self) -> None:
        from ..dialogs.client_form import ClientForm

        cid = self.current_client_id()
        if cid and self.dun.check_writable():
            self.app.push_screen(ClientForm(self.state.book.clients[cid]))

    def action_hold(self) -> None:
        cid = self.current_client_id()
        if cid:
            toggle_hold(self, cid)

    def commands(self):
        return [
            ("Clients: search", "Filter by name or id (/)", self.action_search),
            ("Clients: next sort", "balance, overdue, oldest, risk, hold, name (o)", self.action_sort_next),
            ("Clients: reverse the sort", "(O)", self.action_sort_reverse),
            ("Clients: edit the selected client", "(e)", self.action_edit),
            ("Clients: put on hold / lift the hold", "(h)", self.action_hold),
        ]
