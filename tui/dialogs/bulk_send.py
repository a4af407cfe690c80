"""Send several e-mail actions in one go: a preview of each, one confirmation, a progress
bar, then a summary of what was sent, queued (in the outbox, with the reason) or failed.

The messages are the drafts as they stand in the walk-through (edited or not). ``up`` and
``down`` (or ``[`` and ``]``) step through the previews; ``y`` sends them all; ``escape``
closes: before the confirmation nothing is sent, after it the sending goes on in the
background and the Today screen shows how each one went.
"""
from __future__ import annotations

from typing import Any, Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, OptionList, ProgressBar, Static
from textual.widgets.option_list import Option

from publish.plaintext import to_plain

from ..fmt import safe
from ..widgets.typing import focus_now


class BulkSendDialog(ModalScreen[bool]):
    BINDINGS = [
        Binding("escape", "close", "Close", id="bulk.close"),
        Binding("y", "send", "Send them all", id="bulk.send"),
        Binding("question_mark", "app.help", "Help", id="bulk.help", key_display="?"),
        Binding("q", "app.quit", "Quit", id="bulk.quit"),
        Binding("right_square_bracket", "move(1)", "Next", show=False),
        Binding("left_square_bracket", "move(-1)", "Previous", show=False),
    ]

    def __init__(self, jobs: list[Any], confirmed: Callable[[], None] | None = None) -> None:
        super().__init__()
        self.jobs = jobs
        self.confirmed = confirmed
        self.started = False
        self.results: dict[int, tuple[str, str]] = {}  # job id -> (status, reason)

    def compose(self) -> ComposeResult:
        n = len(self.jobs)
        with Vertical(classes="dialog bulk", id="dialog"):
            yield Static(f"Send {n} e-mail{'s' if n != 1 else ''} — check each one, then y sends them all",
                         classes="dialog-title", markup=False)
            with Horizontal(id="bulk-body"):
                yield OptionList(*[Option(self._label(j), id=str(j.id)) for j in self.jobs], id="bulk-list")
                with VerticalScroll(id="bulk-preview-box"):
                    yield Static("", id="bulk-preview", markup=False)
            yield ProgressBar(id="bulk-bar", total=n, show_eta=False)
            yield Static("Nothing is sent until you press y.", id="bulk-status", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"Send {n} (y)", id="send", variant="primary", compact=True)
                yield Button("Close (esc)", id="close", compact=True)

    def _label(self, job: Any) -> str:
        a = job.action
        who = getattr(a, "client_name", "") or a.client
        status = self.results.get(job.id, ("", ""))[0]
        return safe(f"{('[' + status + '] ') if status else ''}{who} — {job.subject}")

    def on_mount(self) -> None:
        self.query_one("#bulk-bar", ProgressBar).display = False
        focus_now(self.query_one("#bulk-list", OptionList))
        self._preview(0)
        self.app.send_changed.subscribe(self, self._changed)

    def _preview(self, i: int) -> None:
        if not 0 <= i < len(self.jobs):
            return
        job = self.jobs[i]
        a = job.action
        client = self.app.state.book.clients.get(a.client) if self.app.state else None
        to = client.email if client is not None else ""
        status, reason = self.results.get(job.id, ("", ""))
        text = f"To: {to or '(no e-mail address: a letter is made instead)'}\nSubject: {job.subject}\n"
        text += "Attached: the client's statement (PDF)\n\n" + to_plain(job.text)  # as the client reads it
        if status:
            text = f"[{status}{': ' + reason if reason else ''}]\n\n" + text
        self.query_one("#bulk-preview", Static).update(safe(text, lines=True))

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self._preview(event.option_index)

    def action_move(self, delta: int) -> None:
        ol = self.query_one("#bulk-list", OptionList)
        ol.highlighted = ((ol.highlighted or 0) + delta) % len(self.jobs)

    def action_send(self) -> None:
        if self.started:
            return
        if not self.app.check_writable():
            return
        self.started = True
        if self.confirmed is not None:
            self.confirmed()
        self.query_one("#send", Button).disabled = True
        bar = self.query_one("#bulk-bar", ProgressBar)
        bar.display = True
        bar.update(total=len(self.jobs), progress=0)
        self.query_one("#bulk-status", Static).update("Writing the messages to the outbox…")
        self.app.sender.submit(list(self.jobs))

    def _changed(self, event: Any) -> None:
        ids = {j.id for j in self.jobs}
        if event.job.id not in ids or not self.is_mounted:
            return
        status = self.query_one("#bulk-status", Static)
        who = getattr(event.job.action, "client_name", "") or event.job.action.client
        if event.status in ("writing", "sending"):
            status.update(safe(f"{'Writing' if event.status == 'writing' else 'Sending'}: {who}…"))
            return
        self.results[event.job.id] = (event.status, event.reason if event.status != "sent" else "")
        ol = self.query_one("#bulk-list", OptionList)
        index = next(i for i, j in enumerate(self.jobs) if j.id == event.job.id)
        ol.replace_option_prompt_at_index(index, self._label(event.job))
        self.query_one("#bulk-bar", ProgressBar).update(progress=len(self.results))
        if ol.highlighted == index:
            self._preview(index)
        if len(self.results) == len(self.jobs):
            status.update(safe(self.summary(), lines=True))
            self.query_one("#send", Button).label = "Done"  # (it still read "Send 3 (y)")
            focus_now(self.query_one("#close", Button))

    def summary(self) -> str:
        counts = {k: 0 for k in ("sent", "queued", "letter", "failed")}
        reasons: list[str] = []
        for status, reason in self.results.values():
            counts[status] = counts.get(status, 0) + 1
            if reason and status in ("queued", "failed") and reason not in reasons:
                reasons.append(reason)
        parts = [f"{counts['sent']} sent", f"{counts['queued']} queued in the outbox", f"{counts['failed']} failed"]
        if counts["letter"]:
            parts.append(f"{counts['letter']} letter(s) to print")
        line = "Done: " + " · ".join(parts)
        return line + "".join(f"\n· {r}" for r in reasons[:3])

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "send":
            self.action_send()
        else:
            self.action_close()

    def action_close(self) -> None:
        self.dismiss(self.started)
