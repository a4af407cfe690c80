"""Resolve an open dispute."""
from __future__ import annotations

from typing import Any

from receivables.model import Dispute

from .. import actions
from .base import Field, FormDialog


class ResolveDialog(FormDialog):
    """``action``: the agenda action the dispute is resolved from (logged with it)."""

    def __init__(self, dispute: Dispute, action: Any = None) -> None:
        super().__init__()
        self.dispute = dispute
        self.action = action
        self.TITLE_TEXT = f"Resolve the dispute on {dispute.invoice} (opened {dispute.opened.isoformat()}: {dispute.reason})"

    def fields(self) -> list[Field]:
        return [Field("resolution", "Resolution", "", None, required=False, placeholder="e.g. credit note agreed")]

    def save(self, v: dict[str, Any]) -> Any:
        resolution = v.get("resolution") or ""
        if self.action is not None:
            return actions.log_resolution(self.app.repo, self.action, self.app.on, self.dispute, resolution)
        return actions.resolve_dispute(self.app.repo, self.dispute.id, self.app.on, resolution)
