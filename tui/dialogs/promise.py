"""Promise to pay: amount and date, logged with the action's activity."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from receivables.allocate import promise_over
from receivables.dates import parse_date, promise_problem
from receivables.errors import DunError
from receivables.model import CHANNELS

from .. import actions
from ..fmt import money, plain
from .base import Field, FormDialog, amount_parser


class PromiseDialog(FormDialog):
    TITLE_TEXT = "Promise to pay"

    def __init__(self, action: Any, currency: str, amount: Decimal | None, on: date) -> None:
        super().__init__()
        self.action = action
        self.currency = currency
        self.amount = amount
        self.on_date = on
        self.TITLE_TEXT = f"Promise to pay — {getattr(action, 'client_name', '') or action.client}"

    def fields(self) -> list[Field]:
        return [
            Field("amount", f"Amount ({self.currency})", plain(self.amount, self.currency) if self.amount else "",
                  amount_parser(self.currency, self.owner_locale)),
            Field("by", "Promised by", (self.on_date + timedelta(days=7)).isoformat(), self._by),
            Field("channel", "Promised over", "phone", _channel, help="phone, email, letter, meeting…"),
            Field("note", "Note", "", None, required=False, placeholder="what they said"),
        ]

    def _by(self, text: str) -> date:
        d = parse_date(text, "date")
        if (wrong := promise_problem(d, self.on_date)) is not None:
            raise DunError(wrong[0], "date", wrong[1])
        return d

    def cross_check(self, values: dict[str, Any]) -> dict[str, str]:
        amount = values.get("amount")
        state = self.app.state
        if amount is None or state is None:
            return {}
        cid = self.action.client
        owed = promise_over(state.ledger_for(cid), cid, self.currency, amount)
        if owed is None:
            return {}
        return {"amount": f"more than the {money(owed, self.currency)} owed: a promise is for what is owed"}

    def save(self, v: dict[str, Any]) -> Any:
        return actions.log_promise(self.app.repo, self.action, self.on_date, v["amount"], self.currency, v["by"],
                                   body=v.get("note") or "", channel=v["channel"])


def _channel(text: str) -> str:
    """How the client made the promise: one of the activity channels."""
    t = text.strip().lower()
    if t not in CHANNELS:
        raise DunError(f"{text.strip()!r} is not a channel", "channel", "one of " + ", ".join(CHANNELS))
    return t
