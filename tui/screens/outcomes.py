"""Today's outcome keys: one key records what was done with the current action and moves on.

``s`` approves it (an e-mail or a letter goes to the sender, anything else is logged as
done), ``c`` logs a call, ``p`` a promise, ``d`` a dispute, ``$`` a payment, ``z`` a snooze,
``x`` a skip; ``space`` and ``S`` send e-mails in bulk; ``C`` claims interest. Every write
goes through :mod:`tui.actions` (one store commit each) and the app derives the state again.
"""
from __future__ import annotations

from typing import Any

from receivables.daylog import action_key

from .. import actions
from ..fmt import safe
from ..widgets.queue import DRAFTED
from ..widgets.vtable import VirtualTable
from .base import offer_credit, write

# the session's marks of an action carried out (s), and how the note on a second s says it
CARRIED_OUT = {"sending…": "is being sent", "making the letter…": "is being made", "sent": "was sent",
               "queued": "is queued in the outbox", "letter to print": "was made as a letter to print",
               "done": "was logged done"}


class OutcomeKeys:
    """The outcome actions of :class:`~tui.screens.today.TodayScreen` (a mixin: it works on the
    screen's queue, position, session marks and drafts)."""

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
        if a.kind == "credit":  # (done by putting the credit on the invoices, recorded as paid)
            pos = self.pos
            offer_credit(self, a.client, a, lambda: self._advance("paid") if self.pos == pos else None)
            return
        handled = self.done.get(self.pos)
        if handled in CARRIED_OUT:  # (the sender would refuse a second copy, as a failure)
            self.notify(safe(f"{a.title} for {a.client_name or a.client} {CARRIED_OUT[handled]} already: "
                             "nothing is sent or logged twice."), markup=False, timeout=4)
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
        noted = a.channel in DRAFTED or a.kind == "dispute"  # (a dispute review keeps the owner's notes)
        body = self.drafts.get(self.pos, "") if noted else ""
        if noted and self.pos not in self.drafts:
            body = self._draft(self.pos)
        if body.startswith("("):
            body = ""
        if write(self.app, actions.log_done, a, self.on, body) is not None:
            self._advance("sent" if a.channel in DRAFTED else "done")

    @staticmethod
    def _sendable(a: Any) -> bool:
        """An action whose approval makes a message for the client (not an internal review)."""
        return a.channel in ("email", "letter")

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
                self.notify(safe(f"Call logged on the client's record; {a.title} is still to do."),
                            markup=False, timeout=5)
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

        # an invoice has one open dispute at a time: on an action whose invoices are all
        # disputed already (a review of the dispute), d resolves it
        disputes = [d for d in self.state.book.disputes if d.client == a.client and d.resolved is None]
        disputed = {d.invoice: d for d in disputes}
        if a.invoices and all(n in disputed for n in a.invoices):
            from ..dialogs.resolve import ResolveDialog

            reviewed = next((d for d in disputes if d.id == a.ref), disputed[a.invoices[0]])
            self._dialog(ResolveDialog(reviewed, action=a), "resolved")
            return
        open_ = [s.invoice.number for s in self.state.ledger_for(a.client).open_invoices(a.client)
                 if not s.disputed and s.invoice.number not in disputed]
        choices = [n for n in a.invoices if n not in disputed] + [n for n in open_ if n not in a.invoices]
        self._dialog(DisputeDialog(a.client, choices, self.on, action=a), "disputed")

    def action_paid(self) -> None:
        a = self._ready()
        if a is None:
            return
        from ..dialogs.payment import PaymentDialog

        pos = self.pos
        owed = {s.invoice.number: s.outstanding for s in self.state.ledger_for(a.client).open_invoices(a.client)
                if s.invoice.number in a.invoices}  # (before the payment)

        def after(result: Any) -> None:
            if result is None:
                return
            logged = [r for r in result if getattr(r, "outcome", "") == "paid"]
            if logged and self.pos == pos:
                self._advance("paid")
            elif not logged:  # another client's payment, or a part payment: this action stays to do
                payer = result[0].client if result else "?"
                if payer != a.client:
                    said = f"Payment recorded for {payer}; this action for {a.client} is still to do."
                else:  # (only the invoices still owing: it named one the payment had just paid)
                    paid: dict[str, Any] = {}
                    for al in getattr(result[0], "allocations", ()):
                        paid[al.invoice] = paid.get(al.invoice, 0) + al.amount
                    left = [n for n in a.invoices if n in owed and paid.get(n, 0) < owed[n]] or list(a.invoices)
                    said = (f"A part payment: {a.title} stays to do on what {', '.join(left)} still "
                            f"owe{'s' if len(left) == 1 else ''}.")
                self.notify(safe(said), markup=False, timeout=6)

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

    def action_undo(self) -> None:
        """Take back today's outcome of the action (a key pressed by mistake), once confirmed:
        it is to do again (tui.actions.undo_outcome says what cannot be taken back here)."""
        a = self._ready()
        if a is None:
            return
        pos = self.pos
        handled = self.done.get(pos)
        if handled is None:
            self.notify("Nothing was logged today for this action.", timeout=4)
            return
        if handled in ("sending…", "making the letter…"):
            self.notify("It is being sent or made: wait for it, then U.", timeout=4)
            return
        from ..dialogs.base import ConfirmDialog

        who = a.client_name or a.client

        def answer(yes: bool | None) -> None:
            if not yes:
                return
            if write(self.app, actions.undo_outcome, a, self.on, self.app.repo.paths.outbox,
                     success=f"Taken back: {a.title} for {who} is to do again.") is not None:
                self.done.pop(pos, None)
                self._confirmed.discard(action_key(a))
                self.query_one("#queue", VirtualTable).refresh_rows()
                self._refresh_head()

        self.app.push_screen(ConfirmDialog(f"Take back \"{handled}\" on {a.title} for {who}? It is to do again.",
                                           "Take back"), answer)
