"""Resolve an open dispute."""
from __future__ import annotations

from typing import Any

from receivables.model import Dispute

from .. import actions
from .base import Field, FormDialog


class ResolveDialog(FormDialog):
    def __init__(self, dispute: Dispute) -> None:
        super().__init__()
        self.dispute = dispute
        self.TITLE_TEXT = f"Resolve the dispute on {dispute.invoice} (opened {dispute.opened.isoformat()}: {dispute.reason})"

    def fields(self) -> list[Field]:
        return [Field("resolution", "Resolution", "", None, required=False, placeholder="e.g. credit note agreed")]

    def save(self, v: dict[str, Any]) -> Any:
        return actions.resolve_dispute(self.app.repo, self.dispute.id, self.app.on, v.get("resolution") or "")
