"""A Markdown note on a client (and optionally invoices), with a live preview."""
from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Label, Markdown, TextArea

from receivables.errors import DunError
from receivables.model import CHANNELS

from .. import actions
from ..fmt import safe
from ..widgets.typing import TextBox
from .base import Field, FormDialog, client_field


class NoteDialog(FormDialog):
    TITLE_TEXT = "Add a note"

    def __init__(self, client: str | None = None, invoice: str | None = None, body: str = "") -> None:
        super().__init__()
        self.client = client
        self.invoice = invoice
        self.body = body

    def fields(self) -> list[Field]:
        state = self.app.state

        def invoices(text: str) -> tuple[str, ...]:
            nums = tuple(x.strip() for x in text.replace(",", " ").split() if x.strip())
            for n in nums:
                inv = state.book.invoices.get(n)
                if inv is None:
                    raise DunError(f"no invoice {n!r}", "invoice")
                cid = self.values.get("client")
                if cid and inv.client != cid:
                    raise DunError(f"{n} belongs to {inv.client}, not {cid}", "invoice")
            return nums

        def channel(text: str) -> str:
            t = text.strip().lower()
            if t not in CHANNELS:
                raise DunError(f"{t!r} is not a channel", "channel", ", ".join(CHANNELS))
            return t

        return [
            client_field(self.client or "", lambda: self.app.state.book.clients),
            Field("invoices", "Invoices", self.invoice or "", invoices, required=False, placeholder="e.g. INV-1001 INV-1002"),
            Field("channel", "Channel", "other", channel, help=", ".join(CHANNELS)),
        ]

    def compose_extra(self) -> ComposeResult:
        with Horizontal(id="note-editor"):
            with Vertical(classes="note-pane"):
                yield Label("Note (Markdown) — ctrl+s saves", classes="field-label")
                yield TextBox(self.body, id="note-body", soft_wrap=True, tab_behavior="focus")
            with Vertical(classes="note-pane"):
                yield Label("Preview", classes="field-label")
                yield Markdown(self.body or "*Nothing yet.*", id="note-preview", open_links=False)

    def first_focus(self):
        """The note itself when the client is known (opened on a client or an action)."""
        return self.query_one("#note-body", TextArea) if self.client else super().first_focus()

    @on(TextArea.Changed, "#note-body")
    def _body_changed(self, event: TextArea.Changed) -> None:
        text = event.text_area.text
        self.query_one("#note-preview", Markdown).update(text or "*Nothing yet.*")

    def save(self, v: dict[str, Any]) -> Any:
        body = self.query_one("#note-body", TextArea).text
        note = actions.add_note(self.app.repo, v["client"], self.app.on, body, channel=v["channel"],
                                invoices=v.get("invoices") or ())
        # (the dialog closes on the screen it came from, which may not show the client's history)
        state = self.app.state
        client = state.book.clients.get(note.client) if state is not None else None
        on = f" on {', '.join(note.invoices)}" if note.invoices else ""
        self.app.notify(safe(f"{note.id} for {client.name if client else note.client}{on}, dated "
                             f"{note.date.isoformat()}, is in the book"), title="Note added", markup=False)
        return note
