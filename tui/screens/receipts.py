"""Unmatched receipts: bank money no client was matched to with certainty (``dun import bank``).

Reached from Today (``b``). Each receipt shows its best candidates, ranked by
:func:`receivables.matching.suggest`; ``a`` (or enter) records the best one as the client's
payment, ``m`` picks the client and invoices, ``x`` sets a receipt aside as not a client's
payment. Accepting remembers the payer's name for the client, so the next statement matches
by itself. The matching rules live in the domain; this screen only shows and asks.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Footer, Header, Static

from receivables.errors import DunError
from receivables.matching import OpenItems, accept, suggest, unmatched

from ..dialogs.base import Field, FormDialog, client_field
from ..fmt import money, safe
from ..widgets.vtable import Column, VirtualTable
from .base import DunScreen, write


def _commit(repo, records: list, updates: list) -> list:
    return repo.commit(records, updates)


class ReceiptsScreen(DunScreen):
    BINDINGS = [
        Binding("a", "accept", "Accept best", id="receipts.accept"),
        Binding("m", "pick", "Match to…", id="receipts.pick"),
        Binding("x", "ignore", "Not a client's", id="receipts.ignore"),
        Binding("escape", "back", "Back", id="receipts.back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: list = []
        self.items: OpenItems | None = None
        self._book = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="receipts-head", markup=False)
        with Horizontal():
            yield VirtualTable(
                [
                    Column("date", "Date", 10),
                    Column("amount", "Amount", 12, right=True),
                    Column("payer", "Payer", 22),
                    Column("text", "Reference", 12, flex=True),
                ],
                self._cells,
                empty="No unmatched receipts. Bank statements come in with: dun import bank FILE "
                      "(OFX, camt.053 or CSV).",
                id="receipts",
            )
            with VerticalScroll(id="receipt-context", classes="context"):
                yield Static("", id="suggestions", markup=False)
        yield Footer()

    def on_mount(self) -> None:  # (DunScreen's runs too, after this one: Textual calls each class's)
        if self.state is None:  # the app opened on the saved queue and is still reading the book
            self.query_one("#receipts-head", Static).update(Text("Unmatched receipts · reading the book…", style="dim"))

    def _cells(self, r) -> list[str]:
        return [r.date.isoformat(), money(r.amount, r.currency), safe(r.payer) or "?", safe(r.text)]

    def show(self, state) -> None:
        if state.book is self._book:
            return
        self._book = state.book
        self.items = None  # worked out again on first use: the book changed
        at = self.current.id if self.current is not None else None
        self.rows = unmatched(state.book)
        table = self.query_one("#receipts", VirtualTable)
        table.set_rows(self.rows, keep=lambda r: r.id == at)
        head = Text(f"Unmatched receipts · {len(self.rows)}", style="bold")
        head.append("   a accept the best · m match to a client · x not a client's · esc back", style="dim")
        self.query_one("#receipts-head", Static).update(head)
        self._show_suggestions()
        table.focus()

    @property
    def current(self):
        try:
            return self.query_one("#receipts", VirtualTable).current
        except Exception:
            return None

    def _suggestions(self, r) -> list:
        if self.items is None:
            self.items = OpenItems(self.state.book)
        return suggest(self.state.book, r, self.items)

    def _show_suggestions(self) -> None:
        r = self.current
        out = Text()
        if r is None:
            out.append("Nothing to match.", style="dim")
        else:
            out.append(f"{money(r.amount, r.currency)} on {r.date.isoformat()}\n", style="bold")
            out.append(f"from {safe(r.payer) or '?'}\n{safe(r.text)}\n", style="")
            out.append(f"{safe(r.source)} · {r.id}\n\n", style="dim")
            cands = self._suggestions(r)
            if not cands:
                out.append("No candidate: press m to pick the client.", style="dim")
            for n, c in enumerate(cands, 1):
                name = self.state.book.clients[c.client].name
                out.append(f"{n}. {safe(name)}", style="bold" if n == 1 else "")
                out.append(f"  {c.points} pt · {safe(', '.join(c.why))}\n", style="dim")
                out.append(f"   -> {', '.join(c.invoices) if c.invoices else 'the oldest due first'}\n")
            if len(cands) > 1 and cands[0].points == cands[1].points:
                out.append("\nThe first two are as likely: check before accepting.", style="yellow")
        self.query_one("#suggestions", Static).update(out)

    @on(VirtualTable.Highlighted, "#receipts")
    def _highlighted(self, event) -> None:
        self._show_suggestions()

    @on(VirtualTable.Selected, "#receipts")
    def _selected(self, event) -> None:
        self.action_accept()

    def current_client_id(self) -> str | None:
        r = self.current
        cands = self._suggestions(r) if r is not None else []
        return cands[0].client if cands else None

    # -- actions
    def _record(self, client: str, invoices: tuple[str, ...]) -> bool:
        r = self.current
        if r is None:
            return False
        try:
            records, updates = accept(self.state.book, r, client, invoices, self.items)
        except DunError as e:
            self.app.notify(safe(str(e)), title="Not saved", severity="error", markup=False)
            return False
        self.items = None  # the open items were used up by the proposal
        pay = records[0]
        to = ", ".join(a.invoice for a in pay.allocations) or "client credit"
        return write(self.app, _commit, records, updates,
                     success=f"{money(pay.amount, pay.currency)} from {client} -> {to}") is not None

    def action_accept(self) -> None:
        r = self.current
        if r is None:
            return
        cands = self._suggestions(r)
        if not cands:
            self.action_pick()
            return
        best = cands[0]
        self._record(best.client, best.invoices)

    def action_pick(self) -> None:
        r = self.current
        if r is None:
            return
        cands = self._suggestions(r)
        self.app.push_screen(MatchDialog(r, cands[0].client if cands else "", self))

    def action_ignore(self) -> None:
        r = self.current
        if r is not None:
            write(self.app, _commit, [], [replace(r, ignored=True)], success=f"{r.id} set aside: not a client's payment")

    def action_back(self) -> None:
        self.app.pop_screen()


class MatchDialog(FormDialog):
    TITLE_TEXT = "Match the receipt to a client"

    def __init__(self, receipt, client: str, screen: ReceiptsScreen) -> None:
        super().__init__()
        self.receipt, self.client, self.owner = receipt, client, screen

    def fields(self) -> list[Field]:
        book = self.app.state.book
        r = self.receipt

        def same_currency(c) -> None:
            if c.currency != r.currency:
                raise DunError(f"{c.id} is billed in {c.currency}, the receipt is in {r.currency}", "client")

        def invoices(text: str) -> tuple[str, ...]:
            nums = tuple(x for x in text.replace(",", " ").split() if x)
            cid = self.values.get("client")
            for n in nums:
                inv = book.invoices.get(n)
                if inv is None or (cid and inv.client != cid):
                    raise DunError(f"no invoice {n!r}" + (f" for {cid}" if cid else ""), "invoice")
            return nums

        return [client_field(self.client, lambda: self.app.state.book.clients, check=same_currency),
                Field("invoices", "Invoices", "", invoices, required=False,
                      placeholder="empty: the oldest due first")]

    def save(self, v: dict[str, Any]) -> Any:
        records, updates = accept(self.app.state.book, self.receipt, v["client"], v.get("invoices") or ())
        return self.app.repo.commit(records, updates)
