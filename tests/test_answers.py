"""An answer to a ladder step (a promise, a dispute, a payment given in reply to it) is not the
step carried out: no letter went out, so the step is still to do once the answer no longer
holds (the promise broken, the dispute resolved, the payment voided), the client is not put on
hold by a credit-hold step it was not sent, and no later letter says it was sent.

Found driving the app: `p` or `d` in the walk-through on a final notice logged the step as
done. The client went on hold ("Final notice done on ..."), and once the dispute was resolved
the next action was the agency hand-over, whose letter begins "As set out in our final
notice" - a notice never sent."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D

import pytest

from receivables.agenda import build_agenda
from receivables.ledger import derive
from receivables.model import Allocation, Client, Contact, Invoice, Payment
from receivables.policy import read_policy
from store import open_book
from tui.actions import log_dispute, log_payment_outcome, log_promise, make_payment

ON = date(2026, 4, 1)


@pytest.fixture
def book(book_dir):
    with open_book(book_dir, today=ON) as repo:
        repo.add_client(Client("acme", "Acme Ltd", "GBP", 30, contacts=(Contact("Ann", "ann@acme.example"),)))
        repo.add_invoice(Invoice("A-1", "acme", date(2026, 1, 2), date(2026, 2, 1), "GBP", D("1200.00")))
    return book_dir


def _final_notice(repo, policy, on=ON):
    got = [a for a in build_agenda(repo.book(), policy, on) if a.client == "acme"]
    assert [a.step for a in got] == ["final-notice"]
    return got[0]


def _hold(book, policy, on):
    from receivables.engine.book import derivation

    return derivation(book, policy, on).client("acme").status.hold


def test_a_dispute_in_reply_to_a_final_notice_leaves_it_to_send_once_resolved(book):
    policy = read_policy(book / "policy.toml")
    with open_book(book, today=ON) as repo:
        action = _final_notice(repo, policy)
        log_dispute(repo, action, ON, "A-1", "never delivered")
        assert not _hold(repo.book(), policy, ON)  # (before: "Final notice done on 2026-04-01")
        repo.resolve_dispute(repo.book().disputes[0].id, ON + timedelta(days=2), "found the PO")
        later = ON + timedelta(days=20)  # (past the agency step's day)
        got = [a.step for a in build_agenda(repo.book(), policy, later) if a.client == "acme"]
    assert got == ["final-notice"]  # (before: "agency", the required notice jumped)


def test_a_promise_in_reply_to_a_final_notice_does_not_put_the_client_on_hold(book):
    policy = read_policy(book / "policy.toml")
    with open_book(book, today=ON) as repo:
        action = _final_notice(repo, policy)
        log_promise(repo, action, ON, D("1200.00"), "GBP", ON + timedelta(days=7))
        assert not _hold(repo.book(), policy, ON)
        broken = ON + timedelta(days=20)
        steps = {a.kind: a.step for a in build_agenda(repo.book(), policy, broken) if a.client == "acme"}
    assert steps.get("step") != "agency"


def test_voiding_an_earlier_part_payment_puts_the_action_paid_by_a_later_one_back_to_do(book):
    """$500 then $700 from the walk-through closed the reminder ("paid" with the second);
    the first bounced and was voided: the invoice owed 500 again, but the action stayed done
    and the reminder was never sent. (The same payments by `dun pay` brought it back.)"""
    from receivables.daylog import handled_on

    policy = read_policy(book / "policy.toml")
    with open_book(book, today=ON) as repo:
        action = _final_notice(repo, policy)
        first = repo.record_payment(Payment("", ON, "acme", D("500.00"), "GBP", "bank", "CHQ 1",
                                            (Allocation("A-1", D("500.00")),)))
        owed = {"A-1": D("700.00")}
        pay = make_payment("acme", ON, D("700.00"), "GBP", list(owed.items()), "BACS 2")
        got = log_payment_outcome(repo, action, ON, pay, owed)
        assert [type(r).__name__ for r in got] == ["Payment", "Activity"]
        assert handled_on(repo.book().activities, ON) == {("acme", "final-notice"): "done"}
        repo.void(first.id, ON, "cheque bounced")
        after = repo.book()
    assert derive(after, ON).invoices["A-1"].outstanding == D("500.00")
    assert handled_on(after.activities, ON) == {}
    again = [(a.step, a.amount) for a in build_agenda(after, policy, ON) if a.client == "acme"]
    assert again == [("final-notice", D("500.00"))]


def test_an_outcome_logged_by_mistake_is_taken_back_and_the_action_is_to_do_again(book):
    """A wrong key on Today (s on a final notice not meant: the letter made, the client on
    hold; x; a call outcome) could not be taken back but by restoring the day's backup,
    which lost the rest of the day."""
    from receivables.daylog import handled_on
    from receivables.errors import DunError
    from tui.actions import log_done, log_skip, undo_outcome

    policy = read_policy(book / "policy.toml")
    with open_book(book, today=ON) as repo:
        action = _final_notice(repo, policy)
        outbox = repo.paths.outbox
        outbox.mkdir(parents=True, exist_ok=True)
        letter = outbox / f"{ON.isoformat()}_acme_final-notice.pdf"
        letter.write_bytes(b"%PDF-1.4\n")  # (what s made)
        log_done(repo, action, ON)
        assert _hold(repo.book(), policy, ON) and handled_on(repo.book().activities, ON)
        undo_outcome(repo, action, ON, outbox)
        after = repo.book()
        assert not _hold(after, policy, ON) and handled_on(after.activities, ON) == {}
        assert [a.step for a in build_agenda(after, policy, ON) if a.client == "acme"] == ["final-notice"]
        assert not letter.exists() and (outbox / "stale" / letter.name).is_file()
        log_skip(repo, action, ON)
        undo_outcome(repo, action, ON)
        assert handled_on(repo.book().activities, ON) == {}
        with pytest.raises(DunError, match="nothing was logged today"):
            undo_outcome(repo, action, ON)
        # what is undone where it was recorded: a promise (void it), a payment (void it)
        log_promise(repo, action, ON, D("1200.00"), "GBP", ON + timedelta(days=7))
        with pytest.raises(DunError, match="a promise did it") as e:
            undo_outcome(repo, action, ON)
        assert "Promises tab" in e.value.problem.hint
