"""``?``: every key of the screen underneath and of the app, with the binding ids a
``keymap.toml`` can use to move them."""
from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


def intro() -> str:
    from ..keymap import keymap_path

    return ("dun walks you through the day's collection actions.\n"
            "1 Today · 2 Clients · 3 Invoices · 4 Reports · 5 Policy · ctrl+p: every action by name · "
            "ctrl+t: dark/light theme · q: quit.\n"
            f"Keys can be changed in {keymap_path()} under [keys], by binding id, "
            "e.g.  \"outcome.sent\" = \"f2\".")


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,question_mark,q", "dismiss", "Close", id="help.close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help", classes="dialog"):
            yield Static("Help", classes="dialog-title")
            yield Static(Text(intro()), id="help-intro")
            yield Static(self._keys(), id="help-keys")

    def _keys(self) -> Table:
        app = self.app
        stack = app.screen_stack
        under = stack[-2] if len(stack) > 1 else stack[-1]
        table = Table(box=None, padding=(0, 1), expand=True, header_style="bold")
        table.add_column("Key", no_wrap=True)
        table.add_column("Does")
        table.add_column("Binding id", style="dim", no_wrap=True)
        seen = set()
        keymap = getattr(app, "_keymap", {})
        from ..dialogs.base import FormDialog
        from ..dialogs.call_outcome import KEYS, SHORT, CallOutcomeDialog

        title = {"ClientDetailScreen": "The client's screen", "TodayScreen": "Today"}.get(
            type(under).__name__, type(under).__name__.replace("Screen", "").replace("Dialog", " form"))
        sections = ((title, under), ("Everywhere", app),
                    ("In a form", FormDialog), ("In the call dialog", CallOutcomeDialog))
        for title, node in sections:
            table.add_row(Text(title, style="bold underline"), "", "")
            rows: dict[tuple[str, str], list[str]] = {}  # one row per key and what it does, with its ids
            for b in getattr(node, "BINDINGS", []):
                if not isinstance(b, Binding) or not b.id or b.id in seen:
                    continue
                seen.add(b.id)
                key = keymap.get(b.id, b.key_display or b.key)
                rows.setdefault((str(key), b.tooltip or b.description or b.action), []).append(b.id)
            for (key, does), ids in rows.items():
                table.add_row(Text(key), Text(does), Text(", ".join(ids)))
            if node is CallOutcomeDialog:  # (the outcome keys, once the note is left)
                for outcome, key in KEYS.items():
                    table.add_row(Text(key), Text(f"{SHORT[outcome]} (after the note)"), Text(""))
        return table

    def action_dismiss(self) -> None:
        self.dismiss(None)
