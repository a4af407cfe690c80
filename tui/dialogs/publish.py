"""Publish the report folder (statements, management report, CSVs) in a worker, with a
progress bar; the screen never freezes and the result is shown at the end."""
from __future__ import annotations

import time

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, ProgressBar, Static
from textual.worker import get_current_worker

from receivables.errors import DunError

from ..fmt import safe
from ..messages import PublishDone


class PublishDialog(ModalScreen[None]):
    # a modal screen hides the app's keys: help and quit are passed on (the build, once
    # started, finishes in the background either way; the site is swapped in whole)
    BINDINGS = [
        Binding("escape", "close", "Close", id="publish.close"),
        Binding("question_mark", "app.help", "Help", id="publish.help", key_display="?"),
        Binding("q", "app.quit", "Quit", id="publish.quit"),
    ]

    PROGRESS_EVERY = 0.25  # seconds: the bar moves at most this often

    class Progress(Message):
        """How far the build is (posted from the worker: it never waits for the screen)."""

        def __init__(self, done: int, total: int, label: str) -> None:
            super().__init__()
            self.done, self.total, self.label = done, total, label

    def __init__(self, pdf: bool = True) -> None:
        super().__init__()
        self.pdf = pdf
        self.done = False
        self.result = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="dialog"):
            yield Static("Publish the report folder", classes="dialog-title")
            yield Static("Starting…", id="publish-label", markup=False)
            yield ProgressBar(id="publish-bar", show_eta=False)
            yield Static("", id="publish-result", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Close (esc)", id="close", compact=True)

    def on_mount(self) -> None:
        self.run_publish()

    @work(thread=True, exclusive=True, group="publish", description="publish")
    def run_publish(self) -> None:
        from publish.site import publish

        app = self.app
        worker = get_current_worker()

        last = [0.0]

        def progress(done: int, total: int, label: str) -> None:
            # at most one update per PROGRESS_EVERY (a build reports every file, two per
            # client), posted, not waited for: the build does not wait for the screen
            now = time.monotonic()
            if worker.is_cancelled or (done < total and now - last[0] < self.PROGRESS_EVERY):
                return
            last[0] = now
            self.post_message(self.Progress(done, total, label))

        app.publishing = True  # background work (the next days' queues) waits meanwhile
        try:
            state = app.state
            # the app's derived state: only what changed since is worked out again (and the
            # PDF workers stay warm for the next publish, until the app quits)
            result = publish(app.repo, state.policy if state else None, app.on, progress=progress, pdf=self.pdf,
                             keep_workers=True, derived=state.derived if state else None)
        except DunError as e:
            self.post_message(PublishDone(f"Not published: {e}", True))
            return
        except Exception as e:  # show it, keep the app alive
            self.post_message(PublishDone(f"Not published: {type(e).__name__}: {e}", True))
            return
        finally:
            app.publishing = False
        lines = [f"Done in {result.seconds:.1f} s: {result.written} file(s) written, {result.skipped} unchanged.",
                 f"Open {result.out_dir / 'index.html'} in a browser."]
        lines += [f"warning: {w}" for w in result.warnings[:5]]
        self.post_message(PublishDone("\n".join(lines), False))

    def on_publish_dialog_progress(self, message: Progress) -> None:
        if self.done:
            return  # a late one, after the result
        bar = self.query_one("#publish-bar", ProgressBar)
        bar.update(total=max(message.total, 1), progress=message.done)
        self.query_one("#publish-label", Static).update(safe(message.label))

    def on_publish_done(self, message: PublishDone) -> None:
        text, failed = message.text, message.failed
        self.done = True
        self.query_one("#publish-result", Static).update(safe(text, lines=True))
        self.query_one("#publish-result", Static).set_class(failed, "form-error")
        if not failed:
            bar = self.query_one("#publish-bar", ProgressBar)
            bar.update(total=bar.total or 1, progress=bar.total or 1)
            self.query_one("#publish-label", Static).update("Published.")

    def on_button_pressed(self) -> None:
        self.action_close()

    def action_close(self) -> None:
        # closing while it runs leaves the build to finish in the background (the site is
        # swapped in whole at the end, so nothing half-built is ever visible)
        self.dismiss(None)
