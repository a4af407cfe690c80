"""Text fields that take keys in the order they were typed.

Textual's ``Input`` and ``TextArea`` insert a typed character as soon as its key reaches
them, but a key they have a binding for (backspace, delete, the arrows, home, end, ctrl+u,
ctrl+w, ctrl+k, paste...) first travels up to the app, which then runs the field's action.
Keys typed faster than the app handles them (a quick typist, a paste of keys through tmux,
a busy machine) are queued at the field, so the characters typed *after* such a key are
inserted before its action runs: "12", backspace, "3" gave "13" only when typed slowly and
"12" when typed at once; ctrl+u then "99" left the field empty. (Textual issue #6605.)

These fields run their own (non-priority) bindings as soon as the key reaches them, in
order with the characters around it. Which binding runs is unchanged: the focused widget's
bindings are the first the app would look at, and priority bindings (the form's enter)
have run before the key reaches the field.
"""
from __future__ import annotations

from typing import Callable

from textual import events
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Input, TextArea


class KeysInOrder:
    """A mixin for a text widget (before the widget's class in the bases)."""

    async def _on_key(self, event: events.Key) -> None:
        for binding in self._bindings.key_to_bindings.get(event.key, ()):  # type: ignore[attr-defined]
            if not binding.priority and await self.app.run_action(binding.action, self):  # type: ignore[attr-defined]
                event.stop()
                event.prevent_default()  # (the widget's own key handler would see it again)
                return


class TextInput(KeysInOrder, Input):
    """A one-line field (every ``Input`` in the app)."""

    _selected_ahead = False

    def select_ahead(self) -> None:
        """Focused at once, ahead of keys already typed (see ``focus_now``): its text is
        selected now, as its focus event would, so the first key typed here replaces it; that
        event, which comes after those keys, then leaves the selection (and the text) alone."""
        if self.select_on_focus:
            self.select_all()
            self._selected_ahead = True

    def _on_focus(self, event: events.Focus) -> None:
        if not self._selected_ahead:
            super()._on_focus(event)
            return
        self._selected_ahead = False
        self.select_on_focus, keep = False, self.select_on_focus
        try:
            super()._on_focus(event)
        finally:
            self.select_on_focus = keep


def focus_now(widget: Widget) -> None:
    """Give ``widget`` the focus now. ``Widget.focus()`` only asks for it (a callback queued
    behind the keys already typed), so keys typed at once went to the widget focused before,
    and a later enter or tab was undone when that callback ran: "c", a note, enter, "v" left
    the call dialog open with the note typed and the "v" lost."""
    widget.screen.set_focus(widget)
    if isinstance(widget, TextInput):
        widget.select_ahead()


def move_focus(screen: Screen, forward: bool = True) -> None:
    """Tab (``forward``) or shift+tab, now: the screen's own tab binding ran only once the key
    had travelled up from the field, after the keys typed behind it had gone into the field
    it was leaving ("100", tab, a date gave "1002026-12-03" in the amount)."""
    target = screen.focus_next() if forward else screen.focus_previous()
    if isinstance(target, TextInput):
        target.select_ahead()


class TextBox(KeysInOrder, TextArea):
    """A text area (the message being edited, a note).

    ``escape_then``, if set, is given the key of an escape and a key typed at once, which a
    terminal may send as one ``alt+`` key (tmux's escape-time): the key's letter was typed into
    the text and the escape lost ("escape s" left the editor open with an "s" in the message)."""

    escape_then: Callable[[str, str], None] | None = None

    async def _on_key(self, event: events.Key) -> None:
        key, char = event.key, event.character
        if (self.escape_then is not None and key.startswith("alt+") and char and len(char) == 1
                and char.isprintable() and key not in self._bindings.key_to_bindings):
            event.stop()
            event.prevent_default()
            self.escape_then(key[len("alt+"):], char)
            return
        await super()._on_key(event)


def type_into(field: Input | TextArea, event: events.Key) -> bool:
    """Type ``event`` into ``field`` as if the field had had the focus when it came in (a key
    typed ahead of a focus change: see ``typed_ahead`` in tui.app): a character (replacing a
    field's selected text, as typing does), backspace, and enter in a text area. False for
    any other key (it goes on to the bindings)."""
    if event.is_printable and event.character:
        if isinstance(field, Input):
            selection = field.selection
            if selection.is_empty:
                field.insert_text_at_cursor(event.character)
            else:
                field.replace(event.character, *selection)
        else:
            field.insert(event.character)
    elif event.key == "backspace":
        field.action_delete_left()
    elif event.key == "enter" and isinstance(field, TextArea):
        field.insert("\n")
    else:
        return False
    return True
