"""Claim the interest and compensation the current client owes: a preview of the charge
document, then Save posts it (``store.charges.claim``, as ``dun claim`` does)."""
from __future__ import annotations

from datetime import date
from typing import Any

from textual.app import ComposeResult
from textual.widgets import Static

from receivables.errors import DunError

from .base import Field, FormDialog, date_parser, message_of


class ClaimDialog(FormDialog):
    TITLE_TEXT = "Claim interest and compensation"

    def __init__(self, client: str, on: date, name: str = "") -> None:
        super().__init__()
        self.client, self.on_date = client, on
        self.TITLE_TEXT = f"Claim interest and compensation — {name or client}"

    def fields(self) -> list[Field]:
        return [Field("on", "Claim up to", self.on_date.isoformat(),
                      date_parser(not_after=self.on_date, why="interest is claimed for days gone by"),
                      help="interest up to and including this day")]

    def compose_extra(self) -> ComposeResult:
        yield Static("", id="claim-preview", markup=False)

    def on_values(self, values: dict[str, Any]) -> None:
        from receivables.claims import document_lines
        from store.charges import claim

        from ..fmt import safe

        text = ""
        if values.get("on") is not None and self.app.repo is not None:
            try:
                plan = claim(self.app.repo, self.client, values["on"], dry_run=True)
                text = "\n\n".join("\n".join(document_lines(d, False)) for d in plan.documents)
                text += "".join(f"\nnote: {n}" for n in plan.notes)
            except DunError as e:
                text = message_of(e)
        self.query_one("#claim-preview", Static).update(safe(text, lines=True))

    def save(self, v: dict[str, Any]) -> Any:
        from store.charges import claim

        plan = claim(self.app.repo, self.client, v["on"])
        self.app.notify("Posted " + ", ".join(d.number for d in plan.documents), markup=False)
        return plan
