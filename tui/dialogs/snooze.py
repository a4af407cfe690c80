"""Snooze an action to a later date (logged as an activity with outcome "snoozed")."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from .. import actions
from .base import Field, FormDialog, date_parser


class SnoozeDialog(FormDialog):
    TITLE_TEXT = "Snooze"

    def __init__(self, action: Any, on: date) -> None:
        super().__init__()
        self.action = action
        self.on_date = on
        self.TITLE_TEXT = f"Snooze — {getattr(action, 'client_name', '') or action.client}"

    def fields(self) -> list[Field]:
        return [
            Field("until", "Snooze until", (self.on_date + timedelta(days=7)).isoformat(),
                  date_parser(after=self.on_date)),
            Field("note", "Why", "", None, required=False, placeholder="e.g. owner on holiday"),
        ]

    def save(self, v: dict[str, Any]) -> Any:
        return actions.log_snooze(self.app.repo, self.action, self.on_date, v["until"], v.get("note") or "")
