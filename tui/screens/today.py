"""Today: the day's agenda as a queue, walked through one action at a time.

The queue is the day's agenda (the engine decides what is due and in what order), kept live:
after any change (an outcome, a payment, a new invoice, a note, an import) the app's state
is worked out again for the clients it touched and the queue follows it (:meth:`_follow`). Each one-key outcome writes its activity through ``tui.actions`` and
moves to the next action; what was done today is summarised at the end, from the book.
"""
from __future__ import annotations

from collections import Counter
from typing import Any

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import ContentSwitcher, Header, Label, Static, TextArea

from derived.progress import Logged, logged
from receivables.errors import DunError

from .. import actions, engine, progress
from ..fmt import clean, long_day, money, safe
from ..state import BookState
from ..widgets.context import ClientContext
from ..widgets.footer import DunFooter
from ..widgets.vtable import Column, VirtualTable
from .base import DunScreen, write

KIND_LABEL = {
    "promise": "Broken promise",
    "installment": "Installment",
    "dispute": "Dispute review",
    "credit_review": "Credit review",
}
DRAFTED = ("email", "letter", "sms")


def step_label(step: str | None, policy: Any) -> str:
    """A step id or action key as the owner reads it ("Friendly reminder", "Broken promise")."""
    if not step:
        return ""
    s = policy.step(step) if policy is not None else None
    if s is not None:
        return s.title or s.id
    return KIND_LABEL.get(step.split(":", 1)[0], step)


def action_title(a: Any) -> str:
    return getattr(a, "title", "") or KIND_LABEL.get(getattr(a, "kind", ""), "") or (a.step or a.kind)


class TodayScreen(DunScreen):
    # Short descriptions: at 80 columns the footer holds the outcome keys, e, ? and q.
    BINDINGS = [
        Binding("enter", "walk", "Walk", id="today.walk", tooltip="Walk through the actions one by one"),
        Binding("escape", "list", "Queue", id="today.list", tooltip="Back to the queue"),
        Binding("s", "sent", "Sent", id="outcome.sent", tooltip="Send it (e-mail), make it (letter), or mark it done"),
        Binding("c", "called", "Call", id="outcome.called"),
        Binding("p", "promise", "Promise", id="outcome.promise"),
        Binding("d", "dispute", "Dispute", id="outcome.dispute"),
        Binding("dollar_sign", "paid", "Paid", id="outcome.paid", key_display="$"),
        Binding("z", "snooze", "Snooze", id="outcome.snooze"),
        Binding("x", "skip", "Skip", id="outcome.skip"),
        Binding("e", "edit", "Edit", id="today.edit"),
        Binding("space", "mark", "Select", id="today.mark", show=False),
        Binding("S", "bulk", "Send all", id="today.bulk", key_display="S"),
        Binding("right_square_bracket", "step(1)", "Next", id="today.next", show=False, key_display="]"),
        Binding("left_square_bracket", "step(-1)", "Previous", id="today.prev", show=False, key_display="["),
        Binding("u", "summary", "Summary", id="today.summary", show=False),
        Binding("n", "app.note", "Add a note", id="today.note", show=False),
        Binding("i", "open_client", "Open the client", id="today.client", show=False),
        Binding("C", "claim", "Claim interest", id="today.claim", show=False),
        Binding("b", "receipts", "Bank receipts", id="today.receipts", show=False),  # tui.screens.receipts
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

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="today-head", markup=False)
        with ContentSwitcher(initial="queue-view", id="today-body"):
            with Horizontal(id="queue-view"):
                yield VirtualTable(
                    [
                        Column("mark", " ", 1),
                        Column("client", "Client", 8, flex=True),
                        Column("action", "Action", 15),
                        Column("amount", "Amount", 11, right=True),
                        Column("late", "Late", 4, right=True, optional=True),
                    ],
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
                    yield TextArea("", id="draft", soft_wrap=True, tab_behavior="focus")
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
        mark = "✓" if i in self.done else "●" if i in self.marked else (
            "!" if getattr(a, "escalate", None) or a.kind == "promise" else "·")
        name = getattr(a, "client_name", "") or a.client
        late = getattr(a, "days_overdue", 0)
        return [mark, name, action_title(a), money(a.amount, a.currency), f"{late}d" if late else ""]

    def on_mount(self) -> None:
        super().on_mount()
        self.dun.send_changed.subscribe(self, self._send_changed)
        if self.state is None and self.dun.preview is not None:
            self._set_queue(self.dun.preview)
            self._from_saved = True
            self._refresh_head()
            self._refresh_context()

    def _set_queue(self, agenda: list[Any]) -> None:
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
        if not self._have_queue and state.agenda is not None:
            self._set_queue(state.agenda)
        elif self._have_queue and state.agenda is not None:
            self._follow(state.agenda)
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

    def _follow(self, agenda: list[Any]) -> None:
        """The queue brought up to date with the state's agenda, in place: what was done here
        stays (ticked); an action still due takes its new figures; one no longer due (paid,
        promised, snoozed elsewhere) leaves; a newly due one (a new invoice, say) joins at the
        end. The cursor stays on the same action when it is still there."""
        fresh = {a.id: a for a in agenda}
        at = self.current.id if self.current is not None else None
        queue, done, drafts, subjects = [], {}, {}, {}
        for i, a in enumerate(self.queue):
            if i in self.done:
                a2 = a
            elif a.id in fresh:
                a2 = fresh[a.id]
            else:
                continue
            k = len(queue)
            queue.append(a2)
            if i in self.done:
                done[k] = self.done[i]
            if i in self.drafts and a2 is a:
                drafts[k] = self.drafts[i]
            if i in self.subjects and a2 is a:
                subjects[k] = self.subjects[i]
        seen = {a.id for a in queue}
        queue.extend(a for a in agenda if a.id not in seen)
        if [a.id for a in queue] == [a.id for a in self.queue] and all(x is y for x, y in zip(queue, self.queue)):
            return
        self.queue, self.done, self.drafts, self.subjects = queue, done, drafts, subjects
        ids = [a.id for a in queue]
        if at in ids:
            self.pos = ids.index(at)
        else:
            self.pos = next((k for k in range(len(queue)) if k not in done), 0)
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
        counts = progress.day_counts(self.queue, self.done, self._logged.steps if state is not None else {})
        total, done = counts.total, counts.done
        head = Text()
        head.append(f"Today · {long_day(self.on)}", style="bold")
        if self._have_queue:
            if total:
                width = 20
                filled = round(width * done / total)
                head.append(f"   {done} of {total} done  ")
                head.append("█" * filled, style="green")
                head.append("░" * (width - filled), style="dim")
                if counts.snoozed or counts.skipped:
                    head.append(f"  {counts.snoozed} snoozed · {counts.skipped} skipped", style="dim")
                if self.view == "walk" and self.current is not None:
                    head.append(f"   action {self.pos + 1} of {total}", style="dim")
            else:
                head.append("   nothing due today", style="dim")
        if self.state is None:  # the kept derived state's queue is on screen (tui.app preview)
            head.append("   reading the book: details in a moment…", style="dim italic")
        head.append_text(progress.outbox_line(self.dun))
        from .receipts import sync_line  # "Sync first": Xero or the bank behind, receipts unmatched (b)

        if sync := sync_line(self.state):
            head.append(f"\n{sync}  (b: bank receipts)", style="bold yellow")
        self.query_one("#today-head", Static).update(head)

    @property
    def current(self) -> Any | None:
        if 0 <= self.pos < len(self.queue):
            return self.queue[self.pos]
        return None

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
        self.pos = (self.pos + delta) % len(self.queue)
        if self.view == "walk":
            self._show_action()
        else:
            self.query_one("#queue", VirtualTable).move_to(self.pos)
        self._refresh_head()

    def action_edit(self) -> None:
        """Edit the draft: the label says so, and the cursor starts at the body (after the
        "Subject:" line and the blank line), where a change is usually made."""
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

    def _stop_editing(self) -> None:
        draft = self.query_one("#draft", TextArea)
        if draft.has_class("editing"):
            draft.remove_class("editing")
            a = self.current
            if a is not None:
                self.query_one("#draft-label", Label).update(self._draft_label(a))

    def action_receipts(self) -> None:
        from .receipts import ReceiptsScreen

        self.app.push_screen(ReceiptsScreen())

    def action_summary(self) -> None:
        self._switch("summary")

    def action_open_client(self) -> None:
        cid = self.current_client_id()
        if cid:
            from .client_detail import ClientDetailScreen

            self.app.push_screen(ClientDetailScreen(cid))

    def _draft(self, i: int) -> str:
        if i in self.drafts:
            return self.drafts[i]
        a = self.queue[i]
        state = self.state
        if state is None:  # not kept: the real draft comes once the book is read
            return "(The draft shows here as soon as the book is read.)"
        fn = engine.get("draft")
        text = ""
        if state.policy is not None:
            try:
                d = fn(a, state.book, state.policy, self.on, ledger=state.ledger_for(a.client))
                text = f"Subject: {d.subject}\n\n{d.text}" if d.subject else d.text
                text = safe(text, lines=True)  # a client's name cannot smuggle terminal codes
            except DunError as e:
                text = f"(No draft: {e})"
            except Exception as e:
                text = f"(No draft: {type(e).__name__}: {e})"
        self.drafts[i] = text
        return text

    def _show_action(self) -> None:
        a = self.current
        card = self.query_one("#action-card", Static)
        draft = self.query_one("#draft", TextArea)
        label = self.query_one("#draft-label", Label)
        if a is None:
            card.update("")
            return
        t = Text()
        status = self.done.get(self.pos)
        t.append(f"{self.pos + 1}/{len(self.queue)}  ", style="dim")
        t.append(action_title(a), style="bold")
        t.append(f"  · {a.channel}", style="dim")
        if status:
            t.append(f"  ✓ {status}", style="bold green")
        t.append("\n")
        t.append(getattr(a, "client_name", "") or a.client, style="bold")
        t.append(f"  {a.client}\n", style="dim")
        t.append(f"{money(a.amount, a.currency)}", style="bold")
        if a.invoices:
            nums = ", ".join(a.invoices[:5]) + (f" +{len(a.invoices) - 5}" if len(a.invoices) > 5 else "")
            t.append(f" on {nums}")
        if getattr(a, "reason", ""):
            t.append(f"\n{a.reason}", style="italic")
        if getattr(a, "escalate", None):
            t.append(f"\nDoing this hands the invoices over to {a.escalate}.", style="bold magenta")
        if getattr(a, "credit_hold", False):
            t.append("\nDoing this puts the client on hold.", style="bold red")
        card.update(clean(t))
        text = self._draft(self.pos)
        with draft.prevent(TextArea.Changed):
            draft.load_text(text)
        draft.read_only = self.state is None  # editable once the real draft is there
        draft.remove_class("editing")
        label.update(self._draft_label(a))
        self._refresh_context()

    @staticmethod
    def _draft_label(a: Any) -> str:
        if a.kind == "dispute":  # an internal review: nothing goes to the client
            return "Your review notes, not sent — e edits; s logs the review"
        if a.channel == "email":
            return "E-mail to send, statement attached — e edits; s sends it"
        if a.channel == "letter":
            return "Letter — e edits; s makes the PDF to print and logs it"
        if a.channel in DRAFTED:
            return f"Message to send ({a.channel}) — e edits; s logs it as sent"
        if a.channel == "phone":
            return "Call script (not logged) — c logs the call"
        return "Notes (not logged) — s marks it done"

    @on(TextArea.Changed, "#draft")
    def _draft_changed(self, event: TextArea.Changed) -> None:
        if self.current is not None:
            self.drafts[self.pos] = event.text_area.text

    # -- outcomes --------------------------------------------------------------------
    def _ready(self) -> Any | None:
        a = self.current
        if a is None or not self._have_queue:
            return None
        if self.state is None:
            self.notify("Still reading the book; outcomes can be logged in a moment.", timeout=3)
            return None
        if not self.dun.check_writable():
            return None
        return a

    def _advance(self, label: str) -> None:
        self.done[self.pos] = label
        self.query_one("#queue", VirtualTable).refresh_rows()
        nxt = None
        n = len(self.queue)
        for k in range(1, n + 1):
            j = (self.pos + k) % n
            if j not in self.done:
                nxt = j
                break
        if nxt is None:
            self._refresh_head()
            self._switch("summary")
            return
        self.pos = nxt
        if self.view == "walk":
            self._show_action()
        else:
            self.query_one("#queue", VirtualTable).move_to(nxt)
        self._refresh_head()

    def action_sent(self) -> None:
        """Approve the action: an e-mail or a letter goes to the sender (it writes the message to
        the outbox and sends it, in the background: the keys come back at once); anything
        else is logged as done here."""
        a = self._ready()
        if a is None:
            return
        if self._sendable(a):
            job = self._job(self.pos)
            if job is None:
                return
            self.jobs[job.id] = self.pos
            self.marked.discard(self.pos)
            self.dun.sender.submit([job])
            self._advance("making the letter…" if a.channel == "letter" else "sending…")
            return
        body = self.drafts.get(self.pos, "") if a.channel in DRAFTED else ""
        if a.channel in DRAFTED and self.pos not in self.drafts:
            body = self._draft(self.pos)
        if body.startswith("("):
            body = ""
        if write(self.app, actions.log_done, a, self.on, body) is not None:
            self._advance("sent" if a.channel in DRAFTED else "done")

    @staticmethod
    def _sendable(a: Any) -> bool:
        """An action whose approval makes a message for the client (not an internal review)."""
        return a.channel in ("email", "letter") and a.kind != "dispute"

    def _job(self, i: int) -> Any | None:
        """The sender's job for queue position ``i``: the draft as it stands (edited or not)."""
        from publish.outbox import split_draft

        from ..sending import Job

        text = self.drafts.get(i) if i in self.drafts else self._draft(i)
        if text.startswith("("):  # no draft could be made: say why rather than send nothing
            self.notify(safe(f"Nothing to send: {text.strip('()')}"), severity="error", markup=False)
            return None
        subject, body = split_draft(text)
        if not subject:
            self.notify("The draft needs its first line 'Subject: …' (e edits it).", severity="error", timeout=6)
            return None
        return Job(self.queue[i], self.on, subject, body)

    def _send_changed(self, event: Any) -> None:
        """The sender moved a job on: the action's mark says how it went."""
        pos = self.jobs.get(event.job.id)
        if pos is None:
            self._refresh_head()
            return
        label = {"sending": "sending…", "sent": "sent", "queued": "queued", "letter": "letter to print"}.get(
            event.status)
        if event.status == "failed":  # nothing was made or logged: the action is still to do
            self.done.pop(pos, None)
            self.jobs.pop(event.job.id, None)
        elif label and pos in self.done:
            self.done[pos] = label
        if event.status in ("sent", "queued", "letter"):
            self.jobs.pop(event.job.id, None)
        self.query_one("#queue", VirtualTable).refresh_rows()
        if self.view == "walk" and pos == self.pos:
            self._show_action()
        self._refresh_head()

    def action_mark(self) -> None:
        """Select (or unselect) the highlighted e-mail action for a bulk send."""
        a = self.current
        if a is None or self.view != "queue":
            return
        if not self._sendable(a) or a.channel != "email":
            self.notify("Only e-mail actions are sent in bulk.", timeout=3)
            return
        if self.pos in self.done:
            return
        self.marked ^= {self.pos}
        self.query_one("#queue", VirtualTable).refresh_rows()
        self.action_step(1)

    def action_bulk(self) -> None:
        """Send the selected e-mail actions (or all of today's not yet done) after a preview."""
        if self._ready() is None:
            return
        picked = sorted(self.marked) or [i for i, a in enumerate(self.queue)
                                          if a.channel == "email" and self._sendable(a) and i not in self.done]
        picked = [i for i in picked if i not in self.done]
        if not picked:
            self.notify("No e-mail actions left to send today.", timeout=4)
            return
        jobs = []
        for i in picked:
            job = self._job(i)
            if job is None:
                return
            jobs.append((i, job))
        from ..dialogs.bulk_send import BulkSendDialog

        def confirmed() -> None:  # before the dialog hands the jobs to the sender
            for i, job in jobs:
                job.quiet = True  # the dialog reports each one
                self.jobs[job.id] = i
                self.done[i] = "sending…"
            self.marked.clear()
            self.query_one("#queue", VirtualTable).refresh_rows()
            self._refresh_head()

        self.app.push_screen(BulkSendDialog([job for _, job in jobs], confirmed))

    def action_called(self) -> None:
        a = self._ready()
        if a is None:
            return
        from ..dialogs.call_outcome import CallOutcomeDialog

        pos = self.pos

        def after(result: Any) -> None:
            if result is None:
                return
            if a.channel != "phone":  # the call is on the client's record; the step is still to do
                self.notify(f"Call logged. The {a.channel} of this step is still to do.", timeout=5)
                self._refresh_head()
            elif self.pos == pos:
                self._advance(f"called: {actions.CALL_OUTCOME_LABELS.get(result.outcome, result.outcome).lower()}")

        self.app.push_screen(CallOutcomeDialog(a, self.on), after)

    def _dialog(self, dialog: Any, label: str) -> None:
        pos = self.pos

        def after(result: Any) -> None:
            if result is not None and self.pos == pos:
                self._advance(label)

        self.app.push_screen(dialog, after)

    def action_promise(self) -> None:
        a = self._ready()
        if a is None:
            return
        from ..dialogs.promise import PromiseDialog

        amount = a.amount
        if not amount:
            row = self.state.client_row(a.client)
            amount = row.overdue if row is not None and row.currency == a.currency and row.overdue > 0 else None
        self._dialog(PromiseDialog(a, a.currency, amount, self.on), "promised")

    def action_dispute(self) -> None:
        a = self._ready()
        if a is None:
            return
        from ..dialogs.dispute import DisputeDialog

        open_ = [s.invoice.number for s in self.state.ledger_for(a.client).open_invoices(a.client) if not s.disputed]
        choices = list(a.invoices) + [n for n in open_ if n not in a.invoices]
        self._dialog(DisputeDialog(a.client, choices, self.on, action=a), "disputed")

    def action_paid(self) -> None:
        a = self._ready()
        if a is None:
            return
        from ..dialogs.payment import PaymentDialog

        pos = self.pos

        def after(result: Any) -> None:
            if result is None:
                return
            logged = [r for r in result if getattr(r, "outcome", "") == "paid"]
            if logged and self.pos == pos:
                self._advance("paid")
            elif not logged:  # another client's payment: this action stays to do
                payer = result[0].client if result else "?"
                self.notify(safe(f"Payment recorded for {payer}; this action for {a.client} is still to do."),
                            markup=False, timeout=6)

        self.app.push_screen(PaymentDialog(a.client, action=a), after)

    def action_snooze(self) -> None:
        a = self._ready()
        if a is None:
            return
        from ..dialogs.snooze import SnoozeDialog

        self._dialog(SnoozeDialog(a, self.on), "snoozed")

    def action_claim(self) -> None:  # post interest and compensation owed (tui/dialogs/claim.py)
        if (a := self._ready()) is not None:
            from ..dialogs.claim import ClaimDialog

            self.app.push_screen(ClaimDialog(a.client, self.on, a.client_name))

    def action_skip(self) -> None:
        a = self._ready()
        if a is None:
            return
        if write(self.app, actions.log_skip, a, self.on) is not None:
            self._advance("skipped")

    # -- summary ---------------------------------------------------------------------
    def _show_summary(self) -> None:
        state = self.state
        if state is None:
            return
        on = self.on
        acts = [x for x in state.book.activities if x.date == on]
        pays = [p for p in state.book.payments if p.date == on]
        proms = [p for p in state.book.promises if p.made == on]
        t = Text()
        t.append(f"Done today · {long_day(on)}\n\n", style="bold")
        if self.queue:
            left = len(self.queue) - len(self.done)
            t.append(f"{len(self.done)} of {len(self.queue)} actions handled in this session")
            t.append(f" · {left} left\n" if left else " · the queue is clear\n", style="dim" if left else "green")
        counts = Counter(x.outcome or "note" for x in acts)
        if counts:
            t.append("Activities logged: " + ", ".join(f"{k} {v}" for k, v in counts.most_common()) + "\n")
        if pays:
            by: dict[str, Any] = {}
            for p in pays:
                by[p.currency] = by.get(p.currency, 0) + p.amount
            t.append("Payments recorded: " + ", ".join(money(v, k) for k, v in by.items()) + f" ({len(pays)})\n")
        if proms:
            by = {}
            for p in proms:
                by[p.currency] = by.get(p.currency, 0) + p.amount
            t.append("Promised: " + ", ".join(money(v, k) for k, v in by.items()) + f" ({len(proms)})\n")
        if not acts and not pays:
            t.append("Nothing logged yet today.\n", style="dim")
        t.append_text(self._outbox_summary())
        table = Table(box=None, padding=(0, 1), header_style="dim", expand=True)
        table.add_column("Client", ratio=2, no_wrap=True)
        table.add_column("Step", ratio=1, no_wrap=True)
        table.add_column("Channel", no_wrap=True)
        table.add_column("Outcome", ratio=1, no_wrap=True)
        names = state.book.clients
        for x in acts[-200:]:
            c = names.get(x.client)
            table.add_row(Text(c.name if c else x.client), Text(step_label(x.step, state.policy)), x.channel,
                          Text((x.outcome or "").replace("_", " ")))
        from rich.console import Group

        hint = Text("\nescape: back to the queue · 2: clients · 3: invoices", style="dim")
        self.query_one("#summary", Static).update(clean(Group(t, table, hint) if acts else Group(t, hint)))

    def _outbox_summary(self) -> Text:
        """Letters made today to print, and the e-mails still waiting in the outbox."""
        from publish.outbox import letters_to_print, queued_files

        t = Text()
        outbox = getattr(getattr(self.dun.repo, "paths", None), "outbox", None)
        if outbox is None:
            return t
        letters = letters_to_print(outbox, self.on)
        if letters:
            t.append(f"Letters to print and post ({len(letters)}):\n", style="bold")
            for p in letters[:20]:
                t.append(f"  {p}\n")
        queued = queued_files(outbox)
        if queued:
            t.append(f"E-mails waiting in the outbox: {len(queued)} — 'dun mail --send' sends them\n",
                     style="yellow")
        return t

    def commands(self):
        return [
            ("Today: walk through the actions", "One action at a time with the client beside it (enter)", self.action_walk),
            ("Today: back to the queue", "The list of today's actions (escape)", self.action_list),
            ("Outcome: sent / done", "Log the current action as done (s)", self.action_sent),
            ("Outcome: called…", "Log a call: reached, no answer, voicemail, wrong number (c)", self.action_called),
            ("Outcome: promise to pay…", "Amount and date (p)", self.action_promise),
            ("Outcome: dispute…", "Invoice and reason (d)", self.action_dispute),
            ("Outcome: payment received…", "Open the payment form ($)", self.action_paid),
            ("Outcome: snooze…", "Hide the action until a date (z)", self.action_snooze),
            ("Outcome: skip", "Skip it for today (x)", self.action_skip),
            ("Today: send e-mails in bulk…", "The selected e-mail actions, or all of today's, after a preview (S)",
             self.action_bulk),
            ("Today: edit the drafted message", "Change the text before logging it (e)", self.action_edit),
            ("Today: summary of the day", "What was done today (u)", self.action_summary),
            ("Today: open the client", "The client's detail screen (i)", self.action_open_client),
        ]
