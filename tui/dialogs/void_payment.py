"""Void a payment recorded by mistake (wrong client, wrong amount, a cheque that bounced)."""
from __future__ import annotations

from datetime import date
from typing import Any

from textual.app import ComposeResult
from textual.widgets import Static

from receivables.model import Payment

from .. import actions
from ..fmt import day, money
from .base import Field, FormDialog, text_parser


class VoidPaymentDialog(FormDialog):
    def __init__(self, payment: Payment, on: date, receipt: str | None = None) -> None:
        super().__init__()
        self.payment = payment
        self.on_date = on
        self.receipt = receipt
        self.TITLE_TEXT = (f"Void {payment.id}: {money(payment.amount, payment.currency)} of "
                           f"{day(payment.date)}")

    def fields(self) -> list[Field]:
        return [Field("reason", "Reason", "", text_parser("a reason"),
                      placeholder="e.g. wrong client, cheque bounced")]

    def compose_extra(self) -> ComposeResult:
        p = self.payment
        owed = ", ".join(f"{a.invoice} {money(a.amount, p.currency)}" for a in p.allocations)
        lines = ["It stays in the book for the record and counts nowhere from now on, as if it had never "
                 "been recorded" + (f": {owed} owed again (and late again, from the due date)." if owed else ".")]
        if self.receipt:
            lines.append(f"The bank receipt {self.receipt} it was made from goes back to the unmatched receipts (b on Today).")
        lines.append("Then record the right payment with $.")
        yield Static("\n".join(lines), id="void-effect", classes="dim", markup=False)

    def save(self, v: dict[str, Any]) -> Any:
        return actions.void_payment(self.app.repo, self.payment.id, self.on_date, v["reason"])
