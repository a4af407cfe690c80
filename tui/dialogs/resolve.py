"""Resolve an open dispute (settled, if so agreed, by a credit note on its invoice)."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from receivables.model import Dispute

from .. import actions
from ..fmt import plain
from .base import Field, FormDialog, amount_parser


class ResolveDialog(FormDialog):
    """``action``: the agenda action the dispute is resolved from (logged with it)."""

    def __init__(self, dispute: Dispute, action: Any = None) -> None:
        super().__init__()
        self.dispute = dispute
        self.action = action
        self.TITLE_TEXT = f"Resolve the dispute on {dispute.invoice} (opened {dispute.opened.isoformat()}: {dispute.reason})"

    def _owed(self) -> tuple[str, Decimal]:
        """The invoice's currency and what it still owes."""
        state = self.app.state
        for s in state.ledger_for(self.dispute.client).client_invoices(self.dispute.client):
            if s.invoice.number == self.dispute.invoice:
                return s.invoice.currency, s.outstanding
        inv = state.book.invoices[self.dispute.invoice]
        return inv.currency, inv.amount

    def fields(self) -> list[Field]:
        currency, owed = self._owed()
        return [
            Field("resolution", "Resolution", "", None, required=False, placeholder="e.g. credit note agreed"),
            # (what the client was granted: the invoice owes the rest, and is back on the ladder)
            Field("credit_note", f"Credit note ({currency})", "", amount_parser(currency, self.owner_locale),
                  required=False, placeholder=f"if agreed (it owes {plain(owed, currency)})"),
        ]

    def cross_check(self, v: dict[str, Any]) -> dict[str, str]:
        currency, owed = self._owed()
        if v.get("credit_note") is not None and v["credit_note"] > owed:
            return {"credit_note": f"more than the {plain(owed, currency)} still owed"}
        return {}

    def save(self, v: dict[str, Any]) -> Any:
        resolution = v.get("resolution") or ""
        credit = v.get("credit_note")
        if self.action is not None:
            return actions.log_resolution(self.app.repo, self.action, self.app.on, self.dispute, resolution, credit)
        return actions.resolve_dispute(self.app.repo, self.dispute.id, self.app.on, resolution, credit)
