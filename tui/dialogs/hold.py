"""Put a client on hold (no new work until the account is settled), with a reason."""
from __future__ import annotations

from typing import Any

from receivables.model import Client

from .. import actions
from .base import Field, FormDialog


class HoldDialog(FormDialog):
    def __init__(self, client: Client) -> None:
        super().__init__()
        self.client = client
        self.TITLE_TEXT = f"Put {client.name} on hold"

    def fields(self) -> list[Field]:
        return [Field("reason", "Reason", "", None, required=False, placeholder="e.g. over credit limit")]

    def save(self, v: dict[str, Any]) -> Any:
        return actions.set_hold(self.app.repo, self.client.id, True, v.get("reason") or "")
