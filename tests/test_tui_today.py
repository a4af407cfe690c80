"""Today: the walk-through of a demo day, each outcome written to the store."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from tui.app import create_app
from tui.screens.today import TodayScreen

from .tui_support import DAY, async_test, loaded, make_book, reopen, settle, text_of


@pytest.fixture
def demo(tmp_path):
    return make_book(tmp_path / "book")


def done_key(action):
    return action.step if action.kind == "step" else action.key


@async_test
async def test_walk_through_a_whole_demo_day_logs_every_action(demo):
    app = create_app(demo, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        screen = app.screen
        assert isinstance(screen, TodayScreen)
        agenda = list(app.state.agenda)
        assert len(agenda) >= 6, "the demo day should have work to do"
        await pilot.press("enter")  # walk-through mode
        await settle(app, pilot)
        assert screen.view == "walk"
        # cycle through the one-key outcomes so each kind is exercised
        # actions with invoices and an amount get the richer outcomes first
        rich = iter(["paid", "promise", "dispute", "call", "snooze", "s", "x"] * 10)
        plain = iter(["s", "x", "snooze"] * 10)
        used = []
        n = 0
        while screen.view != "summary" and n <= 3 * len(agenda):
            # the queue is live: an outcome may take other actions off it (a payment settles
            # what they covered), change their figures (the client's risk) or make one due (the
            # engine's agenda of the book as it is now, as a restart would show it)
            a = screen.current
            assert a.id in {x.id for x in app.state.agenda} and screen.pos not in screen.done
            head = text_of(screen.query_one("#today-head"))
            paused = sum(1 for _, w in used if w in ("x", "snooze"))  # handled, but not done
            assert f"{n - paused} of {len(screen.queue)} done" in head
            what = next(rich) if a.invoices and a.amount > 0 else next(plain)
            if what == "call" and a.channel != "phone":  # (a call does not do an e-mail or letter step)
                what = "x"
            used.append((a, what))
            n += 1
            if what == "s":
                await pilot.press("s")
            elif what == "x":
                await pilot.press("x")
            elif what == "call":
                await pilot.press("c")
                await settle(app, pilot)
                await pilot.press("enter", "a")  # past the (empty) note, then: no answer
            elif what == "snooze":
                await pilot.press("z")
                await settle(app, pilot)
                await pilot.press("ctrl+s")  # default: a week later
            elif what == "promise":
                await pilot.press("p")
                await settle(app, pilot)
                await pilot.press("ctrl+s")  # default amount and date
            elif what == "dispute":
                await pilot.press("d")
                await settle(app, pilot)
                await pilot.press(*"wrong rate")  # the reason (the invoice is filled in)
                await pilot.press("ctrl+s")
            elif what == "paid":
                await pilot.press("dollar_sign")
                await settle(app, pilot)
                await pilot.press("ctrl+s")  # the action's amount, allocated oldest first
            await settle(app, pilot)
            assert any(screen.queue[i].id == a.id for i in screen.done), \
                (n, what, [text_of(w) for w in app.screen.query(".form-error, .field-error")])
        total = len(screen.queue)
        assert len(screen.done) == total == len(used)
        assert screen.view == "summary"
        summary = text_of(screen.query_one("#summary"))
        counts = screen._counts()  # the head's counts, said the same way in the summary
        assert counts.total == total and counts.done + counts.snoozed + counts.skipped == total
        assert f"{counts.done} of {total} actions done today" in summary and "the queue is clear" in summary
        assert f"{counts.done} of {total} done" in text_of(screen.query_one("#today-head"))

    book = reopen(demo)
    today = [x for x in book.activities if x.date == DAY]
    assert len(today) == len(used)
    for (a, what), act in zip(used, today):
        assert act.client == a.client
        assert act.step == done_key(a)
        assert act.invoices == a.invoices
    expect = {"s": {"sent", "done", "queued"}, "x": {"skipped"}, "call": {"no_answer"}, "snooze": {"snoozed"},
              "promise": {"promised"}, "paid": {"paid"},
              "dispute": {"disputed", "resolved"}}  # (d on a review of a dispute resolves it)
    for (a, what), act in zip(used, today):
        assert act.outcome in expect[what], (what, act)
    assert len({w for _, w in used}) >= 5, used
    snoozed = [x for x in today if x.outcome == "snoozed"]
    assert all(x.snooze_until == DAY + timedelta(days=7) for x in snoozed)
    sent = [x for x in today if x.outcome in ("sent", "done", "queued")]
    assert sent and all(x.channel for x in sent)
    email_sent = [x for x in sent if x.channel == "email"]
    if email_sent:  # the drafted message is what was logged
        assert email_sent[0].body.startswith("Subject: ")
    promised = [p for p in book.promises if p.made == DAY]
    assert len(promised) == sum(1 for _, w in used if w == "promise")
    paid_for = {a.client for a, w in used if w == "paid"}
    pays = [p for p in book.payments if p.date == DAY and p.client in paid_for and p.allocations]
    assert len(pays) >= len(paid_for)
    disputed = [d for d in book.disputes if d.opened == DAY]
    resolved = [d for d in book.disputes if d.resolved == DAY]
    outcomes = [act.outcome for (a, what), act in zip(used, today) if what == "dispute"]
    assert (len(disputed), len(resolved)) == (outcomes.count("disputed"), outcomes.count("resolved"))
    assert all(sum(1 for x in book.disputes if x.invoice == d.invoice and x.resolved is None) <= 1
               for d in book.disputes)  # never two open disputes on one invoice
    # nothing logged as done is offered again on that day
    from receivables.agenda import build_agenda
    from receivables.policy import read_policy

    again = build_agenda(book, read_policy(demo / "policy.toml"), DAY)
    for (a, what), act in zip(used, today):
        if what == "s":
            assert not any(b.client == a.client and done_key(b) == done_key(a) and set(b.invoices) & set(a.invoices)
                           for b in again)


@async_test
async def test_edited_draft_is_what_gets_logged(tmp_path):
    demo = make_book(tmp_path / "book", seed=1)  # a day with e-mail steps
    app = create_app(demo, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        screen = app.screen
        email = next(i for i, a in enumerate(screen.queue) if a.channel == "email" and a.kind == "step")
        screen.query_one("#queue").move_to(email)
        await pilot.press("enter")
        await settle(app, pilot)
        await pilot.press("e")
        draft = screen.query_one("#draft")
        draft.move_cursor(draft.document.end)
        await pilot.press(*"PS: thanks <b>!</b>")
        await pilot.press("escape")  # leave the editor
        await pilot.press("s")
        await settle(app, pilot)
        action = screen.queue[email]
    act = [x for x in reopen(demo).activities if x.date == DAY]
    assert len(act) == 1
    assert act[0].client == action.client and act[0].outcome == "queued"  # no SMTP server in the policy
    assert act[0].body.startswith("Subject: ")
    assert act[0].body.rstrip().endswith("PS: thanks <b>!</b>")
    assert act[0].body.startswith("Subject: ") and act[0].message_id
    # the message as edited waits in the outbox (no SMTP server in the policy)
    from publish.outbox import queued_files, read_queued

    (q,) = queued_files(demo / "outbox")
    assert read_queued(q).message_id == act[0].message_id
    assert read_queued(q).text.rstrip().endswith("PS: thanks <b>!</b>")


@async_test
async def test_promise_needs_a_valid_amount_and_keeps_the_input(demo):
    app = create_app(demo, on=DAY)
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(app, pilot)
        await pilot.press("p")
        await settle(app, pilot)
        dialog = app.screen
        amount = dialog.query_one("#in-amount")
        amount.value = ""
        amount.focus()
        await pilot.press(*"12,50")
        await settle(app, pilot)
        err = text_of(dialog.query_one("#err-amount"))
        assert "not an amount" in err
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert app.screen is dialog  # refused, still open
        assert amount.value == "12,50"
        amount.value = "12.50"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert app.screen is not dialog
    book = reopen(demo)
    p = [p for p in book.promises if p.made == DAY]
    assert len(p) == 1 and p[0].amount == Decimal("12.50")


@async_test
async def test_a_row_shows_whether_it_was_done_skipped_or_snoozed(demo):
    """The head counts done, snoozed and skipped apart; so do the rows' marks."""
    app = create_app(demo, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        screen = app.screen
        first = [a.id for a in screen.queue[:3]]
        await pilot.press("x")  # skip
        await settle(app, pilot)
        await pilot.press("z")  # snooze, a week by default
        await settle(app, pilot)
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        await pilot.press("s")  # done (sent, made, or marked done)
        await settle(app, pilot)
        marks = {a.id: screen._cells((i, a))[0] for i, a in enumerate(screen.queue)}
        assert [marks[i] for i in first] == ["–", "z", "✓"], marks
        head = text_of(screen.query_one("#today-head"))
        assert "1 of " in head and "1 snoozed · 1 skipped" in head, head


@async_test
async def test_a_day_with_nothing_to_chase_says_so_and_what_falls_due_next(tmp_path):
    from receivables.model import Client, Invoice
    from store import open_book

    from .tui_support import make_empty_book

    book = make_empty_book(tmp_path / "book")
    with open_book(book, today=DAY) as repo:
        repo.add_client(Client("acme", "Acme Trading Ltd", "GBP", 30))
        repo.add_invoice(Invoice("INV-2", "acme", DAY, DAY + timedelta(days=40), "GBP", Decimal("80.00")))
        repo.add_invoice(Invoice("INV-1", "acme", DAY, DAY + timedelta(days=30), "GBP", Decimal("1200.00")))
    app = create_app(book, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        for _ in range(50):
            await settle(app, pilot)
            if app.state is not None and app.state.complete:
                break
        await settle(app, pilot)
        shown = text_of(app.screen.query_one("#summary"))
    assert "Nothing to chase today." in shown
    assert "Next to fall due: INV-1 · Acme Trading Ltd · " in shown and "£1,200.00" in shown
    assert "back to the queue" not in shown


@pytest.mark.parametrize("counts, said", [
    ((1, 1, 0, 0), "1 of 1 action done today · the queue is clear"),
    ((3, 1, 0, 0), "1 of 3 actions done today · 2 left"),
    ((14, 12, 1, 1), "12 of 14 actions done today · 1 snoozed · 1 skipped · the queue is clear")])
def test_the_summary_counts_the_day_as_the_head_does(counts, said):
    """The summary said "13 of 13 actions handled in this session" under a head that said
    "12 of 14 done · 1 snoozed · 1 skipped": now both count the same day the same way."""
    from types import SimpleNamespace

    from receivables.model import Book, Client
    from tui.progress import DayCounts
    from tui.widgets.day_summary import day_summary

    book = Book(clients={"c1": Client("c1", "Acme Ltd", "GBP", 30)})
    state = SimpleNamespace(book=book, policy=None, ledger=None)
    group = day_summary(state, DAY, DayCounts(*counts), None)
    assert said in group.renderables[0].plain


def test_the_summary_leaves_out_what_was_taken_back_and_names_outcomes_in_words():
    """After U on a no-answer call and a voicemail logged instead, the summary listed the
    no answer, the correction ("undo:ACT-000775 · note") and the voicemail, and counted all
    three, with "no_answer" as stored."""
    from types import SimpleNamespace

    from receivables.model import Activity, Book, Client
    from tui.widgets.day_summary import day_summary

    call = Activity("ACT-1", DAY, "c1", "phone", step="call", outcome="no_answer")
    undo = Activity("ACT-2", DAY, "c1", "other", step="undo:ACT-1", outcome="note", corrects="ACT-1")
    again = Activity("ACT-3", DAY, "c1", "phone", step="call", outcome="voicemail")
    book = Book(clients={"c1": Client("c1", "Acme Ltd", "GBP", 30)}, activities=(call, undo, again))
    state = SimpleNamespace(book=book, policy=None, ledger=None)
    group = day_summary(state, DAY, None, None)
    head = group.renderables[0].plain
    assert "Activities logged: voicemail 1\n" in head
    rows = [list(c.cells) for c in group.renderables[1].columns]
    assert [str(x) for x in rows[3]] == ["voicemail"]
