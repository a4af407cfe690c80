"""Add or edit an invoice."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from receivables.dates import parse_date
from receivables.errors import DunError
from receivables.model import Invoice
from receivables.money import check_currency
from receivables.numbering import next_number

from .. import actions
from ..fmt import money, plain, safe
from .base import Field, FormDialog, amount_parser, client_field


class InvoiceForm(FormDialog):
    def __init__(self, invoice: Invoice | None = None, client: str | None = None) -> None:
        super().__init__()
        self.invoice = invoice
        self.client = client
        self.TITLE_TEXT = f"Edit invoice {invoice.number}" if invoice else "Add an invoice"

    def fields(self) -> list[Field]:
        i = self.invoice
        state = self.app.state
        on = self.app.on

        def number(text: str) -> str:
            t = text.strip()
            if not t:
                raise DunError("needed", "number")
            if i is None and t in state.book.invoices:
                raise DunError(f"{t} already exists", "number", "invoice numbers are unique in the book")
            return t

        def due(text: str):
            d = parse_date(text, "due")
            issued = self.values.get("issued")
            if issued is not None and d < issued:
                raise DunError("due before issued", "due", f"use {issued.isoformat()} or later")
            return d

        def issued(text: str):
            d = parse_date(text, "issued")
            if d > on and (i is None or d != i.issued):  # (one stored so before stays as it is)
                raise DunError(f"{d.isoformat()} is after today: the invoice would be hidden until then", "issued",
                               "check the year; add an invoice on the day it is issued")
            return d

        def currency(text: str) -> str:
            return check_currency(text.strip().upper(), "currency")

        cid = i.client if i else (self.client or "")
        cur = i.currency if i else (state.book.clients[cid].currency if cid in state.book.clients else
                                     (state.policy.defaults.currency if state.policy else "GBP"))
        terms = state.book.clients[cid].terms_days if cid in state.book.clients else 30
        self._proposed = "" if i else self._next_number()
        return [
            Field("number", "Number", i.number if i else "", number, required=not self._proposed,
                  help=f"{self._proposed} if left empty" if self._proposed else ""),
            client_field(cid, lambda: self.app.state.book.clients),
            Field("issued", "Issued", (i.issued if i else on).isoformat(), issued),
            Field("due", "Due", (i.due if i else on + timedelta(days=terms)).isoformat(), due),
            Field("currency", "Currency", cur, currency),
            Field("amount", "Amount (tax included)", plain(i.amount, i.currency) if i else "",
                  amount_parser(lambda: self.values.get("currency") or cur, self.owner_locale)),
            Field("reference", "Reference / PO", i.reference if i else "", None, required=False),
        ]

    def _next_number(self) -> str:
        """The number after the latest issued invoice's (receivables.numbering), or ""."""
        invoices = self.app.state.book.invoices
        if not invoices:
            return ""
        latest = max(enumerate(invoices.values()), key=lambda p: (p[1].issued, p[0]))[1]
        return next_number(latest.number, invoices)

    def first_focus(self):
        """A new invoice starts at its number, from the top (enter takes the one proposed)."""
        return self.query_one("#in-number") if self.invoice is None else super().first_focus()

    def on_mount(self) -> None:  # (before FormDialog's: see there)
        if self.invoice is not None:
            self.query_one("#in-number").disabled = True

    def _terms(self) -> int:
        state = self.app.state
        cid = self.values.get("client")
        if cid in state.book.clients:
            return state.book.clients[cid].terms_days
        return state.policy.defaults.terms_days if state.policy is not None else 30

    def on_values(self, values: dict[str, Any]) -> None:
        """A new invoice is due the client's terms after it is issued: while the due date is the
        one proposed (not typed, not emptied), it follows the issue date and the client; the
        currency follows the client the same way."""
        if self.invoice is not None:
            return
        issued = values.get("issued")
        if issued is None:
            return
        due = (issued + timedelta(days=self._terms())).isoformat()
        inp = self.query_one("#in-due")
        # (a field the owner emptied stays empty: filled again, it took what was typed next after
        # the date put back, "2026-11-012027-01-18")
        if not hasattr(self, "_auto_due") or inp.value == self._auto_due:
            self._auto_due = due
            if inp.value != due:
                self.set_field("due", due)
        cid = values.get("client")
        state = self.app.state
        if cid in state.book.clients:
            cur = state.book.clients[cid].currency
            cinp = self.query_one("#in-currency")
            if not hasattr(self, "_auto_cur") or cinp.value == self._auto_cur:
                self._auto_cur = cur
                if cinp.value != cur:
                    self.set_field("currency", cur)

    def save(self, v: dict[str, Any]) -> Any:
        if v["due"] < v["issued"]:
            raise DunError("due before issued", "due")
        if self.invoice is None:
            inv = Invoice(number=v.get("number") or self._proposed, client=v["client"], issued=v["issued"],
                          due=v["due"], currency=v["currency"], amount=v["amount"],
                          reference=v.get("reference") or "")
            saved = actions.save_invoice(self.app.repo, inv, True)
            # (the dialog closes on the screen it came from, which may not list the invoice)
            self.app.notify(safe(f"{saved.number} for {money(saved.amount, saved.currency)}, due "
                                 f"{saved.due.isoformat()}, is in the book"), title="Invoice added", markup=False)
            return saved
        changes = dict(client=v["client"], issued=v["issued"], due=v["due"], currency=v["currency"],
                       amount=v["amount"], reference=v.get("reference") or "")
        if self.invoice.lines and v["amount"] != self.invoice.amount:
            raise DunError("this invoice has lines; its amount is their total", "amount", "edit the lines in your accounts and re-import")
        return actions.save_invoice(self.app.repo, actions.replace(self.invoice, **changes), False)
