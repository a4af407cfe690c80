"""Write off what an invoice still owes (or part of it), or take it off by a credit note."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from receivables.errors import DunError
from receivables.model import Invoice

from .. import actions
from ..fmt import money, plain
from .base import Field, FormDialog, amount_parser, text_parser


# kind -> (the title's verb, the reason's example)
_KINDS = {"write_off": ("Write off", "e.g. client insolvent"),
          "credit_note": ("Credit note on", "e.g. goods returned, price corrected")}


class WriteOffDialog(FormDialog):
    """``kind``: "write_off" (a debt given up) or "credit_note" (the client does not owe it:
    goods returned, a price corrected, a dispute settled)."""

    def __init__(self, invoice: Invoice, outstanding: Decimal, on: date, kind: str = "write_off") -> None:
        super().__init__()
        self.invoice = invoice
        self.outstanding = outstanding
        self.on_date = on
        self.kind = kind
        self.TITLE_TEXT = f"{_KINDS[kind][0]} {invoice.number} (owes {money(outstanding, invoice.currency)})"

    def fields(self) -> list[Field]:
        return [
            # (a write-off is usually of all it owes; a credit note, of what was agreed)
            Field("amount", f"Amount ({self.invoice.currency})",
                  plain(self.outstanding, self.invoice.currency) if self.kind == "write_off" else "",
                  amount_parser(self.invoice.currency, self.owner_locale)),
            Field("reason", "Reason", "", text_parser("a reason"), placeholder=_KINDS[self.kind][1]),
        ]

    def cross_check(self, v: dict[str, Any]) -> dict[str, str]:
        if v.get("amount") is not None and v["amount"] > self.outstanding:
            return {"amount": f"more than the {plain(self.outstanding, self.invoice.currency)} still owed"}
        return {}

    def save(self, v: dict[str, Any]) -> Any:
        if v["amount"] > self.outstanding:
            raise DunError("more than is owed", "amount")
        return actions.write_off(self.app.repo, self.invoice, self.on_date, v["amount"], v["reason"], self.kind)
