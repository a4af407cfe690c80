"""Open a dispute on one of the action's invoices (or any invoice of the client)."""
from __future__ import annotations

from datetime import date
from typing import Any, Sequence

from receivables.errors import DunError

from .. import actions
from .base import Field, FormDialog, text_parser


class DisputeDialog(FormDialog):
    TITLE_TEXT = "Dispute"

    def __init__(self, client: str, invoices: Sequence[str], on: date, action: Any = None,
                 default: str | None = None) -> None:
        super().__init__()
        self.client = client
        self.invoices = list(invoices)
        self.on_date = on
        self.action = action
        self.default = default or (self.invoices[0] if self.invoices else "")
        self.TITLE_TEXT = f"Open a dispute — {client}"

    def fields(self) -> list[Field]:
        client = self.app.state.book.clients.get(self.client)
        if client is not None:
            self.TITLE_TEXT = f"Open a dispute — {client.name}"
        def invoice(text: str) -> str:
            t = text.strip()
            if t not in self.invoices:
                shown = ", ".join(self.invoices[:6]) + (" …" if len(self.invoices) > 6 else "")
                raise DunError(f"{t!r} is not an open invoice of {self.client}", "invoice", f"one of {shown}")
            return t
        return [
            Field("invoice", "Invoice", self.default, invoice),
            Field("reason", "Reason", "", text_parser("a reason"), placeholder="e.g. goods damaged on delivery"),
        ]

    def save(self, v: dict[str, Any]) -> Any:
        if self.action is not None:
            return actions.log_dispute(self.app.repo, self.action, self.on_date, v["invoice"], v["reason"])
        inv = self.app.state.book.invoices[v["invoice"]]
        return actions.open_dispute(self.app.repo, inv, self.on_date, v["reason"])
