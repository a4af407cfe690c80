"""Void a payment, credit or promise recorded by mistake (the wrong client, 1200 typed for 120,
a cheque that bounced, 2027 typed for 2026)."""
from __future__ import annotations

from datetime import date
from typing import Any

from textual.app import ComposeResult
from textual.widgets import Static

from receivables.model import Adjustment, Payment
from receivables.voiding import back_on_ladder, owed_again

from .. import actions
from ..fmt import day, money
from .base import Field, FormDialog, text_parser


class VoidDialog(FormDialog):
    def __init__(self, record: Any, on: date, receipt: str | None = None) -> None:
        super().__init__()
        self.record = record
        self.on_date = on
        self.receipt = receipt
        r = record
        if isinstance(r, Payment):
            what = f"payment {r.id}: {money(r.amount, r.currency)} of {day(r.date)}"
        elif isinstance(r, Adjustment):
            what = (f"{r.kind.replace('_', ' ')} {r.id}: {money(r.amount, r.currency)} of {day(r.date)}"
                    + (f" on {r.invoice}" if r.invoice else ""))
        else:
            what = f"promise {r.id}: {money(r.amount, r.currency)} by {day(r.by)}"
        self.TITLE_TEXT = f"Void {what}"

    def fields(self) -> list[Field]:
        return [Field("reason", "Reason", "", text_parser("a reason"), placeholder="e.g. wrong client, cheque bounced")]

    def compose_extra(self) -> ComposeResult:
        r = self.record
        again, back = owed_again(r), back_on_ladder(r)
        lines = ["It stays in the book for the record and counts nowhere from now on, as if it had never been recorded"]
        if again and isinstance(r, Payment):
            owed = ", ".join(f"{n} {money(a, r.currency)}" for n, a in again)
            lines[0] += f": {owed} owed again (and late again, from the due date)."
        elif again:
            lines[0] += "".join(f": {n} owes {money(a, r.currency)} more again." for n, a in again)
        elif back:
            lines[0] += f": {', '.join(back)} back on the ladder."
        else:
            lines[0] += "."
        if self.receipt:
            lines.append(f"The bank receipt {self.receipt} it was made from goes back to the unmatched receipts "
                         "(b on Today).")
        lines.append("Then record the right one.")
        yield Static("\n".join(lines), id="void-effect", classes="dim", markup=False)

    def save(self, v: dict[str, Any]) -> Any:
        return actions.void(self.app.repo, self.record.id, self.on_date, v["reason"])
