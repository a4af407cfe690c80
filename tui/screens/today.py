"""Today: the day's agenda as a queue, walked through one action at a time.

The queue is the day's agenda (the engine decides what is due and in what order), kept live:
after any change (an outcome, a payment, a new invoice, a note, an import) the app's state
is worked out again for the clients it touched and the queue follows it (:meth:`_follow`).
Each one-key outcome (:mod:`tui.screens.outcomes`) writes its activity through
``tui.actions`` and moves to the next action; what was done today is summarised at the end,
from the book (:mod:`tui.widgets.day_summary`). The rows, the card and the head are drawn by
:mod:`tui.widgets.queue`.
"""
from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import ContentSwitcher, Header, Label, Static, TextArea

from derived.progress import Logged, logged
from receivables.daylog import action_key
from receivables.errors import DunError

from .. import engine, progress
from ..fmt import safe
from ..state import BookState
from ..widgets.context import ClientContext
from ..widgets.day_summary import day_summary
from ..widgets.footer import DunFooter
from ..widgets.queue import action_card, draft_label, follow, queue_cells, queue_columns, today_head
from ..widgets.typing import TextBox, type_into
from ..widgets.vtable import VirtualTable
from .base import DunScreen, offer_credit, sync_line
from .outcomes import OutcomeKeys


class TodayScreen(OutcomeKeys, DunScreen):
    # Short descriptions: at 80 columns the footer holds the outcome keys, e, ? and q.
    BINDINGS = [
        Binding("enter", "walk", "Walk", id="today.walk", tooltip="Walk through the actions one by one"),
        Binding("escape", "list", "Queue", id="today.list", tooltip="Back to the queue"),
        Binding("s", "sent", "Sent", id="outcome.sent", tooltip="Send it (e-mail), make it (letter), or mark it done"),
        Binding("c", "called", "Call", id="outcome.called",
                tooltip="Log a call: type a note, enter, then r reached · a no answer · v voicemail · w wrong number"),
        Binding("p", "promise", "Promise", id="outcome.promise", tooltip="Record a promise to pay: amount and date"),
        Binding("d", "dispute", "Dispute", id="outcome.dispute",
                tooltip="Record a dispute on one of the invoices (on a dispute review: resolve it)"),
        Binding("dollar_sign", "paid", "Paid", id="outcome.paid", key_display="$",
                tooltip="Record a payment received; paid in full, the action is done"),
        Binding("z", "snooze", "Snooze", id="outcome.snooze", tooltip="Put the action off until a later date"),
        Binding("x", "skip", "Skip", id="outcome.skip", tooltip="Skip it today (it is due again tomorrow)"),
        Binding("U", "undo", "Undo", id="outcome.undo", show=False,
                tooltip="Take back today's outcome of the action (a key pressed by mistake): it is to do again"),
        Binding("e", "edit", "Edit", id="today.edit",
                tooltip="Edit the message before it goes (ctrl+s keeps the edit, esc leaves it)"),
        Binding("space", "mark", "Select", id="today.mark", show=False, tooltip="Select the action for Send all"),
        Binding("S", "bulk", "Send all", id="today.bulk", key_display="S",
                tooltip="Send the selected e-mails and letters (none selected: all of them)"),
        Binding("right_square_bracket", "step(1)", "Next", id="today.next", show=False, key_display="]",
                tooltip="The next action (in the walk-through)"),
        Binding("left_square_bracket", "step(-1)", "Previous", id="today.prev", show=False, key_display="[",
                tooltip="The previous action (in the walk-through)"),
        Binding("u", "summary", "Summary", id="today.summary", show=False,
                tooltip="The day so far: done, paid, promised, still to do"),
        Binding("n", "app.note", "Add a note", id="today.note", show=False),
        Binding("i", "open_client", "Open the client", id="today.client", show=False),
        Binding("C", "claim", "Claim interest", id="today.claim", show=False),
        Binding("k", "credit", "Apply credit", id="today.credit", show=False,
                tooltip="Put the client's credit (an overpayment) on its open invoices"),
        Binding("b", "receipts", "Bank receipts", id="today.receipts", show=False,
                tooltip="Bank receipts no invoice was found for"),  # tui.screens.receipts
    ]

    # left out of the footer below 110 columns (they work all the same; ? lists them)
    narrow_hidden = frozenset({"walk", "list", "bulk"})

    def __init__(self) -> None:
        super().__init__()
        self.queue: list[Any] = []
        self.done: dict[int, str] = {}
        self.pos = 0
        self.drafts: dict[int, str] = {}
        self.subjects: dict[int, str] = {}
        self._have_queue = False
        self._from_saved = False  # the queue shown came from the kept derived state (tui.app preview)
        self.view = "queue"
        self.marked: set[int] = set()  # actions selected for a bulk send (space)
        self.jobs: dict[int, int] = {}  # sender job id -> queue position
        self._logged: Logged | None = None  # today's handled actions in the book, for the progress count
        self._confirmed: set[tuple[str, str]] = set()  # actions marked here that the book has had as handled
        self._queue_on: Any = None  # the day the queue is for (the app moves on at midnight)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="today-head", markup=False)
        with ContentSwitcher(initial="queue-view", id="today-body"):
            with Horizontal(id="queue-view"):
                yield VirtualTable(
                    queue_columns(),
                    self._cells,
                    muted=lambda r: r[0] in self.done,
                    empty="Nothing to do today.",
                    id="queue",
                )
                with VerticalScroll(id="queue-context", classes="context"):
                    yield ClientContext(id="ctx-queue")
            with Horizontal(id="walk-view"):
                with Vertical(id="walk-left"):
                    yield Static("", id="action-card", markup=False)
                    yield Label("", id="draft-label")
                    yield TextBox("", id="draft", soft_wrap=True, tab_behavior="focus")
                with VerticalScroll(id="walk-context", classes="context"):
                    yield ClientContext(id="ctx-walk")
            with VerticalScroll(id="summary-view"):
                yield Static("", id="summary", markup=False)
            with VerticalScroll(id="placeholder-view"):
                yield Static("", id="placeholder", markup=False)
        yield DunFooter()

    # -- data ----------------------------------------------------------------------
    def _cells(self, row: tuple[int, Any]) -> list[str]:
        i, a = row
        return queue_cells(a, self.done.get(i), i in self.marked)

    def on_mount(self) -> None:  # (DunScreen's runs too, after this one: Textual calls each class's)
        self.dun.send_changed.subscribe(self, self._send_changed)
        self.query_one("#draft", TextBox).escape_then = self._escape_then
        if self.state is None and self.dun.preview is not None:
            self._set_queue(self.dun.preview)
            self._from_saved = True
            self._refresh_head()
            self._refresh_context()

    def _set_queue(self, agenda: list[Any]) -> None:
        self._queue_on = self.state.on if self.state is not None else self.on
        self.queue = list(agenda)
        self._have_queue = True
        self.pos = 0
        table = self.query_one("#queue", VirtualTable)
        table.set_rows([(i, a) for i, a in enumerate(self.queue)])
        if not self.queue:
            self._switch("summary")

    def show(self, state: BookState) -> None:
        if self._from_saved and state.agenda is not None:
            # The queue on screen was the last session's; the engine's own replaces it (the
            # same unless the book changed in between). Nothing was logged from it meanwhile.
            self._from_saved = False
            if state.agenda != self.queue:
                at = self.current.id if self.current is not None else None
                self._set_queue(state.agenda)
                ids = [a.id for a in self.queue]
                if at in ids:
                    self.pos = ids.index(at)
                    self.query_one("#queue", VirtualTable).move_to(self.pos)
            self.drafts.clear()
        if self._have_queue and state.agenda is not None and state.on != self._queue_on:
            self._new_day()  # (the app moved to the next day: its queue starts afresh)
        if not self._have_queue and state.agenda is not None:
            self._set_queue(state.agenda)
        elif self._have_queue and state.agenda is not None:
            self._follow(state.agenda, state)
        if not self._have_queue:
            self.query_one("#placeholder", Static).update(
                Text.assemble(("Today's agenda is not available.\n\n", "bold"), state.agenda_note or "",
                              "\n\nClients (2), Invoices (3) and notes work meanwhile; this screen fills in "
                              "by itself once the engine is there."))
            self._switch("placeholder")
        else:
            self.query_one("#queue", VirtualTable).refresh_rows()
            if self.view == "placeholder":
                self._switch("queue")
        self._refresh_head()
        self._refresh_context()
        if self.view == "walk":
            self._show_action()
        if self.view == "summary":
            self._show_summary()

    def _new_day(self) -> None:
        """Forget the last day's queue: what was done, drafted, selected and the logged count."""
        self._have_queue = False
        self.done, self.drafts, self.subjects = {}, {}, {}
        self.marked.clear()
        self.jobs.clear()  # (the app turns the day only when no message is being sent)
        self._logged = None
        self._confirmed = set()
        if self.view != "queue":
            self._switch("queue")

    def _follow(self, agenda: list[Any], state: BookState | None = None) -> None:
        """The queue brought up to date with the state's agenda (:func:`tui.widgets.queue.follow`);
        the cursor stays on the same action when it is still there. A row handled here that
        the book had as handled and no longer has (the payment that did it voided: its
        activity taken back) is to do again, with its new figures: it kept its tick and its
        old amounts while the agenda had it due again."""
        state = state or self.state
        if state is not None:
            self._logged = logged(state.book, self.on, state.derived, self._logged)
            steps = self._logged.steps
            for i in sorted(self.done):
                key = action_key(self.queue[i])
                if key in steps:
                    self._confirmed.add(key)
                elif key in self._confirmed:
                    self._confirmed.discard(key)
                    del self.done[i]
        got = follow(self.queue, self.done, self.drafts, self.subjects, agenda,
                     self.current.id if self.current is not None else None)
        if got is None:
            return
        self.queue, self.done, self.drafts, self.subjects, self.pos = (
            got.queue, got.done, got.drafts, got.subjects, got.pos)
        table = self.query_one("#queue", VirtualTable)
        table.set_rows([(i, a) for i, a in enumerate(self.queue)])
        if self.queue:
            table.move_to(self.pos)

    def _switch(self, view: str) -> None:
        self.view = view
        self.query_one("#today-body", ContentSwitcher).current = f"{view}-view"
        self.refresh_bindings()
        if view == "queue":
            self.query_one("#queue", VirtualTable).focus()
        elif view == "summary":
            self._show_summary()

    def _refresh_head(self) -> None:
        state = self.state
        if state is not None:  # what the book says was handled today (derived.progress: touched clients only)
            self._logged = logged(state.book, self.on, state.derived, self._logged)
        counts = self._counts()
        walking = (self.pos, len(self.queue)) if self.view == "walk" and self.current is not None else None
        self.query_one("#today-head", Static).update(today_head(
            self.on, counts, self._have_queue, walking, state is None, progress.outbox_line(self.dun),
            sync_line(state)))  # "Sync first": Xero or the bank behind, receipts unmatched (b)

    def _counts(self) -> progress.DayCounts:
        """The day's counts: this session's marks and what the book says was handled today."""
        logged = self._logged.steps if self.state is not None and self._logged is not None else {}
        return progress.day_counts(self.queue, self.done, logged)

    @property
    def current(self) -> Any | None:
        self._follow_cursor()
        if 0 <= self.pos < len(self.queue):
            return self.queue[self.pos]
        return None

    def _follow_cursor(self) -> None:
        """In the queue the action at hand is the row under the table's cursor as it is now. The
        table says where its cursor went in a message the screen handles later, so a key typed
        right after the arrows ("down down c") acted on the row before them: a call, a payment
        or a promise logged against the wrong client."""
        if self.view != "queue":
            return
        tables = self.query("#queue")
        row = tables.first(VirtualTable).current if tables else None
        if row is not None and 0 <= row[0] < len(self.queue):
            self.pos = row[0]

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        """Footer keys that make sense in the current view only."""
        if action == "walk":
            return self.view != "walk" and bool(self.queue)
        if action == "list":
            return self.view != "queue" and self._have_queue
        if action in ("sent", "called", "promise", "dispute", "paid", "snooze", "skip"):
            return self.view in ("queue", "walk") and self.current is not None
        if action == "bulk":
            return self.view in ("queue", "walk") and bool(self.queue)
        return True

    def current_client_id(self) -> str | None:
        a = self.current
        return a.client if a is not None else None

    def current_invoice(self) -> str | None:
        a = self.current
        return a.invoices[0] if a is not None and len(a.invoices) == 1 else None

    def _refresh_context(self) -> None:
        cid = self.current_client_id()
        target = "#ctx-walk" if self.view == "walk" else "#ctx-queue"
        self.query_one(target, ClientContext).show_client(self.state, cid)

    @on(VirtualTable.Highlighted, "#queue")
    def _highlighted(self, event: VirtualTable.Highlighted) -> None:
        self.pos = event.row[0]
        self._refresh_context()

    @on(VirtualTable.Selected, "#queue")
    def _selected(self, event: VirtualTable.Selected) -> None:
        self.pos = event.row[0]
        self.action_walk()

    # -- walk-through ----------------------------------------------------------------
    def action_walk(self) -> None:
        if not self._have_queue or not self.queue:
            return
        if self.view != "walk":
            self._switch("walk")
        self._show_action()
        self._refresh_head()

    def action_list(self) -> None:
        if self.view == "walk" and self.query_one("#draft", TextArea).has_focus:
            self.set_focus(None)
            self._stop_editing()
            return
        if self._have_queue:
            self._switch("queue")
            self.query_one("#queue", VirtualTable).move_to(self.pos)
            self._refresh_head()
            self._refresh_context()

    def action_step(self, delta: int) -> None:
        if not self.queue:
            return
        self._follow_cursor()
        self.pos = (self.pos + delta) % len(self.queue)
        if self.view == "walk":
            self._show_action()
        else:
            self.query_one("#queue", VirtualTable).move_to(self.pos)
        self._refresh_head()

    def action_edit(self) -> None:
        """Edit the draft: the label says so, and the cursor starts at the body (after the
        "Subject:" line and the blank line), where a change is usually made."""
        if not self._have_queue or self.current is None:  # (the hidden draft would take every key)
            self.notify("No action is open, so there is no draft to edit.", timeout=3)
            return
        if self.view != "walk":
            self.action_walk()
        draft = self.query_one("#draft", TextArea)
        if draft.read_only:
            return
        if draft.cursor_location == (0, 0) and draft.text.startswith("Subject:"):
            lines = draft.text.split("\n")
            row = next((i for i in range(1, len(lines)) if lines[i].strip()), 0)
            draft.move_cursor((row, 0))
        draft.focus()
        draft.add_class("editing")
        self.query_one("#draft-label", Label).update(
            "EDITING the message — type your changes; escape when done (s then sends it as edited)")

    def _escape_then(self, key: str, char: str) -> None:
        """Escape and a key typed at once in the draft (see TextBox): the editing ends, then
        the key acts as it does on the action (s sends the message as edited)."""
        self.action_list()
        self.app.post_message(events.Key(key, char))

    def typed_ahead(self, event: events.Key, ahead: bool = False) -> bool:
        """A key typed right after e (edit), reaching the app's bindings from where the focus was
        before e moved it (Textual hands each key to the focused widget as it comes in, and e's
        binding runs after them): "e" then "so sorry" typed at once logged "sent", the draft
        unedited, and the next action as done. While the draft is being edited, such a key is
        the draft's, typed into it in order; True if it was taken. (A key the draft had the focus
        for never gets here but escape, which ends the editing.)"""
        if self.view != "walk":
            return False
        draft = self.query_one("#draft", TextArea)
        return draft.has_class("editing") and type_into(draft, event)

    def _stop_editing(self) -> None:
        draft = self.query_one("#draft", TextArea)
        if draft.has_class("editing"):
            draft.remove_class("editing")
            a = self.current
            if a is not None:
                self.query_one("#draft-label", Label).update(draft_label(a, self._has_email(a)))

    def _has_email(self, a: Any) -> bool:
        """The action's client has an e-mail address (unknown until the clients are read: yes)."""
        state = self.state
        source = self.dun.preview_source
        clients = state.book.clients if state is not None else (source[1] if source is not None else None)
        client = clients.get(a.client) if clients is not None else None
        return client is None or bool(client.email)

    def action_receipts(self) -> None:
        self.dun.open_receipts()

    def action_summary(self) -> None:
        self._switch("summary")

    def action_credit(self) -> None:
        a = self.current if self._have_queue else None
        if a is not None and a.kind == "credit" and self.pos not in self.done:
            self.action_sent()  # (the day's Apply credit: done with the credit, as s does it)
            return
        cid = self.current_client_id()
        if cid:
            offer_credit(self, cid)

    def action_open_client(self) -> None:
        cid = self.current_client_id()
        if cid:
            self.dun.open_client(cid)

    def _draft(self, i: int) -> str:
        if i in self.drafts:
            return self.drafts[i]
        a = self.queue[i]
        text = None
        try:
            text = self._draft_text(a)
        except DunError as e:
            text = f"(No draft: {e})"
        except Exception as e:
            text = f"(No draft: {type(e).__name__}: {e})"
        if text is None:  # nothing to draft from yet: the real draft comes once the book is read
            return "(The draft shows here as soon as the book is read.)"
        text = safe(text, lines=True)  # a client's name cannot smuggle terminal codes
        self.drafts[i] = text
        return text

    def _draft_text(self, a: Any) -> str | None:
        """The action's draft from the client's day (its message context is kept with it: the
        preview drafts before the book is read), else from the book; None without either."""
        state = self.state
        if state is not None:
            source = (state.derived, state.book.clients, state.policy)
        else:
            source = self.dun.preview_source
        d = None
        if source is not None and source[0] is not None and source[2] is not None:
            kept, clients, policy = source
            day = kept.days.get(a.client)
            if day is not None and day.context_of(a) is not None and a.client in clients:
                d = engine.get("draft_from_day")(a, day, clients[a.client], policy, self.on)
        if d is None and state is not None and state.policy is not None:  # an action the day no longer has
            d = engine.get("draft")(a, state.book, state.policy, self.on, ledger=state.ledger_for(a.client))
        if d is None:
            return None if state is None else ""
        return f"Subject: {d.subject}\n\n{d.text}" if d.subject else d.text

    def _show_action(self) -> None:
        a = self.current
        card = self.query_one("#action-card", Static)
        draft = self.query_one("#draft", TextArea)
        if a is None:
            card.update("")
            return
        card.update(action_card(a, self.pos, len(self.queue), self.done.get(self.pos)))
        text = self._draft(self.pos)
        with draft.prevent(TextArea.Changed):
            draft.load_text(text)
        draft.read_only = self.state is None  # editable once outcomes can be logged (the book is read)
        draft.remove_class("editing")
        self.query_one("#draft-label", Label).update(draft_label(a, self._has_email(a)))
        self._refresh_context()

    @on(TextArea.Changed, "#draft")
    def _draft_changed(self, event: TextArea.Changed) -> None:
        if self.current is not None:
            self.drafts[self.pos] = event.text_area.text

    # -- summary ---------------------------------------------------------------------
    def _show_summary(self) -> None:
        if self.state is not None:
            outbox = getattr(getattr(self.dun.repo, "paths", None), "outbox", None)
            self.query_one("#summary", Static).update(
                day_summary(self.state, self.on, self._counts() if self._have_queue else None, outbox))

    def commands(self):
        return [
            ("Today: walk through the actions", "One action at a time with the client beside it (enter)", self.action_walk),
            ("Today: back to the queue", "The list of today's actions (escape)", self.action_list),
            ("Outcome: sent / done", "Log the current action as done (s)", self.action_sent),
            ("Outcome: called…", "Log a call: reached, no answer, voicemail, wrong number (c)", self.action_called),
            ("Outcome: promise to pay…", "Amount and date (p)", self.action_promise),
            ("Outcome: dispute…", "Invoice and reason; on a disputed invoice, resolve it (d)", self.action_dispute),
            ("Outcome: payment received…", "Open the payment form ($)", self.action_paid),
            ("Outcome: snooze…", "Hide the action until a date (z)", self.action_snooze),
            ("Outcome: skip", "Skip it for today (x)", self.action_skip),
            ("Today: send e-mails in bulk…", "The selected e-mail actions, or all of today's, after a preview (S)",
             self.action_bulk),
            ("Today: edit the drafted message", "Change the text before logging it (e)", self.action_edit),
            ("Today: summary of the day", "What was done today (u)", self.action_summary),
            ("Today: open the client", "The client's detail screen (i)", self.action_open_client),
        ]
