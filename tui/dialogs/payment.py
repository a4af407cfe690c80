"""Record a payment: amount, date, reference; allocation proposed oldest-due-first and
editable per invoice; the resulting balances are shown before saving."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Static

from receivables.errors import DunError
from receivables.allocate import suggest_allocation
from receivables.model import Payment
from receivables.money import check_currency, parse_typed_amount

from .. import actions
from ..fmt import money, plain, safe
from ..widgets.typing import TextInput, focus_now
from .base import Field, FormDialog, amount_parser, client_field, date_parser, message_of

ZERO = Decimal(0)


PAGE = 40  # allocation lines mounted at a time: a client with hundreds of open invoices stays quick
LONG_AGO_DAYS = 31  # a payment date further back is said in days under the field


class PaymentDialog(FormDialog):
    TITLE_TEXT = "Record a payment"

    def __init__(self, client: str | None = None, action: Any = None) -> None:
        super().__init__()
        self.client = client or (action.client if action is not None else None)
        self.action = action
        self.manual = False  # the user changed an allocation by hand
        self.alloc: dict[str, Decimal] = {}
        self.alloc_errors: dict[str, str] = {}
        self._rows_for: str | None = None
        self._rows_key: tuple | None = None  # (client, currency) the allocation lines are for
        self._shown = PAGE  # open invoices with an allocation line (more on request)

    def first_focus(self) -> Any:
        """Typing starts at the amount when the client is known (the walk-through's $, or $ on
        a client): what is typed first is what was received, never a new client id."""
        if self.client and self.client in self.app.state.book.clients:
            return self.query_one("#in-amount", Input)
        return super().first_focus()

    # -- fields --------------------------------------------------------------------
    def currency(self) -> str:
        """The currency field's (the money may come in another currency than the client's:
        an invoice in euros to a client in pounds), else the client's."""
        typed = self.values.get("currency")
        if typed:
            return typed
        return self._client_currency(self.values.get("client") or self.client)

    def _client_currency(self, cid: str | None) -> str:
        book = self.app.state.book
        if self.action is not None and cid == self.action.client and getattr(self.action, "currency", ""):
            return self.action.currency  # (the action's invoices' currency)
        if cid in book.clients:
            return book.clients[cid].currency
        return self.app.state.policy.defaults.currency if self.app.state.policy else "GBP"

    def fields(self) -> list[Field]:
        amount = ""
        if self.action is not None and getattr(self.action, "amount", None):
            amount = plain(self.action.amount, self.action.currency)
        return [
            client_field(self.client or "", lambda: self.app.state.book.clients),
            Field("amount", "Amount received", amount, amount_parser(self.currency, self.owner_locale)),
            Field("date", "Date received", self.app.on.isoformat(),
                  date_parser(not_after=self.app.on, why="the day the money arrived (a later one counts nowhere yet)"),
                  note=self._date_note),
            Field("reference", "Reference", "", None, required=False, placeholder="bank reference"),
            # (last: a payment typed in one burst, amount, date, reference, never meets it)
            Field("currency", "Currency", self._client_currency(self.client),
                  lambda text: check_currency(text.strip().upper(), "currency"),
                  help="the client's unless the money came in another"),
        ]

    def _date_note(self, d, text: str) -> str:
        """A day long gone said plainly under the field (a slip of the year shows at once)."""
        days = (self.app.on - d).days
        return f"= {days} days ago" if days > LONG_AGO_DAYS else ""

    def compose_extra(self) -> ComposeResult:
        with Horizontal(classes="alloc-head"):
            order = "this action's invoices first, then oldest due" if self.action is not None else "oldest due first"
            yield Label(f"Allocation ({order}; edit any line)", classes="field-label")
            yield Button("Re-propose", id="repropose", compact=True)
        yield Vertical(id="alloc-rows")
        yield Static("", id="alloc-summary", markup=False)

    # -- allocation ------------------------------------------------------------------
    def _open_invoices(self, cid: str) -> list:
        return self.app.state.ledger_for(cid).open_invoices(cid, self.currency())

    async def _build_rows(self, cid: str | None) -> None:
        """The allocation lines for ``cid``, then the proposal filled into them: the lines are
        mounted (awaited) first, so the amounts land in the new lines, not the old ones."""
        box = self.query_one("#alloc-rows", Vertical)
        self._shown = PAGE
        self._rows_for = cid
        self.alloc = {}
        self.manual = False
        await box.remove_children()
        if cid is None:
            await box.mount(Static("Pick a client to see their open invoices.", classes="dim"))
        else:
            open_ = self._open_invoices(cid)
            if not open_:
                await box.mount(Static("No open invoices: the whole payment becomes client credit.", classes="dim"))
            else:
                await box.mount_all(self._lines(open_[:self._shown]))
                self._more_button(box, open_)
        if self._rows_for == cid:  # (not overtaken by a later change of client)
            self._propose()

    def _lines(self, states: list) -> list:
        return [
            Horizontal(
                Label(safe(s.invoice.number), classes="alloc-num", markup=False),
                Label(f"due {s.invoice.due.isoformat()}", classes="alloc-due"),
                Label(money(s.outstanding, s.invoice.currency), classes="alloc-owed"),
                TextInput("", id=f"al-{_safe(s.invoice.number)}", classes="alloc-input", placeholder="0", compact=True),
                Label("", id=f"after-{_safe(s.invoice.number)}", classes="alloc-after"),
                classes="alloc-row",
            )
            for s in states
        ]

    def _more_button(self, box: Vertical, open_: list) -> None:
        if len(open_) > self._shown:
            left = len(open_) - self._shown
            box.mount(Button(f"Show {min(left, PAGE)} more of {left} open invoices left", id="more-rows",
                             compact=True))

    @on(Button.Pressed, "#more-rows")
    async def _more_rows(self, event: Button.Pressed) -> None:
        """Add the next lines below the others; the allocation stays as it stands."""
        cid = self._rows_for
        if cid is None:
            return
        box = self.query_one("#alloc-rows", Vertical)
        open_ = self._open_invoices(cid)
        start = self._shown
        self._shown += PAGE
        await event.button.remove()
        await box.mount_all(self._lines(open_[start:self._shown]))
        self._more_button(box, open_)
        self._fill_inputs()
        first = self.query(f"#al-{_safe(open_[start].invoice.number)}")
        if first:
            focus_now(first.first())

    def _shown_lines(self, cid: str, prefix: str, kind: type):
        """(invoice state, widget) for each allocation line on screen: ``prefix`` "al" for the
        amount typed, "after" for the balance it leaves."""
        for s in self._open_invoices(cid)[:self._shown]:
            found = self.query(f"#{prefix}-{_safe(s.invoice.number)}")
            if found:
                yield s, found.first(kind)

    def _fill_inputs(self) -> None:
        cid = self._rows_for
        if cid is None:
            return
        cur = self.currency()
        for s, inp in self._shown_lines(cid, "al", Input):
            n = s.invoice.number
            text = plain(self.alloc[n], cur) if n in self.alloc else ""
            if inp.value != text:
                with inp.prevent(Input.Changed):
                    inp.value = text
            inp.set_class(n in self.alloc_errors, "-invalid")
        self._summarise()

    def on_values(self, values: dict[str, Any]) -> None:
        cid = values.get("client")
        if cid is not None:  # the currency follows the client while it is the one proposed
            cur = self._client_currency(cid)
            inp = self.query_one("#in-currency", Input)
            if not hasattr(self, "_auto_cur") or inp.value == self._auto_cur:
                self._auto_cur = cur
                if inp.value != cur:
                    self.set_field("currency", cur)
                    return  # (its change comes back here)
        key = (cid, self.currency())
        if key != self._rows_key:
            self._rows_key = key
            self._rows_for = cid
            self.alloc = {}
            self.run_worker(self._build_rows(cid), group="alloc-rows", exclusive=True)
            return
        if not self.manual:
            self._propose()
        else:
            self._summarise()

    def _propose(self) -> None:
        cid = self.values.get("client")
        amount = self.values.get("amount")
        if cid is None:
            self._summarise()
            return
        cur = self.currency()
        if amount is None:
            allocs = ()
        else:
            first = tuple(self.action.invoices) if self.action is not None and self.action.client == cid else ()
            allocs, _rest = suggest_allocation(self.app.state.ledger_for(cid), cid, cur, amount, first)
        self.alloc = {a.invoice: a.amount for a in allocs}
        self.alloc_errors = {}
        self.manual = False
        self._fill_inputs()

    @on(Input.Changed, ".alloc-input")
    def _alloc_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.manual = True
        cid = self.values.get("client")
        cur = self.currency()
        by_id = {f"al-{_safe(s.invoice.number)}": s for s in self._open_invoices(cid)[:self._shown]} if cid else {}
        s = by_id.get(event.input.id or "")
        if s is None:
            return
        n = s.invoice.number
        text = event.value.strip()
        self.alloc_errors.pop(n, None)
        if not text:
            self.alloc.pop(n, None)
        else:
            try:
                value = parse_typed_amount(text, cur, self.owner_locale(), n, allow_zero=True)
                if value > s.outstanding:
                    self.alloc_errors[n] = f"more than the {plain(s.outstanding, cur)} owed"
                self.alloc[n] = value
            except DunError as e:
                self.alloc_errors[n] = message_of(e)
                self.alloc.pop(n, None)
        event.input.set_class(n in self.alloc_errors, "-invalid")
        self._summarise()

    @on(Button.Pressed, "#repropose")
    def _repropose(self) -> None:
        self._propose()

    def _summarise(self) -> None:
        cid = self.values.get("client")
        amount = self.values.get("amount")
        summary = self.query_one("#alloc-summary", Static)
        if cid is None:
            summary.update("")
            return
        cur = self.currency()
        for s, after in self._shown_lines(cid, "after", Label):
            n = s.invoice.number
            if n in self.alloc_errors:
                after.update(self.alloc_errors[n])
                after.add_class("error")
            else:
                after.remove_class("error")
                left = s.outstanding - self.alloc.get(n, ZERO)
                after.update("→ paid" if left == 0 else f"→ {money(left, cur)}")
        total = sum(self.alloc.values(), ZERO)
        row = self.app.state.client_row(cid)
        balance = row.balance if row is not None and row.currency == cur else ZERO
        lines = [f"Allocated {money(total, cur)}"]
        if amount is not None:
            rest = amount - total
            if rest < 0:
                lines.append(f"— {money(-rest, cur)} MORE than the payment: lower an allocation")
            elif rest > 0:
                lines.append(f"· {money(rest, cur)} stays as client credit")
            lines.append(f"· balance {money(balance, cur)} → {money(balance - amount, cur)}")
        summary.update(" ".join(lines))

    def cross_check(self, values: dict[str, Any]) -> dict[str, str]:
        errs = {}
        amount = values.get("amount")
        if amount is not None and self.alloc and sum(self.alloc.values(), ZERO) > amount:
            errs["amount"] = "the allocations add up to more than this"
        return errs

    def save(self, v: dict[str, Any]) -> Any:
        if self.alloc_errors:
            n, msg = next(iter(self.alloc_errors.items()))
            raise DunError(msg, n, "fix the allocation line")
        cur = self.currency()
        allocations = [(n, a) for n, a in self.alloc.items() if a]
        payment = actions.make_payment(v["client"], v["date"], v["amount"], cur, allocations, v.get("reference") or "")
        if self.action is not None:  # (another client's payment, or a part payment, leaves the action open)
            owed = {s.invoice.number: s.outstanding for s in self._open_invoices(v["client"])}
            result = actions.log_payment_outcome(self.app.repo, self.action, self.app.on, payment, owed)
        else:
            actions._writable(self.app.repo)
            result = self.app.repo.record_payment(payment)
        saved = next((r for r in (result if isinstance(result, list) else [result]) if isinstance(r, Payment)), None)
        if saved is not None:  # saved: say so, and how to take it back
            self.app.notify(safe(recorded_line(saved, self.app.state)), title="Payment recorded", markup=False,
                            timeout=8)
        return result


def recorded_line(p: Payment, state: Any) -> str:
    """"PAY-000512: £250.00 from Acme Ltd to INV-1 (credit £5.00)" and how to void it."""
    clients = getattr(getattr(state, "book", None), "clients", {})
    who = clients[p.client].name if p.client in clients else p.client
    to = ", ".join(a.invoice for a in p.allocations[:3]) + (" …" if len(p.allocations) > 3 else "")
    credit = f"credit {money(p.unallocated, p.currency)}" if p.unallocated else ""
    where = " to " + to + (f" ({credit})" if to and credit else "") if to else (f" as {credit}" if credit else "")
    return (f"{p.id}: {money(p.amount, p.currency)} from {who}{where}. A mistake? v on the client's "
            "Payments · credits tab voids it.")


def _safe(number: str) -> str:
    return "".join(ch if ch.isascii() and ch.isalnum() else f"_{ord(ch):x}_" for ch in number)
