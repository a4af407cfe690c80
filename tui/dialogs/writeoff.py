"""Write off what an invoice still owes (or part of it)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from receivables.errors import DunError
from receivables.model import Invoice

from .. import actions
from ..fmt import money, plain
from .base import Field, FormDialog, amount_parser, text_parser


class WriteOffDialog(FormDialog):
    def __init__(self, invoice: Invoice, outstanding: Decimal, on: date) -> None:
        super().__init__()
        self.invoice = invoice
        self.outstanding = outstanding
        self.on_date = on
        self.TITLE_TEXT = f"Write off {invoice.number} (owes {money(outstanding, invoice.currency)})"

    def fields(self) -> list[Field]:
        return [
            Field("amount", f"Amount ({self.invoice.currency})", plain(self.outstanding, self.invoice.currency),
                  amount_parser(self.invoice.currency, self.owner_locale)),
            Field("reason", "Reason", "", text_parser("a reason"), placeholder="e.g. client insolvent"),
        ]

    def cross_check(self, v: dict[str, Any]) -> dict[str, str]:
        if v.get("amount") is not None and v["amount"] > self.outstanding:
            return {"amount": f"more than the {plain(self.outstanding, self.invoice.currency)} still owed"}
        return {}

    def save(self, v: dict[str, Any]) -> Any:
        if v["amount"] > self.outstanding:
            raise DunError("more than is owed", "amount")
        return actions.write_off(self.app.repo, self.invoice, self.on_date, v["amount"], v["reason"])
