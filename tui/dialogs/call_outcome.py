"""How did the call go? A note (typed first, the field has the focus), then one outcome.

Typing goes into the note; ``enter`` (or ``tab``) leaves it for the outcome buttons, where
one key picks: ``r`` reached, ``a`` no answer, ``v`` voicemail, ``w`` wrong number
(``ctrl+r`` logs "reached" from the note too). One dialog logs one outcome: once
an outcome is saved, further keys do nothing (the dialog is on its way out).
"""
from __future__ import annotations

from datetime import date
from typing import Any

from textual import on
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from receivables.errors import DunError

from .. import actions
from ..fmt import safe
from ..widgets.typing import TextInput, focus_now, move_focus, type_into
from .base import message_of

KEYS = {"reached": "r", "no_answer": "a", "voicemail": "v", "wrong_number": "w"}
SHORT = {"reached": "Reached", "no_answer": "No answer", "voicemail": "Voicemail", "wrong_number": "Wrong number"}


class CallOutcomeDialog(ModalScreen[Any]):
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="call.cancel"),
        # (not a priority binding: it reaches the note after the keys typed before it)
        Binding("ctrl+r", "pick('reached')", "Reached", id="call.reached"),
        # enter is handled before the focused widget sees it, and at once: keys typed in a
        # burst ("note", enter, "r") find the note already left when the "r" arrives
        Binding("enter", "enter", "Next", id="call.enter", show=False, priority=True,
                tooltip="Leave the note for the outcome keys (on a button: press it)"),
        Binding("tab", "move_focus(True)", "Next", id="call.tab", show=False, priority=True),
        Binding("shift+tab", "move_focus(False)", "Previous", id="call.shift_tab", show=False, priority=True),
    ]

    def __init__(self, action: Any, on_date: date) -> None:
        super().__init__()
        self.action = action
        self.on_date = on_date
        self.result: Any = None  # the activity logged; set once, then the dialog only closes

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="dialog"):
            who = getattr(self.action, "client_name", "") or self.action.client
            yield Static(safe(f"Call — {who}"), classes="dialog-title", markup=False)
            yield Label("Type a note if you like, then enter.\nThen one key: r reached · a no answer · "
                        "v voicemail · w wrong number", classes="field-label call-help")
            # (back in the note, shift+tab adds to it: its text is not selected, to be typed over)
            yield TextInput(placeholder="what was said", id="call-note", compact=True, select_on_focus=False)
            with Horizontal(classes="dialog-buttons outcome-buttons"):
                for outcome in actions.CALL_OUTCOME_LABELS:
                    yield Button(f"{SHORT[outcome]} ({KEYS[outcome]})", id=f"out-{outcome}", compact=True)
            yield Static("", id="form-error", classes="form-error", markup=False)

    def on_mount(self) -> None:
        focus_now(self.query_one("#call-note", Input))

    def action_enter(self) -> None:
        focused = self.focused
        if focused is None:  # keys typed ahead are still on their way: enter goes after them
            raise SkipAction()  # (to typed_ahead, in order)
        if isinstance(focused, Button):
            focused.press()
        else:
            self._leave_note()

    def action_move_focus(self, forward: bool) -> None:
        move_focus(self, forward)

    def _leave_note(self) -> None:
        # set_focus, not focus(): that one only takes effect after keys already queued
        self.set_focus(self.query_one("#out-reached", Button))

    def typed_ahead(self, event, ahead: bool = False) -> bool:
        """A key typed right after c, reaching the app from Today (focused when it came in) or
        from this dialog before its note had the focus: the note's, until enter leaves it;
        then an outcome key picks the outcome. ("c" then a note typed at once lost the note.)"""
        if event.key in ("tab", "shift+tab"):  # (the dialog's own tab bindings are priority ones:
            move_focus(self, event.key == "tab")  # a key typed ahead meets none of them)
            return True
        if isinstance(self.focused, Button):  # the note is left: an outcome key still on its way
            return self._outcome_key(event.key)
        if not ahead and self.focused is not None:  # the note has the focus: its keys reach it
            return False
        if event.key == "enter":
            self._leave_note()
            return True
        return type_into(self.query_one("#call-note", Input), event)

    def on_key(self, event) -> None:
        if isinstance(self.focused, Button) and self._outcome_key(event.key):  # (the note, or
            event.stop()  # nothing focused yet: see typed_ahead)
            event.prevent_default()

    def _outcome_key(self, key: str) -> bool:
        """One of r, a, v, w: its outcome picked."""
        outcome = next((o for o, k in KEYS.items() if k == key), None)
        if outcome is not None:
            self.action_pick(outcome)
        return outcome is not None

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        if event.button.id and event.button.id.startswith("out-"):
            self.action_pick(event.button.id[4:])

    def action_pick(self, outcome: str) -> None:
        if self.result is not None or not self.is_active:
            return  # one outcome per dialog: a key typed after the first does nothing
        note = self.query_one("#call-note", Input).value
        try:
            result = actions.log_call(self.app.repo, self.action, self.on_date, outcome, note)
        except DunError as e:
            self.query_one("#form-error", Static).update("Not saved: " + message_of(e))
            return
        self.result = result
        self.app.reload()
        self.dismiss(result)

    def action_cancel(self) -> None:
        if self.result is None and self.is_active:
            self.dismiss(None)
