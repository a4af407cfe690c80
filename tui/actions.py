"""Every write the app makes: plain functions of (repo, inputs), one store commit each.

They build the records and hand them to the store, which validates and commits them
atomically (or raises :class:`DunError` and changes nothing). No widget writes directly.
"""
from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal
from typing import Any, Iterable, Mapping, Sequence

from receivables.allocate import settles
from receivables.errors import DunError
from receivables.model import (
    CHANNELS,
    Activity,
    Adjustment,
    Allocation,
    Client,
    Dispute,
    Invoice,
    Payment,
    PaymentPlan,
    PromiseToPay,
)
from receivables.plans import draft_plan
from receivables.voiding import PAID, correction, paid_note

CALL_OUTCOME_LABELS = {
    "reached": "Reached",
    "no_answer": "No answer",
    "voicemail": "Left a voicemail",
    "wrong_number": "Wrong number",
}


def _writable(repo: Any) -> None:
    if getattr(repo, "read_only", False):
        raise DunError(
            "the book is open read-only",
            "",
            "another dun is writing to it; close that one and reopen the app to make changes",
        )


def _commit_many(repo: Any, records: Sequence[Any]) -> list[Any]:
    """Several new records in one all-or-nothing commit (falls back to one by one)."""
    commit = getattr(repo, "commit", None)
    if commit is not None:
        return list(commit(list(records)))
    out = []
    for r in records:
        out.append(_add_one(repo, r))
    return out


def _add_one(repo: Any, record: Any) -> Any:
    if isinstance(record, Activity):
        return repo.log_activity(record)
    if isinstance(record, PromiseToPay):
        return repo.add_promise(record)
    if isinstance(record, Dispute):
        return repo.open_dispute(record)
    if isinstance(record, Payment):
        return repo.record_payment(record)
    if isinstance(record, PaymentPlan):
        return repo.add_plan(record)
    if isinstance(record, Adjustment):
        return repo.add_adjustment(record)
    raise TypeError(type(record).__name__)


def _activity_for(action: Any, on: date, *, outcome: str, body: str = "", channel: str | None = None,
                  snooze_until: date | None = None, direction: str = "out") -> Activity:
    return Activity(
        id="",
        date=on,
        client=action.client,
        channel=channel or action.channel or "other",
        direction=direction,
        # a ladder step is done by an activity naming the step; other actions by their key
        step=action.step if getattr(action, "kind", "step") == "step" else (getattr(action, "key", "") or action.step),
        invoices=tuple(getattr(action, "invoices", ()) or ()),
        outcome=outcome,
        body=body,
        snooze_until=snooze_until,
    )


# -- outcomes of an agenda action ---------------------------------------------------------

def log_done(repo: Any, action: Any, on: date, body: str = "", channel: str | None = None) -> Activity:
    """The step was carried out (letter made, text sent, review done). ``channel``: the one it
    really went by, when not the action's (a letter for a client without an e-mail address)."""
    _writable(repo)
    outcome = "sent" if (channel or action.channel) in ("email", "letter", "sms") else "done"
    return repo.log_activity(_activity_for(action, on, outcome=outcome, body=body, channel=channel))


def log_call(repo: Any, action: Any, on: date, outcome: str, body: str = "") -> Activity:
    _writable(repo)
    if outcome not in CALL_OUTCOME_LABELS:
        raise DunError(f"unknown call outcome {outcome!r}", "call", "reached, no_answer, voicemail or wrong_number")
    act = _activity_for(action, on, outcome=outcome, body=body, channel="phone")
    if action.channel != "phone":  # a call made while an e-mail or letter is due does not do that step
        act = replace(act, step=None)
    return repo.log_activity(act)


def log_snooze(repo: Any, action: Any, on: date, until: date, body: str = "") -> Activity:
    _writable(repo)
    if until <= on:
        raise DunError("snooze until a later day", "until", f"pick a date after {on.isoformat()}")
    return repo.log_activity(_activity_for(action, on, outcome="snoozed", body=body, snooze_until=until))


def log_skip(repo: Any, action: Any, on: date, body: str = "") -> Activity:
    _writable(repo)
    return repo.log_activity(_activity_for(action, on, outcome="skipped", body=body))


# what an outcome taken back says, and what cannot be taken back here (and how to, elsewhere)
_UNDO_ELSEWHERE = {  # outcome -> (what, how)
    "paid": ("a payment did it", "void the payment (v on the client's Payments · credits tab): the action is to "
                                 "do again"),
    "promised": ("a promise did it", "void the promise (v on the client's Promises tab)"),
    "disputed": ("a dispute did it", "resolve the dispute (d on its invoice)"),
    "resolved": ("it resolved a dispute, which stays resolved", "open a new one if that was a mistake"),
}


def undo_outcome(repo: Any, action: Any, on: date, outbox: Any = None) -> list[Activity]:
    """Take back what was logged ``on`` for ``action`` (a key pressed by mistake: a letter
    made, a call outcome, a skip, a snooze, an e-mail still waiting in the outbox): each
    activity is corrected (a correction names it: it counts nowhere), so the action is to do
    again, and a credit hold the step put on is lifted with it. A queued e-mail or a letter
    made moves to ``outbox/stale/`` (not sent, not to print). Refused, saying how, for what
    cannot be unsaid here: an e-mail the server accepted, a payment, a promise or a dispute
    (voided or resolved where they are), a step that posted a fee."""
    from receivables.daylog import NOT_AN_OUTCOME, action_key, taken_back

    _writable(repo)
    client, key = action_key(action)
    book = repo.client_book(client)
    corrected = taken_back(book.activities)
    acts = [a for a in book.activities if a.date == on and a.client == client and a.step == key
            and a.outcome not in NOT_AN_OUTCOME and a.id not in corrected]
    if not acts:
        raise DunError("nothing was logged today for this action", key, "only today's outcomes can be taken back")
    for a in acts:
        if a.outcome in _UNDO_ELSEWHERE:
            what, how = _UNDO_ELSEWHERE[a.outcome]
            raise DunError(what, key, how)
        if a.outcome == "sent" and a.channel == "email":
            raise DunError("the e-mail went to the client: it cannot be taken back", key,
                           "log a note (n) if it went by mistake")
    fees = [i.number for i in book.invoices.values() if i.kind == "charge" and i.issued == on
            and any(c.kind == "fee" and c.step == key for c in i.charges)]
    if fees:
        raise DunError(f"the step posted the fee {fees[0]} with it", key, "take it back by hand (a credit note on it)")
    undo = [correction(a, on, f"undo:{a.id}",
                       f"Taken back: {a.outcome} ({a.channel}) logged by mistake; the action is to do again.")
            for a in acts]
    saved = _commit_many(repo, undo)
    if outbox is not None:  # (what was made for it: not to send, not to print)
        from pathlib import Path

        from publish.mail import _file_stem, set_aside

        stem = _file_stem(on, client, key)
        for made in (Path(outbox) / f"{stem}.eml", Path(outbox) / f"{stem}.pdf"):
            if made.is_file() and not made.is_symlink():
                set_aside(made, "stale")
    return saved


def log_promise(repo: Any, action: Any, on: date, amount: Decimal, currency: str, by: date,
                invoices: Iterable[str] | None = None, body: str = "", channel: str = "phone") -> list[Any]:
    """A promise to pay, and the activity that records it, in one commit. The activity is
    the client's word coming in, over the channel it came by (not the action's)."""
    _writable(repo)
    if by < on:
        raise DunError("a promise is for today or later", "by", f"pick a date from {on.isoformat()}")
    invs = tuple(invoices if invoices is not None else (getattr(action, "invoices", ()) or ()))
    promise = PromiseToPay(id="", client=action.client, made=on, amount=amount, currency=currency, by=by, invoices=invs)
    text = body or f"Promised {amount} {currency} by {by.isoformat()}."
    if channel not in CHANNELS:
        raise DunError(f"unknown channel {channel!r}", "channel", ", ".join(CHANNELS))
    act = _activity_for(action, on, outcome="promised", body=text, channel=channel, direction="in")
    return _commit_many(repo, [promise, act])


def log_dispute(repo: Any, action: Any, on: date, invoice: str, reason: str) -> list[Any]:
    _writable(repo)
    dispute = Dispute(id="", invoice=invoice, client=action.client, reason=reason, opened=on)
    act = _activity_for(action, on, outcome="disputed", body=f"Dispute on {invoice}: {reason}")
    return _commit_many(repo, [dispute, act])


def log_resolution(repo: Any, action: Any, on: date, dispute: Dispute, resolution: str = "",
                   credit_note: Decimal | None = None) -> Activity:
    """The open dispute an action reviews, resolved (with the credit note it was settled by,
    if any), and the activity that says so, in one commit (the action counts as handled
    today, also after a restart)."""
    _writable(repo)
    if dispute.resolved is not None:
        raise DunError(f"was already resolved on {dispute.resolved}", f"dispute {dispute.id}")
    act = _activity_for(action, on, outcome="resolved",
                        body=f"Dispute on {dispute.invoice} resolved" + (f": {resolution}" if resolution else "."))
    repo.resolve_dispute(dispute.id, on, resolution, credit_note, also=[act])
    return act


def log_payment_outcome(repo: Any, action: Any, on: date, payment: Payment,
                        owed: Mapping[str, Decimal] | None = None) -> list[Any]:
    """Payment received while working an action: the payment and the activity together.
    The money came in through the bank, not over the action's channel. A payment from
    another client is that client's, so it marks none of this action's steps done; nor does
    a part payment (``owed``: what the action's invoices owed before it), after which the
    action stays to do on what is still owed (:func:`receivables.allocate.settles`), nor one
    while working an action on no invoice (a credit review: money in is not the review)."""
    _writable(repo)
    invoices = tuple(getattr(action, "invoices", ()) or ())
    if payment.client != action.client or not invoices or \
            (owed is not None and not settles(payment, owed, invoices)):
        return [repo.record_payment(payment)]
    act = _activity_for(action, on, outcome=PAID, channel="other", body=paid_note(payment), direction="in")
    return _commit_many(repo, [payment, act])


# -- records ------------------------------------------------------------------------------

def record_payment(repo: Any, client: str, on: date, amount: Decimal, currency: str,
                   allocations: Sequence[tuple[str, Decimal]], reference: str = "", method: str = "") -> Payment:
    _writable(repo)
    return repo.record_payment(make_payment(client, on, amount, currency, allocations, reference, method))


def make_payment(client: str, on: date, amount: Decimal, currency: str,
                 allocations: Sequence[tuple[str, Decimal]], reference: str = "", method: str = "") -> Payment:
    allocs = tuple(Allocation(n, a) for n, a in allocations if a)
    total = sum((a.amount for a in allocs), Decimal(0))
    if total > amount:
        raise DunError(f"the allocations ({total}) exceed the payment ({amount})", "allocation",
                       "lower an allocation or raise the amount")
    return Payment(id="", date=on, client=client, amount=amount, currency=currency,
                   method=method, reference=reference, allocations=allocs)


def add_note(repo: Any, client: str, on: date, body: str, channel: str = "other",
             invoices: Iterable[str] = (), direction: str = "out", internal: bool = True) -> Activity:
    _writable(repo)
    if not body.strip():
        raise DunError("the note is empty", "note", "write something first")
    return repo.log_activity(Activity(id="", date=on, client=client, channel=channel, direction=direction,
                                      invoices=tuple(invoices), outcome="note", body=body, internal=internal))


def open_dispute(repo: Any, invoice: Invoice, on: date, reason: str) -> Dispute:
    _writable(repo)
    if not reason.strip():
        raise DunError("say why the invoice is disputed", "reason")
    return repo.open_dispute(Dispute(id="", invoice=invoice.number, client=invoice.client, reason=reason, opened=on))


def resolve_dispute(repo: Any, dispute_id: str, on: date, resolution: str = "",
                    credit_note: Decimal | None = None) -> Any:
    _writable(repo)
    return repo.resolve_dispute(dispute_id, on, resolution, credit_note)


def void(repo: Any, record_id: str, on: date, reason: str) -> Any:
    """The payment, credit or promise voided (the store also unmatches a bank receipt a
    payment came from)."""
    _writable(repo)
    record, _ = repo.void(record_id, on, reason)
    return record


def write_off(repo: Any, invoice: Invoice, on: date, amount: Decimal, reason: str,
              kind: str = "write_off") -> Adjustment:
    """What the invoice still owes (or part of it) written off, or (``kind`` "credit_note")
    taken off by a credit note."""
    _writable(repo)
    return repo.add_adjustment(Adjustment(id="", kind=kind, date=on, client=invoice.client,
                                          amount=amount, currency=invoice.currency, invoice=invoice.number,
                                          reason=reason))


def credit_moves(ledger: Any, client: str, on: date) -> list[Adjustment]:
    """What putting the client's credit (each currency it has some in) on its open invoices
    would record, oldest due first (receivables.allocate.apply_credit). ``ledger``: one that
    is complete for the client on ``on`` (the app's ``state.ledger_for``: never the whole
    book worked out again on the screen's thread)."""
    from receivables.allocate import apply_credit as _apply

    return [m for cur in ledger.currencies(client) for m in _apply(ledger, client, cur, on)]


def apply_credit(repo: Any, client: str, on: date, action: Any = None) -> list[Any]:
    """The client's credit put on its open invoices; with ``action`` (the day's "Apply
    credit"), in the same commit, the activity that records it done, as a payment records
    the action it pays (a void of the credit takes it back: receivables.voiding.undo_with)."""
    from receivables.ledger import derive

    _writable(repo)
    moves = credit_moves(derive(repo.client_book(client), on), client, on)
    if not moves:
        raise DunError("there is no client credit to put on an open invoice", client)
    if action is None:
        return _commit_many(repo, moves)
    body = "Client credit applied: " + ", ".join(f"{m.amount} {m.currency} on {m.invoice}" for m in moves)
    done = _activity_for(action, on, outcome=PAID, channel="other", body=body, direction="in")
    return _commit_many(repo, [*moves, done])


def start_plan(repo: Any, client: str, invoices: Sequence[str], count: int, first: date, every: int,
               on: date) -> PaymentPlan:
    _writable(repo)
    return repo.add_plan(draft_plan(repo.client_book(client), repo.policy(), client, invoices, count, every, first, on))


def save_client(repo: Any, client: Client, new: bool) -> Client:
    _writable(repo)
    return repo.add_client(client) if new else repo.update_client(client)


def set_hold(repo: Any, client_id: str, hold: bool, reason: str = "") -> Any:
    _writable(repo)
    return repo.set_hold(client_id, hold, reason)


def lift_hold(repo: Any, client_id: str, on: date, *, flag: bool, from_step: bool, note: str = "") -> Any:
    """Lift a hold: the client's own flag, and/or the hold a credit-hold step put on
    (the engine lifts that one when an activity with outcome "hold_lifted" is logged)."""
    _writable(repo)
    result = None
    if flag:
        result = repo.set_hold(client_id, False, "")
    if from_step:
        result = repo.log_activity(Activity(id="", date=on, client=client_id, channel="other",
                                            outcome="hold_lifted", body=note or "Hold lifted."))
    return result


def save_invoice(repo: Any, invoice: Invoice, new: bool) -> Invoice:
    _writable(repo)
    return repo.add_invoice(invoice) if new else repo.update_invoice(invoice)


def replace(record: Any, **changes: Any) -> Any:
    return dataclasses.replace(record, **changes)


def import_file(repo: Any, kind: str, path: Any, on: date, dry_run: bool = False) -> Any:
    """A file imported into the book as ``dun import KIND FILE`` does (store.importing): all or
    nothing; what it did (``lines()``, ``warnings``). ``dry_run``: what it would do, nothing
    written."""
    from pathlib import Path

    from store.importing import import_into, read_file

    if not dry_run:
        _writable(repo)
    path = Path(path).expanduser()
    return import_into(repo, kind, read_file(path), path.name, on, dry_run=dry_run)
