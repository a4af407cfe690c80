"""The terminal app: ``dun`` with no command.

``create_app`` builds it (the CLI and the tests use it); ``run`` runs it. The book is
opened in a worker thread while a loading screen shows; if another process holds the
write lock the book is reopened read-only, the header says so and writes are refused.
When the derived state kept for today is valid for every client (:mod:`derived`), the
Today queue shows from it at once while the book itself is read behind it.
"""
from __future__ import annotations

import sys
import threading
import time
from datetime import date
from importlib import import_module
from pathlib import Path
from typing import Any, Callable

from textual import work
from textual.app import App
from textual.binding import Binding
from textual.signal import Signal
from textual.worker import get_current_worker

from receivables.errors import DunError
from receivables.tuning import PREVIEW_DRAW_WAIT, PREVIEW_SETTLE

import derived

from . import engine
from .background import BackgroundWork
from .commands import DunCommands
from .fmt import safe
from .keymap import load_keymap
from .messages import BookLoaded, LoadFailed, LoadStage, PreviewReady, StateCompleted, WorkFailed
from .sending import Sender, SendStatus, finish_on_quit, log_status
from .state import BookState, build_state



# mode name -> (module in tui/screens, screen class)
_SCREENS = {"today": ("today", "TodayScreen"), "clients": ("clients", "ClientsScreen"),
            "invoices": ("invoices", "InvoicesScreen"), "reports": ("reports", "ReportsScreen"),
            "policy": ("policy", "PolicyScreen")}


class DunApp(BackgroundWork, App[int]):
    CSS_PATH = [
        "styles/app.tcss",
        "styles/tables.tcss",
        "styles/today.tcss",
        "styles/dialogs.tcss",
    ]
    TITLE = "dun"
    COMMANDS = App.COMMANDS | {DunCommands}
    COMMAND_PALETTE_BINDING = "ctrl+p"
    ENABLE_COMMAND_PALETTE = True

    BINDINGS = [
        Binding("question_mark", "help", "Help", id="app.help", key_display="?"),
        Binding("q", "quit", "Quit", id="app.quit"),
        Binding("1", "go('today')", "Today", id="nav.today"),
        Binding("2", "go('clients')", "Clients", id="nav.clients"),
        Binding("3", "go('invoices')", "Invoices", id="nav.invoices"),
        Binding("4", "go('reports')", "Reports", id="nav.reports"),
        Binding("5", "go('policy')", "Policy", id="nav.policy"),
        Binding("ctrl+t", "toggle_theme", "Theme", id="app.theme", show=False),
        Binding("ctrl+r", "reload", "Reload", id="app.reload", show=False),
        Binding("n", "note", "Note", id="app.note", show=False),
        Binding("dollar_sign", "payment", "Payment", id="app.payment", show=False, key_display="$"),
        Binding("P", "publish", "Publish", id="app.publish", show=False),
        Binding("I", "import_file", "Import", id="app.import", show=False),
    ]

    QUEUE_SAVE_DELAY = 5.0  # seconds without a key press or click: a quiet moment for background work
    DAY_CHECK_EVERY = 30.0  # seconds between looks at the clock, for the turn of the day (tui.background)

    def __init__(self, book_dir: Path, on: date | None = None, read_only: bool = False, repo: Any = None,
                 clock: Callable[[], date] = date.today) -> None:
        super().__init__()
        self.book_dir = Path(book_dir)
        self.clock = clock
        self.follows_clock = on is None  # no --on: the app moves to the next day at midnight
        self.on = on or clock()
        self.want_read_only = read_only
        self.repo: Any = repo
        self.state: BookState | None = None
        self._last_input = time.monotonic()  # the owner's last key press or click
        self.publishing = False  # set by the publish dialog while it builds
        self._session_prepared = False  # what the first write and publish need, readied once
        self._saved_derived: Any = None  # the derived state last written to its file
        # the next days' derived state is worked out in quiet moments (tui.background), when the
        # app follows the clock; (day, policy digest) -> the clients' revisions it was last
        # worked out at
        self.prepares_ahead = self.follows_clock
        self._ahead: dict[tuple[date, str], dict] = {}
        self.preview: list | None = None  # today's queue before the state is there (tui.messages.PreviewReady)
        self.preview_source: Any = None  # (kept days, clients, policy) the preview's drafts come from
        self._preview_drawn = threading.Event()  # the preview is on screen: the book can be read
        self.timings: dict[str, float] = {"created": time.perf_counter()}  # (for benchmarks/derived.py)
        self.lock_note = ""
        self.load_error = ""
        self.state_changed: Signal[BookState] = Signal(self, "state-changed")
        self.sender = Sender(self)  # approved messages go out from here (tui.sending)
        self.send_changed: Signal[SendStatus] = Signal(self, "send-changed")
        self.keymap_problems: list = []
        self.keymap_path: Path | None = None
        self._installed: set[str] = set()
        self._reload_lock = threading.Lock()
        self._reload_wanted = False
        self._reloading = False
        self._built: BookState | None = None  # the state the reload worker made last
        self.theme = "textual-dark"

    # -- start ---------------------------------------------------------------------
    def on_mount(self) -> None:
        keymap, problems, path = load_keymap(self.book_dir)
        self.keymap_path = path
        self.keymap_problems = problems
        if keymap:
            self.set_keymap(keymap)
        for p in problems:
            self.notify(p.line(), title="Keymap", severity="warning", markup=False)
        self._update_subtitle()
        from .screens.loading import LoadingScreen

        self.push_screen(LoadingScreen())
        self.open_book()
        if self.follows_clock:
            self.set_interval(self.DAY_CHECK_EVERY, self.check_day)

    def _update_subtitle(self) -> None:
        parts = [self.book_dir.name or str(self.book_dir), f"on {self.on.isoformat()}"]
        if self.repo is not None and getattr(self.repo, "read_only", False):
            parts.append("READ-ONLY" + (f" ({self.lock_note})" if self.lock_note else ""))
        self.sub_title = " · ".join(parts)

    @work(thread=True, exclusive=True, group="load", description="open the book")
    def open_book(self) -> None:
        import store

        worker = get_current_worker()
        t0 = time.perf_counter()
        try:
            if self.repo is None:
                self._stage(f"Opening the book in {self.book_dir}…")
                if not (self.book_dir / "book.json").is_file():
                    raise DunError(f"there is no book in {self.book_dir}", str(self.book_dir),
                                   "create one with 'dun init' or 'dun demo', or pass --book DIR")
                try:
                    repo = store.open_book(self.book_dir, readonly=self.want_read_only, command="dun (app)",
                                           today=self.on)
                except store.BookLocked as e:
                    repo = store.open_book(self.book_dir, readonly=True, today=self.on)
                    self.lock_note = e.problem.message  # (the app itself opened read-only: no hint)
                self.repo = repo
            opened = time.perf_counter() - t0
            kept = self._preview(self.repo)
            if kept is not None:  # the book is read once the preview is drawn, not competing with it
                self._preview_drawn.wait(PREVIEW_DRAW_WAIT)
                time.sleep(PREVIEW_SETTLE)
                engine.ready()  # the drafts' modules, while the owner reads the queue
            # the derived state's file is written in the first quiet moment (tui.background) or at
            # quit, not before Today is shown
            state = build_state(self.repo, self.book_dir, self.on, progress=self._stage, kept=kept, save=False,
                                early=self._early if kept is None else None)
            state.timings["open"] = opened
        except DunError as e:
            self.post_message(LoadFailed(str(e)))
            return
        except OSError as e:
            self.post_message(LoadFailed(f"{self.book_dir}: {e.strerror or e}"))
            return
        if worker.is_cancelled:
            return
        self.post_message(BookLoaded(state, first=True))
        engine.ready()  # (the first draft does not wait for them)

    def _preview(self, repo) -> Any:
        """Today's queue from the derived state kept for today, shown before the book is read
        when every client's entry in it is still valid; the derived state, or None."""
        try:
            policy = repo.policy()
            got = derived.kept(repo, policy, self.on)
            clients = repo.clients() if got is not None else None
        except (DunError, OSError):
            return None
        if got is not None:
            self.post_message(PreviewReady(list(got.agenda), got, clients, policy))
        return got

    def _early(self, due: Any, clients: Any, policy: Any) -> None:
        """Today's queue from what is due, when every client is worked out afresh (a first
        start, a new day): shown, with its drafts, while the rest of the day (the report's
        share) is worked out behind it. Worker thread."""
        self.post_message(PreviewReady(list(due.agenda), due, clients, policy))
        self._preview_drawn.wait(PREVIEW_DRAW_WAIT)  # drawn before the work goes on

    def on_preview_ready(self, message: PreviewReady) -> None:
        from .screens.loading import LoadingScreen

        if self.state is not None:
            return
        self.preview = message.queue
        self.preview_source = (message.kept, message.clients, message.policy)
        if isinstance(self.screen, LoadingScreen):
            self.pop_screen()
            self.go("today")
        self.call_after_refresh(self._drawn)

    def _drawn(self) -> None:
        self.timings["queue drawn"] = time.perf_counter() - self.timings["created"]
        self._preview_drawn.set()

    async def _on_key(self, event) -> None:
        """A key no widget took, on its way to the bindings (Textual's App._on_key runs after this),
        unless the screen in front takes it: a key typed ahead of a change of focus or of screen
        (``typed_ahead(event, ahead)``; ``ahead``: the key came in while another screen was in
        front, e.g. the one a dialog was opened from). See TodayScreen, TableScreen, FormDialog
        and CallOutcomeDialog."""
        screen = self.screen
        take = getattr(screen, "typed_ahead", None)
        if take is not None and take(event, getattr(event, "dun_screen", screen) is not screen):
            event.stop()
            event.prevent_default()

    async def on_event(self, event) -> None:
        from textual import events

        if isinstance(event, (events.Key, events.MouseDown, events.MouseScrollDown, events.MouseScrollUp)):
            self._last_input = time.monotonic()
        if isinstance(event, events.Key) and not event.is_forwarded:
            event.dun_screen = self.screen  # the screen in front when the key came in (see _on_key)
        await super().on_event(event)

    def on_state_completed(self, message: StateCompleted) -> None:
        if self.state is message.state:
            self.state_changed.publish(message.state)

    def on_work_failed(self, message: WorkFailed) -> None:
        self.notify(message.text, severity="error", markup=False)

    def _stage(self, message: str) -> None:
        """Show what the loading worker is doing (from the worker thread or the app's own)."""
        self.post_message(LoadStage(message))

    def on_load_stage(self, message: LoadStage) -> None:
        from .screens.loading import LoadingScreen

        if isinstance(self.screen, LoadingScreen):
            self.screen.stage(message.text)

    def on_load_failed(self, failed: LoadFailed) -> None:
        message = failed.text
        self.load_error = message
        from .screens.loading import LoadingScreen

        screen = self.screen
        if isinstance(screen, LoadingScreen):
            screen.fail(message, self.book_dir)
        else:  # the saved queue was on screen: the book behind it cannot be read after all
            self.preview = None
            screen = LoadingScreen()
            self.push_screen(screen)
            self.call_after_refresh(screen.fail, message, self.book_dir)

    def on_book_loaded(self, message: BookLoaded) -> None:
        self._loaded(message.state, message.first)

    def _loaded(self, state: BookState, first: bool = False) -> None:
        self.state = state
        self.preview = self.preview_source = None  # (what the preview held: each client's working state)
        self._update_subtitle()
        if first:
            from .screens.loading import LoadingScreen

            if self.lock_note:
                self.notify(
                    f"Opened read-only: {self.lock_note}. Changes are refused until you reopen.",
                    title="Read-only",
                    severity="warning",
                    timeout=10,
                    markup=False,
                )
            if isinstance(self.screen, LoadingScreen):
                self.pop_screen()
                self.go("today")
            else:  # the saved queue is on screen: the book's own takes its place
                self.state_changed.publish(state)
                self.call_after_refresh(self.ensure_complete)
        else:
            self.state_changed.publish(state)
        if not first and not state.complete:
            self.call_after_refresh(self.ensure_complete)

    def ensure_complete(self) -> None:
        """Start stage 2 for the current state (once the screen in front has been drawn)."""
        state = self.state
        if state is not None and not state.complete and getattr(self, "_completing", None) is not state:
            self._completing = state
            self._start_completion(state)

    def reload(self) -> None:
        """Derive the state again after a write (or on request).

        Writes can come faster than a large book re-derives: one reload runs at a time and
        a request made meanwhile is served once it ends (never a pile of stale ones)."""
        with self._reload_lock:
            self._reload_wanted = True
            start = not self._reloading
            self._reloading = True
        if start:
            self._reload()

    @work(thread=True, group="reload", description="reload the book")
    def _reload(self) -> None:
        while True:
            with self._reload_lock:
                if not self._reload_wanted or self.repo is None:
                    self._reloading = False
                    return
                self._reload_wanted = False
            try:
                # only the clients the change touched are worked out again (derived.current)
                # (from the newest state: the one last built may not have reached the screen yet)
                state = build_state(self.repo, self.book_dir, self.on, previous=self._built or self.state,
                                    save=False)
            except DunError as e:
                self.post_message(WorkFailed(str(e)))
                continue
            except Exception as e:  # never leave the flag set: later writes must still reload
                self.post_message(WorkFailed(f"Could not refresh: {e}"))
                continue
            self._built = state
            if not self._reload_wanted:  # else another write landed meanwhile: derive again first
                self.post_message(BookLoaded(state))

    # -- navigation ----------------------------------------------------------------
    def _make(self, name: str):
        # each screen's module is imported when it is first opened (Today alone at the start)
        module, cls = _SCREENS[name]
        return getattr(import_module(f".screens.{module}", __package__), cls)()

    def go(self, name: str) -> None:
        if self.state is None and not (name == "today" and self.preview is not None):
            if self.preview is not None:
                self.notify("Still reading the book; this opens in a moment.", timeout=3)
            return
        if name not in self._installed:
            self.add_mode(name, lambda n=name: self._make(n))
            self._installed.add(name)
        self.switch_mode(name)

    def action_go(self, name: str) -> None:
        self.go(name)

    def open_client(self, client_id: str, tab: str | None = None) -> None:
        """The client's detail screen over the one in front (any screen opens it through here),
        on its ``tab`` (e.g. "tab-payments") if given."""
        from .screens.client_detail import ClientDetailScreen

        self.push_screen(ClientDetailScreen(client_id, tab))

    def action_void_record(self) -> None:
        """The palette's "Void a payment, credit or promise": the client in front, on its
        Payments · credits tab, where v voids the selected one."""
        from .screens.client_detail import ClientDetailScreen

        if self.state is None:
            return
        screen = self.screen
        if isinstance(screen, ClientDetailScreen):
            screen.show_voidable()
            return
        cid = getattr(screen, "current_client_id", lambda: None)()
        if not cid:
            self.notify("Open the client first (2, then enter): v on its Payments · credits or Promises tab "
                        "voids the one selected.", markup=False)
            return
        self.open_client(cid, "tab-payments")

    def open_receipts(self) -> None:
        """The unmatched bank receipts (from Today's "sync first" line, ``b``)."""
        from .screens.receipts import ReceiptsScreen

        self.push_screen(ReceiptsScreen())

    def action_help(self) -> None:
        from .screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_toggle_theme(self) -> None:
        self.theme = "textual-light" if self.theme == "textual-dark" else "textual-dark"

    def action_reload(self) -> None:
        if self.repo is not None and hasattr(self.repo, "refresh"):
            try:
                self.repo.refresh()
            except DunError as e:
                self.notify(str(e), severity="error", markup=False)
        self.reload()

    def action_note(self) -> None:
        from .dialogs.note import NoteDialog

        if self.state is not None:
            screen = self.screen
            self.push_screen(NoteDialog(getattr(screen, "current_client_id", lambda: None)(),
                                        getattr(screen, "current_invoice", lambda: None)()))

    def action_payment(self) -> None:
        from .dialogs.payment import PaymentDialog

        if self.state is not None:
            self.push_screen(PaymentDialog(getattr(self.screen, "current_client_id", lambda: None)()))

    def action_publish(self) -> None:
        from .dialogs.publish import PublishDialog

        if self.state is not None and not any(isinstance(s, PublishDialog) for s in self.screen_stack):
            self.push_screen(PublishDialog())  # (one publish at a time: P in its dialog does nothing)

    def _writing_dialog(self, make: Callable[[], Any]) -> None:
        """The dialog ``make`` gives, over the screen in front, when the book can be changed."""
        if self.state is not None and self.check_writable():
            self.push_screen(make())

    def action_import_file(self) -> None:
        from .dialogs.import_file import ImportDialog

        self._writing_dialog(ImportDialog)

    def action_add_client(self) -> None:
        from .dialogs.client_form import ClientForm

        self._writing_dialog(ClientForm)

    def action_add_invoice(self) -> None:
        from .dialogs.invoice_form import InvoiceForm

        self._writing_dialog(lambda: InvoiceForm(client=getattr(self.screen, "current_client_id", lambda: None)()))

    def check_writable(self) -> bool:
        if self.repo is None or getattr(self.repo, "read_only", False):
            self.notify("The book is open read-only" + (f" ({self.lock_note})" if self.lock_note else "")
                        + "; nothing can be changed in this window.", title="Read-only", severity="warning",
                        markup=False)
            return False
        return True

    def on_send_status(self, event: SendStatus) -> None:
        """A job of the sender moved on: log a final status in the store, say it, refresh."""
        if event.status in ("sent", "queued", "letter", "failed"):
            try:
                line = log_status(self, event)
            except DunError as e:
                line = f"Not logged: {e}"
                event.status = "failed"
            failed = event.status == "failed" or (event.status == "queued" and self.sender.last_failure == event.reason)
            severity = "warning" if failed else "information"
            if not event.job.quiet or event.status == "failed":
                title = "Not sent" if failed else "Letter" if event.status == "letter" else "Sending"
                self.notify(safe(line), title=title,
                            severity=severity, markup=False, timeout=6 if severity == "information" else 12)
            if event.status != "failed":
                self.reload()
        self.send_changed.publish(event)

    def on_unmount(self) -> None:
        finish_on_quit(self)  # what the sender accepted is logged, the rest stays queued
        if self.repo is not None and hasattr(self.repo, "close"):
            try:
                self.repo.close()
            except Exception:
                pass
        pdf = sys.modules.get("publish.pdf")  # only if this session published
        if pdf is not None:
            pdf.release_workers()  # the warm PDF workers kept for the next publish


def create_app(book_dir: Path | str, on: date | None = None, read_only: bool = False, repo: Any = None,
               clock: Callable[[], date] = date.today) -> DunApp:
    """The app on ``book_dir``: on the date ``on``, else on the ``clock``'s day, following it
    past midnight."""
    return DunApp(Path(book_dir), on=on, read_only=read_only, repo=repo, clock=clock)


def run(book_dir: Path | str, on: date | None = None, read_only: bool = False) -> int:
    book_dir = Path(book_dir).expanduser()
    if not (book_dir / "book.json").is_file():  # say so on the command line, not in a screen
        raise DunError(f"there is no book in {book_dir}", "--book",
                       f"create one with 'dun --book {book_dir} init' (empty) or 'dun --book {book_dir} demo'")
    app = create_app(book_dir, on=on, read_only=read_only)
    app.run()
    app.save_derived(app.state)  # the last changes' clients, for the next start
    if app.load_error:
        raise DunError(app.load_error)
    return 0
