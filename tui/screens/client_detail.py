"""One client: invoices, payments, the activity timeline (Markdown), promises, disputes,
plans and the credit-check record; edit, hold, note, payment, invoice from here."""
from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Header, Markdown, Static, TabbedContent, TabPane

from receivables.ledger import InvoiceState
from receivables.model import Payment, PromiseToPay

from ..fmt import clean, day, money, safe
from ..state import BookState
from ..widgets.context import client_status, interest_for
from ..widgets.timeline import timeline_markdown
from ..widgets.vtable import Column, VirtualTable
from ..widgets.footer import DunFooter
from ..widgets.invoice_rows import INVOICE_COLUMNS_SHORT, invoice_cells_short, with_handover
from .base import DunScreen, InvoiceActions, invoice_commands, offer_credit, toggle_hold


def _voided(rec: Any) -> str:
    return f"VOIDED {day(rec.voided)}: {rec.void_reason}"


class ClientDetailScreen(InvoiceActions, DunScreen):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="client.back"),
        Binding("e", "edit", "Edit", id="client.edit"),
        Binding("h", "hold", "Hold", id="client.hold"),
        Binding("n", "app.note", "Note", id="client.note"),
        Binding("dollar_sign", "app.payment", "Payment", id="client.payment", key_display="$"),
        Binding("a", "add_invoice", "Invoice", id="client.add_invoice"),
        Binding("d", "dispute", "Dispute", id="client.dispute", show=False),
        Binding("w", "write_off", "Write off", id="client.write_off", show=False),
        Binding("C", "credit_note", "Credit note", id="client.credit_note", show=False,
                tooltip="Take an amount off the selected invoice (goods returned, a price corrected)"),
        Binding("p", "plan", "Plan", id="client.plan", show=False),
        Binding("E", "edit_invoice", "Edit invoice", id="client.edit_invoice", show=False),
        Binding("v", "void", "Void", id="client.void"),  # (on the Payments and Promises tabs)
        # v on the other tabs says where (hidden there, it did nothing at all)
        Binding("v", "void_where", "Void", id="client.void_where", show=False),
        Binding("k", "credit", "Apply credit", id="client.credit", show=False,
                tooltip="Put the client's credit (an overpayment) on its open invoices"),
    ]

    def __init__(self, client_id: str, tab: str | None = None) -> None:
        super().__init__()
        self.client_id = client_id
        self.first_tab = tab
        self._promise_states: dict[str, str] = {}
        self._shown: dict[str, set[str]] = {}  # each table's row keys, as last shown

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="client-head", markup=False)
        with TabbedContent(id="client-tabs"):
            with TabPane("Invoices", id="tab-invoices"):
                yield VirtualTable(INVOICE_COLUMNS_SHORT, with_handover(invoice_cells_short, lambda: self.app.state),
                                   id="client-invoices",
                                   muted=lambda s: s.outstanding <= 0, empty="No invoices.")
            with TabPane("Payments · credits", id="tab-payments"):
                yield VirtualTable(
                    [Column("date", "Date", 10), Column("id", "Id", 10), Column("amount", "Amount", 12, right=True),
                     Column("ref", "Reference", 10, flex=True), Column("alloc", "Allocated to", 20)],
                    self._payment_cells, id="client-payments", empty="No payments or credits.",
                    muted=lambda p: p.voided is not None)
            with TabPane("Timeline", id="tab-timeline"):
                with VerticalScroll():
                    yield Markdown("", id="timeline", open_links=False)
            with TabPane("Promises", id="tab-promises"):
                yield VirtualTable(
                    [Column("made", "Made", 10), Column("id", "Id", 10), Column("amount", "Amount", 12, right=True),
                     Column("by", "By", 10), Column("invoices", "Invoices", 10, flex=True),
                     Column("state", "State", 24)],
                    self._promise_cells, id="client-promises", empty="No promises.",
                    muted=lambda p: p.voided is not None)
            with TabPane("Disputes · plans", id="tab-other"):
                with VerticalScroll():
                    yield Static("", id="client-other", markup=False)
            with TabPane("Credit", id="tab-credit"):
                with VerticalScroll():
                    yield Static("", id="client-credit", markup=False)
        yield DunFooter()

    def _payment_cells(self, p: Any) -> list[str]:
        """A payment's row, or an adjustment's (a credit note, write-off or adjustment)."""
        if isinstance(p, Payment):
            alloc = ", ".join(a.invoice for a in p.allocations[:4]) + (" …" if len(p.allocations) > 4 else "")
            if p.unallocated and p.voided is None:
                alloc += f" (credit {money(p.unallocated, p.currency)})"
            ref = p.reference
        else:
            alloc = p.invoice or "client credit"
            ref = p.kind.replace("_", " ") + (f": {p.reason}" if p.reason else "")
        if p.voided is not None:  # (the wide column says so; what it went to stays for the record)
            ref = _voided(p) + (f" · {ref}" if ref else "")
        return [day(p.date), p.id, money(p.amount, p.currency), ref, alloc]

    def _promise_cells(self, p: Any) -> list[str]:
        state = _voided(p) if p.voided is not None else self._promise_states.get(p.id, "")
        return [day(p.made), p.id, money(p.amount, p.currency), day(p.by), ", ".join(p.invoices), state]

    _VOIDABLE_ON = {"tab-payments": "#client-payments", "tab-promises": "#client-promises"}


    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action in ("void", "void_where"):  # v: "void" on the tabs that list what can be voided
            tabs = self.query("#client-tabs")
            return (bool(tabs) and tabs.first(TabbedContent).active in self._VOIDABLE_ON) == (action == "void")
        return True

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        self.refresh_bindings()

    def action_void_where(self) -> None:
        self.app.notify("v voids a payment, credit or promise recorded by mistake: select it on the "
                        "Payments · credits or the Promises tab. An invoice typed wrong: E edits it.",
                        markup=False, timeout=8)

    def show_voidable(self) -> None:
        """The Payments · credits tab (unless the Promises one is open), its table focused."""
        tabs = self.query_one("#client-tabs", TabbedContent)
        if tabs.active not in self._VOIDABLE_ON:
            tabs.active = "tab-payments"
        self.query_one(self._VOIDABLE_ON[tabs.active], VirtualTable).focus()
        self.app.notify("Select the payment, credit or promise recorded by mistake, then v.", markup=False)

    def action_void(self) -> None:
        """Void the payment, credit or promise selected (one recorded by mistake)."""
        tab = self.query_one("#client-tabs", TabbedContent).active
        table = self.query_one(self._VOIDABLE_ON.get(tab, "#client-payments"), VirtualTable)
        rec = table.current
        if rec is None:
            self.app.notify("Nothing to void here.", markup=False)
            return
        if rec.voided is not None:
            self.app.notify(f"{rec.id} was voided on {day(rec.voided)}.", markup=False)
            return
        if not self.app.check_writable():
            return
        from ..dialogs.void import VoidDialog

        receipt = next((r.id for r in self.app.state.book.receipts if r.payment == rec.id), None)

        def done(result: Any) -> None:
            if result:
                self.app.notify(f"Voided {rec.id}: it counts nowhere now.", markup=False)

        self.app.push_screen(VoidDialog(rec, self.app.on, receipt), done)

    def on_mount(self) -> None:  # (DunScreen's runs too, after this one: Textual calls each class's)
        if self.first_tab in self._VOIDABLE_ON:
            self.query_one("#client-tabs", TabbedContent).active = self.first_tab
            self.show_voidable()
        else:
            self.query_one("#client-invoices", VirtualTable).focus()

    def show(self, state: BookState) -> None:
        client = state.book.clients.get(self.client_id)
        if client is None:
            self.query_one("#client-head", Static).update(f"No client {self.client_id}")
            return
        self.query_one("#client-head", Static).update(clean(self._head(state)))
        every = state.ledger_for(self.client_id).client_invoices(self.client_id)  # oldest due first
        rows = [s for s in every if s.outstanding > 0] + [s for s in reversed(every) if s.outstanding <= 0]
        self._fill(self.query_one("#client-invoices", VirtualTable), rows, lambda s: s.invoice.number)
        b, cid = state.book, self.client_id
        voided = [x for x in b.voided if x.client == cid]  # (kept for the record, greyed)
        pays = [x for x in (*b.payments, *b.adjustments) if x.client == cid]
        pays += [x for x in voided if not isinstance(x, PromiseToPay)]
        proms = [x for x in b.promises if x.client == cid] + [x for x in voided if isinstance(x, PromiseToPay)]
        status = client_status(state, cid)  # each promise's state, once per showing (the rows read it)
        known = {ps.promise.id: ps.state for ps in status.promises} if status is not None else {}
        self._promise_states = {p.id: known.get(p.id, "open" if p.by >= state.on else "past") for p in proms}
        for sel, rows, when in (("#client-payments", pays, lambda x: (x.date, x.id)),
                                ("#client-promises", proms, lambda x: (x.made, x.id))):
            self._fill(self.query_one(sel, VirtualTable), sorted(rows, key=when, reverse=True), lambda x: x.id)
        self.query_one("#timeline", Markdown).update(timeline_markdown(state, self.client_id))
        self.query_one("#client-other", Static).update(clean(self._other(state)))
        self.query_one("#client-credit", Static).update(clean(self._credit(state)))

    def _fill(self, table: VirtualTable, rows: list, key: Any) -> None:
        """Show ``rows``: the cursor goes to a row that was not there the last time (the
        topmost such: what was just added, a payment or the credit ``k`` put on an invoice),
        else stays on the row it was on. (It stayed on the older row, and v offered to void
        that one instead of what was just added.)"""
        seen = self._shown.get(table.id or "")
        keys = [key(r) for r in rows]
        self._shown[table.id or ""] = set(keys)
        target = next((k for k in keys if k not in seen), None) if seen is not None else None
        if target is None and table.current is not None:
            target = key(table.current)
        table.set_rows(rows, keep=(lambda r: key(r) == target) if target is not None else None)

    def _head(self, state: BookState) -> Text:
        c = state.book.clients[self.client_id]
        status = client_status(state, self.client_id)
        t = Text()
        t.append(safe(c.name), style="bold")
        t.append(f"  {c.id} · {c.currency} · {c.terms_days} days", style="dim")
        hold = status.hold if status is not None else c.hold
        if hold:
            reason = (status.hold_reason if status is not None else "") or c.hold_reason
            t.append("  ON HOLD" + (f" ({safe(reason)})" if reason else ""), style="bold red")
        contact = " · ".join(safe(x) for x in (c.email, c.phone) if x)
        if contact:
            t.append(f"\n{contact}", style="dim")
        for pos in state.ledger_for(self.client_id).positions(self.client_id):
            if not pos.invoiced_open and not pos.credit and pos.currency != c.currency:
                continue
            t.append("\nBalance ", style="dim")
            t.append(money(pos.balance, pos.currency), style="bold")
            t.append(" · overdue ", style="dim")
            t.append(money(pos.overdue, pos.currency), style="red" if pos.overdue else "")
            if pos.oldest_days_overdue:
                t.append(f" · oldest {pos.oldest_days_overdue}d", style="dim")
            if c.credit_limit is not None and pos.currency == c.currency:
                t.append(f" · limit {money(c.credit_limit, c.currency)}",
                         style="bold red" if pos.balance > c.credit_limit else "dim")
            if pos.credit:
                t.append(f" · credit {money(pos.credit, pos.currency)}", style="green")
                if pos.credit > 0 and pos.invoiced_open > 0:
                    t.append(" (k puts it on them)", style="green")
        row = state.client_row(self.client_id)
        if row is not None and row.risk is not None:
            t.append(f" · risk {row.risk}", style="dim")
        return t

    def _other(self, state: BookState) -> Group:
        b = state.book
        cid = self.client_id
        out: list[Any] = []
        out.append(Text("Disputes", style="bold"))
        disputes = [d for d in b.disputes if d.client == cid]
        if disputes:
            t = Table(box=None, padding=(0, 1), header_style="dim")
            for col in ("Invoice", "Opened", "Reason", "Resolved"):
                t.add_column(col, no_wrap=col != "Reason")
            for d in reversed(disputes):
                t.add_row(Text(safe(d.invoice)), day(d.opened), Text(safe(d.reason)),
                          Text(safe(f"{day(d.resolved)} {d.resolution}").strip()) if d.resolved
                          else Text("open", style="magenta"))
            out.append(t)
        else:
            out.append(Text("none", style="dim"))
        out.append(Text("\nPayment plans", style="bold"))
        plans = [p for p in b.plans if p.client == cid]
        if plans:
            for p in reversed(plans):
                head = f"{p.id} · created {day(p.created)} · {money(p.total, p.currency)} over {', '.join(p.invoices)}"
                if p.cancelled:
                    head += f" · cancelled {day(p.cancelled)}"
                out.append(Text(safe(head)))
                for k, i in enumerate(p.installments, 1):
                    out.append(Text(f"  {k}. {day(i.due)}  {money(i.amount, p.currency)}", style="dim"))
        else:
            out.append(Text("none", style="dim"))
        return Group(*out)

    def _credit(self, state: BookState) -> Group:
        c = state.book.clients[self.client_id]
        out: list[Any] = [Text("Credit", style="bold")]
        out.append(Text(f"Limit: {money(c.credit_limit, c.currency) if c.credit_limit is not None else 'none set'}"))
        if c.credit_check:
            cc = c.credit_check
            out.append(Text(safe(f"Last check: {day(cc.date)} · source {cc.source or '—'} · rating {cc.rating or '—'}")))
        else:
            out.append(Text("No credit check on record.", style="dim"))
        row = state.client_row(self.client_id)
        if row is not None and row.risk is not None:
            out.append(Text(f"\nRisk score {row.risk} / 100", style="bold"))
            for r in row.risk_reasons:
                out.append(Text(f"• {r}"))
        for cur, (i, comp) in sorted((interest_for(state, self.client_id) or {}).items()):
            out.append(Text(f"\nLate-payment interest {money(i, cur)} · compensation {money(comp, cur)}", style="yellow"))
        if c.address:
            out.append(Text("\nBilling address", style="bold"))
            out.append(Text(c.address))
        return Group(*out)

    # -- what the footer keys act on ---------------------------------------------------
    def current_client_id(self) -> str | None:
        return self.client_id

    def selected_invoice(self) -> InvoiceState | None:
        return self.query_one("#client-invoices", VirtualTable).current

    def current_invoice(self) -> str | None:
        s = self.selected_invoice()
        return s.invoice.number if s is not None else None

    def action_edit(self) -> None:
        from ..dialogs.client_form import ClientForm

        if self.dun.check_writable():
            self.app.push_screen(ClientForm(self.state.book.clients[self.client_id]))

    def action_hold(self) -> None:
        toggle_hold(self, self.client_id)

    def action_credit(self) -> None:
        offer_credit(self, self.client_id)

    def action_add_invoice(self) -> None:
        from ..dialogs.invoice_form import InvoiceForm

        if self.dun.check_writable():
            self.app.push_screen(InvoiceForm(client=self.client_id))

    def commands(self):
        return [
            ("Client: edit", "Name, contact, terms, credit limit (e)", self.action_edit),
            ("Client: put on hold / lift the hold", "(h)", self.action_hold),
            ("Client: apply credit", "Put its credit (an overpayment) on its open invoices (k)", self.action_credit),
            ("Client: add an invoice", "(a)", self.action_add_invoice),
            ("Client: void a payment, credit or promise", "One recorded by mistake: select it, then v",
             self.show_voidable),
            ("Client: back", "(escape)", self.app.pop_screen),
        ] + invoice_commands(self)
