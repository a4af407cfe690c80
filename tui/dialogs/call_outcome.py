"""How did the call go? One key: reached, no answer, voicemail, wrong number."""
from __future__ import annotations

from datetime import date
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from receivables.errors import DunError

from .. import actions
from ..fmt import safe
from .base import message_of

KEYS = {"reached": "r", "no_answer": "a", "voicemail": "v", "wrong_number": "w"}
SHORT = {"reached": "Reached", "no_answer": "No answer", "voicemail": "Voicemail", "wrong_number": "Wrong number"}


class CallOutcomeDialog(ModalScreen[Any]):
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="call.cancel"),
        Binding("ctrl+r", "pick('reached')", "Reached", id="call.reached", priority=True),
    ]

    def __init__(self, action: Any, on_date: date) -> None:
        super().__init__()
        self.action = action
        self.on_date = on_date

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="dialog"):
            who = getattr(self.action, "client_name", "") or self.action.client
            yield Static(safe(f"Call — {who}"), classes="dialog-title", markup=False)
            yield Label("Press a key — or type a note first, then tab to a button.", classes="field-label")
            yield Input(placeholder="what was said", id="call-note", compact=True)
            with Horizontal(classes="dialog-buttons outcome-buttons"):
                for outcome in actions.CALL_OUTCOME_LABELS:
                    yield Button(f"{SHORT[outcome]} ({KEYS[outcome]})", id=f"out-{outcome}", compact=True)
            yield Static("", id="form-error", classes="form-error", markup=False)

    def on_mount(self) -> None:
        self.query_one("#out-reached", Button).focus()

    def on_key(self, event) -> None:
        if isinstance(self.focused, Input):
            return
        for outcome, key in KEYS.items():
            if event.key == key:
                event.stop()
                self.action_pick(outcome)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        if event.button.id and event.button.id.startswith("out-"):
            self.action_pick(event.button.id[4:])

    def action_pick(self, outcome: str) -> None:
        note = self.query_one("#call-note", Input).value
        try:
            result = actions.log_call(self.app.repo, self.action, self.on_date, outcome, note)
        except DunError as e:
            self.query_one("#form-error", Static).update("Not saved: " + message_of(e))
            return
        self.app.reload()
        self.dismiss(result)

    def action_cancel(self) -> None:
        self.dismiss(None)
