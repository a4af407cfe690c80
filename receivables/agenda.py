"""The day's agenda: what the owner must do on a date, most urgent first.

Pure functions of (book, policy, date). The rules, as the README states them:

**Ladder.** An invoice is on the ladder on day D while it is open with at least
``[ladder] tolerance`` outstanding and it is not disputed, not covered by an active payment
plan, not covered by a live promise (or a broken promise not yet followed up) and not
handed over. The *step date* of step s for invoice i is the later of due(i) +
s.after_due_days and (the last ladder activity on i) + ``min_gap_days``, moved forward to
the next business day (:mod:`receivables.calendar`). The *due step* is found among the
steps after the last step done for i, in ladder order: the latest whose step date is on or
before D, except that an undone ``required`` step is never jumped (walking stops there). A
step whose ``min_overdue`` exceeds the client's overdue total in that currency is passed
over. The client's overdue invoices are one action per currency: at the furthest of their
due steps (in ladder order), covering them and its other overdue invoices on the ladder
not past that step; done, each of them is past that step. After such an action the client
gets no milder one for ``min_gap_days``; a broken promise's or a missed installment's call
(due, not snoozed, or made) holds the ladder's action as the furthest would. A step for
before the due date is never due on an overdue invoice, and one due only on invoices not
yet overdue waits for a day the client has, and had, no such action (snoozed or skipped
included); an ``escalate`` step is an action of its own with its own invoices (see
``receivables.engine.ladder._one_contact``).

**Credit first.** Where the client's unallocated credit in a currency covers what the
invoices of that currency's ladder actions of the day owe, they give way to one ``credit``
action ("Apply credit", key ``credit:CUR``), done by putting the credit on the invoices;
credit covering part leaves them, their reason saying how much it covers (see
``receivables.engine.ladder._credit_first``).

**Done.** A step is done for an invoice when an activity naming the step covers it.
Activities whose outcome is ``snoozed`` or ``skipped`` do not do anything; an activity
named by a later activity's ``corrects`` no longer counts. A step activity with no
invoices covers every invoice of the client open on its date. Actions that are not ladder
steps are done by an activity whose ``step`` is the action's :attr:`Action.key`
(:func:`activity_for` builds it), or by any activity without a step, dated on or after the
action's ``since``, that covers one of its invoices (or names none).

**Snooze / skip.** An activity with outcome ``snoozed`` and ``snooze_until`` hides the
client's actions (only those of its ``step``/key if it names one) until that date; one
with outcome ``skipped`` hides them on its own date.

**Hold and hand-over.** A done ``credit_hold`` step puts the client on hold while any
invoice it covered is open, until an activity with outcome ``hold_lifted`` is logged after
it; the client's own hold flag also holds. A done ``escalate`` step hands the invoices it
covered to the agency or legal: they leave the ladder and stay listed as handed over.

**Promises.** A promise covers its invoices (none named: the client's invoices in its
currency open on the day it was made); a later promise on any of the same invoices
replaces it. It is kept once what the client paid toward it reaches its amount, by ``by`` +
``promise_grace_days``: its payments in that currency dated from the day it was made, each by
the part put on the promise's invoices and the part left as client credit (money put on
another invoice is not toward this one).
Until then (or until kept) its invoices are off the ladder; if not kept, a ``promise``
action is due the day after, and once it is done the invoices return to the ladder.

**Plans.** A plan's installments are met in order by the client's payments in the plan's
currency dated from the day it was created, counted as for a promise (the parts put on the
plan's invoices or left as credit). The first unmet installment gets an
``installment`` reminder from :data:`INSTALLMENT_REMINDER_DAYS` days before its date and an
``installment`` (missed) action from the day after; once an installment is unmet
``plan_grace_days`` after its date the plan is broken and its invoices return to the
ladder. A cancelled or fully paid plan covers nothing.

**Disputes.** An open dispute with no activity on its invoice for ``dispute_review_days``
(counted from the later of the day it was opened and the last activity) becomes a
``dispute`` action.

**Credit.** A client whose balance in its own currency exceeds its credit limit is
flagged. A credit check older than ``credit_review_days`` becomes a ``credit_review``
action (done by renewing the check or by an activity whose ``step`` is ``credit_review``).

**Order.** Escalation steps and broken promises first; then by the overdue amount the
action covers weighted by the client's risk score (amount x (100 + risk) / 100); then by
days overdue. Amounts of different currencies are compared as plain numbers.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Iterable

from .engine.book import derivation
from .engine.records import (  # noqa: F401  (the agenda's records, importable from here)
    HOLD_LIFTED, INSTALLMENT_REMINDER_DAYS, KINDS, NOT_DONE, Action, Behaviour, ClientStatus, PlanStatus,
    PromiseStatus, Risk, quiet_gc,
)
from .ledger import BookIndex, Ledger
from .model import Activity, Book
from .policy import Policy

ZERO = Decimal(0)


def build_agenda(book_or_index: Book | BookIndex | Ledger, policy: Policy, on: date) -> list[Action]:
    """Every action due on ``on``, most urgent first."""
    return list(derivation(book_or_index, policy, on).day().agenda)


def client_actions(book_or_index: Book | BookIndex | Ledger, policy: Policy, client_id: str, on: date) -> list[Action]:
    """The actions due for one client on ``on``, most urgent first."""
    return list(derivation(book_or_index, policy, on).client(client_id).actions)


def invoices_for_step(book_or_index: Book | BookIndex | Ledger, policy: Policy, client_id: str,
                      step_id: str, on: date) -> tuple[str, ...]:
    """The invoices the client's action for ``step_id`` covers on ``on`` (empty if none is due):
    what ``dun note CLIENT --step S`` without ``--invoice`` marks as done."""
    out: list[str] = []
    for a in client_actions(book_or_index, policy, client_id, on):
        if a.kind == "step" and a.step == step_id:
            out.extend(a.invoices)
    return tuple(out)


def open_ledger(book_or_index: Book | BookIndex | Ledger, policy: Policy, on: date) -> Ledger:
    """A :class:`~receivables.ledger.Ledger` as of ``on`` holding only the invoices open on
    that date (what every action covers): positions, open invoices and credits are exact,
    without deriving the whole paid history."""
    d = derivation(book_or_index, policy, on)
    states = {st.number: st for day in d.day().clients.values() for st in day.open}
    return Ledger(d.index(), on, states)


def client_status(book_or_index: Book | BookIndex | Ledger, policy: Policy, client_id: str, on: date) -> ClientStatus:
    return derivation(book_or_index, policy, on).client(client_id).status


def client_behaviour(book_or_index: Book | BookIndex | Ledger, policy: Policy, client_id: str, on: date) -> Behaviour:
    return derivation(book_or_index, policy, on).client(client_id).behaviour


def client_risk(book_or_index: Book | BookIndex | Ledger, policy: Policy, client_id: str, on: date) -> Risk:
    return derivation(book_or_index, policy, on).client(client_id).risk


def activity_for(action: Action, on: date, *, channel: str | None = None, body: str = "",
                 outcome: str = "done", invoices: Iterable[str] | None = None, direction: str = "out") -> Activity:
    """The activity that records ``action`` as done on ``on`` (id left "" for the store)."""
    return Activity(
        id="", date=on, client=action.client, channel=channel or action.channel, direction=direction,
        step=action.step if action.kind == "step" else action.key,
        invoices=tuple(invoices) if invoices is not None else action.invoices,
        outcome=outcome, body=body,
    )


# ---------------------------------------------------------------------------------------
# message context


def message_context(action: Action, ledger: Ledger | Book | BookIndex, policy: Policy, on: date) -> dict:
    """What a message template needs about ``action`` (Decimal and date values; publishing
    formats them): :func:`receivables.engine.context.action_context`, as the client's day
    keeps it (worked out for an action that is not one of the day's)."""
    from .engine.context import action_context

    got = derivation(ledger, policy, on)
    kept = got.client(action.client).context_of(action)
    return kept if kept is not None else action_context(got.state(action.client), action, policy, on)
