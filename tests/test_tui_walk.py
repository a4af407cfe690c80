"""Issue 18: the walk-through does the day's work, to the right client (Pilot tests that press
the keys an owner presses, and check the store: which client, which step, how many activities)."""
from __future__ import annotations

from decimal import Decimal

import pytest

from tui.app import create_app
from tui.screens.today import TodayScreen

from .tui_support import DAY, async_test, at_action, loaded, make_book, reopen, settle, text_of


@pytest.fixture
def demo(tmp_path):
    return make_book(tmp_path / "book", seed=1)  # a day with e-mail and letter steps


def todays(path):
    return [x for x in reopen(path).activities if x.date == DAY]


async def save_with(app, pilot, dialog, selector: str, value: str) -> None:
    """The dialog's field set to ``value``, then ctrl+s."""
    dialog.query_one(selector).value = value
    await settle(app, pilot)
    await pilot.press("ctrl+s")
    await settle(app, pilot)


def step_key(action):
    return action.step if action.kind == "step" else action.key


@async_test
async def test_call_note_typed_straight_away_then_one_outcome(demo):
    app = create_app(demo, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        screen = app.screen
        action = screen.current
        await pilot.press("c")
        await settle(app, pilot)
        # type straight away, as the dialog invites: the letters go into the note
        await pilot.press(*"asked for a copy", "enter")
        await pilot.press("a", "r", "v")  # one outcome; the keys after it do nothing
        await settle(app, pilot)
        assert isinstance(app.screen, TodayScreen)
    acts = todays(demo)
    assert len(acts) == 1
    assert acts[0].client == action.client and acts[0].step == step_key(action)
    assert acts[0].outcome == "no_answer" and acts[0].body == "asked for a copy"
    assert acts[0].channel == "phone"


@async_test
async def test_call_note_then_enter_and_outcome_typed_in_one_burst(demo):
    """Keys typed faster than the app draws (a burst, as tmux or a quick typist sends them):
    the enter after the note leaves the note before the next key arrives, so 'r' is the
    outcome, not a letter of the note."""
    from textual import events

    app = create_app(demo, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        action = app.screen.current
        await pilot.press("c")
        await settle(app, pilot)
        for key, char in [*((c, c) for c in "spoke"), ("enter", "\r"), ("r", "r")]:
            app.post_message(events.Key(key, char))  # all queued before any is handled
        await settle(app, pilot)
        assert isinstance(app.screen, TodayScreen)
    acts = todays(demo)
    assert len(acts) == 1 and acts[0].client == action.client
    assert acts[0].outcome == "reached" and acts[0].body == "spoke"


@async_test
async def test_call_note_then_ctrl_r_typed_in_one_burst_keeps_the_whole_note(demo):
    """ctrl+r (reached) straight after the note: the note as typed, not what had reached the
    field when ctrl+r was handled."""
    from textual import events

    app = create_app(demo, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        action = app.screen.current
        await pilot.press("c")
        await settle(app, pilot)
        for key, char in [*((c, c) for c in "spoke"), ("ctrl+r", "\x12")]:
            app.post_message(events.Key(key, char))  # all queued before any is handled
        await settle(app, pilot)
        assert isinstance(app.screen, TodayScreen)
    acts = todays(demo)
    assert len(acts) == 1 and acts[0].client == action.client
    assert acts[0].outcome == "reached" and acts[0].body == "spoke"


@async_test
async def test_payment_for_another_client_marks_nothing_done(demo):
    app = create_app(demo, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        screen = app.screen
        a = screen.current
        other = next(c for c in sorted(app.state.book.clients) if c != a.client
                     and app.state.book.clients[c].currency == app.state.book.clients[a.client].currency)
        await pilot.press("dollar_sign")
        await settle(app, pilot)
        dialog = app.screen
        dialog.query_one("#in-client").value = other
        dialog.query_one("#in-amount").value = "10.00"
        dialog.query_one("#in-reference").value = "walk-18"
        await settle(app, pilot)
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, TodayScreen)
        assert screen.done == {}
        assert screen.current == a  # A's action is still the one in front
    book = reopen(demo)
    pays = [p for p in book.payments if p.reference == "walk-18"]
    assert [p.client for p in pays] == [other]
    assert [x for x in book.activities if x.date == DAY and x.client == a.client] == []


@async_test
async def test_the_amount_typed_right_after_dollar_is_the_amount_received(demo):
    from .test_tui_flows import burst

    app = create_app(demo, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        screen = app.screen
        money_due = next(i for i, a in enumerate(screen.queue) if a.amount > 10)
        screen.query_one("#queue").move_to(money_due)
        await settle(app, pilot)
        a = screen.current
        before = {p.id for p in app.state.book.payments}
        await pilot.press("dollar_sign")
        await settle(app, pilot)
        burst(app, "7.25", "ctrl+s")  # as the owner types it: the amount, then save
        await settle(app, pilot)
        assert isinstance(app.screen, TodayScreen), [text_of(w) for w in app.screen.query(".form-error, .field-error")]
    pays = [p for p in reopen(demo).payments if p.id not in before]
    assert [(p.client, p.amount, p.date) for p in pays] == [(a.client, Decimal("7.25"), DAY)]


@async_test
async def test_payment_and_promise_are_logged_with_their_own_channel(demo):
    app = create_app(demo, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        screen = app.screen
        email = next(i for i, a in enumerate(screen.queue) if a.channel == "email" and a.amount > 0)
        screen.query_one("#queue").move_to(email)
        await settle(app, pilot)
        first = screen.current
        await pilot.press("dollar_sign")
        await settle(app, pilot)
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert email in screen.done
        nxt = next(i for i, a in enumerate(screen.queue) if a.channel != "phone" and i not in screen.done
                   and a.client != first.client and a.amount > 0)
        screen.query_one("#queue").move_to(nxt)
        await settle(app, pilot)
        second = screen.current
        await pilot.press("p")
        await settle(app, pilot)
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, TodayScreen), [text_of(w) for w in app.screen.query(".form-error, .field-error")]
    acts = {x.client: x for x in todays(demo)}
    assert acts[first.client].outcome == "paid" and acts[first.client].channel == "other"
    assert acts[first.client].direction == "in"
    assert acts[second.client].outcome == "promised" and acts[second.client].channel == "phone"
    assert acts[second.client].direction == "in"


@async_test
async def test_payment_dialog_lines_follow_a_change_of_client_and_an_exact_amount(demo):
    from tui.dialogs.payment import _safe
    from tui.fmt import plain

    app = create_app(demo, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        a = app.screen.current
        state = app.state
        other = next(c for c in sorted(state.book.clients) if c != a.client
                     and len(state.ledger_for(c).open_invoices(c, state.book.clients[c].currency)) >= 3)
        cur = state.book.clients[other].currency
        open_ = state.ledger_for(other).open_invoices(other, cur)
        target = open_[-1]  # not the oldest: an exact amount still goes to it
        assert all(s.outstanding != target.outstanding for s in open_[:-1])
        await pilot.press("dollar_sign")
        await settle(app, pilot)
        dialog = app.screen
        dialog.query_one("#in-client").value = other
        await settle(app, pilot)
        dialog.query_one("#in-amount").value = plain(target.outstanding, cur)
        await settle(app, pilot)
        lines = {s.invoice.number: dialog.query_one(f"#al-{_safe(s.invoice.number)}").value for s in open_[:40]}
        assert lines[target.invoice.number] == plain(target.outstanding, cur)
        assert [n for n, v in lines.items() if v] == [target.invoice.number]
        assert dialog.alloc == {target.invoice.number: target.outstanding}


@async_test
async def test_progress_survives_a_restart_and_pauses_are_not_done(demo):
    app = create_app(demo, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        screen = app.screen
        total = len(screen.queue)
        plain = [i for i, a in enumerate(screen.queue) if a.channel not in ("email", "letter", "phone")]
        screen.query_one("#queue").move_to(plain[0])
        await settle(app, pilot)
        await pilot.press("s")  # done
        await settle(app, pilot)
        await pilot.press("x")  # skipped
        await settle(app, pilot)
        await pilot.press("z")
        await settle(app, pilot)
        await pilot.press("ctrl+s")  # snoozed
        await settle(app, pilot)
        head = text_of(screen.query_one("#today-head"))
        # (a courtesy reminder held back by the client's contact joins once that is snoozed)
        total = len(screen.queue)
        assert f"1 of {total} done" in head and "1 snoozed · 1 skipped" in head
    app = create_app(demo, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        screen = app.screen
        assert len(screen.queue) == total - 3  # the three left the agenda
        head = text_of(screen.query_one("#today-head"))
        assert f"1 of {total} done" in head and "1 snoozed · 1 skipped" in head


@async_test
async def test_a_call_on_an_email_step_leaves_the_email_to_send(demo):
    app = create_app(demo, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        screen = app.screen
        i = next(i for i, a in enumerate(screen.queue) if a.channel == "email" and a.kind == "step")
        screen.query_one("#queue").move_to(i)
        await settle(app, pilot)
        a = screen.current
        await pilot.press("c")
        await settle(app, pilot)
        await pilot.press("enter", "r")
        await settle(app, pilot)
        assert i not in screen.done and screen.current == a
    acts = todays(demo)
    assert len(acts) == 1 and acts[0].client == a.client and acts[0].outcome == "reached"
    assert acts[0].step is None  # the e-mail step is not marked done by the call
    from receivables.agenda import build_agenda
    from receivables.policy import read_policy

    again = build_agenda(reopen(demo), read_policy(demo / "policy.toml"), DAY)
    assert any(b.client == a.client and b.step == a.step for b in again)


@async_test
async def test_a_letter_step_makes_the_letter_to_print(demo):
    app = create_app(demo, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        screen = app.screen
        i = next(i for i, a in enumerate(screen.queue) if a.channel == "letter")
        screen.query_one("#queue").move_to(i)
        await settle(app, pilot)
        a = screen.current
        await pilot.press("s")
        await settle(app, pilot)
        assert screen.done[i] == "letter to print"
        await pilot.press("u")
        await settle(app, pilot)
        summary = text_of(screen.query_one("#summary"))
        assert "Letters to print and post (1)" in summary
    letters = list((demo / "outbox").glob("*.pdf"))
    assert len(letters) == 1 and a.client in letters[0].name and letters[0].read_bytes()[:5] == b"%PDF-"
    acts = todays(demo)
    assert len(acts) == 1 and acts[0].channel == "letter" and acts[0].outcome == "sent"
    assert acts[0].step == step_key(a) and acts[0].client == a.client


@async_test
async def test_an_email_step_for_a_client_without_an_address_says_it_makes_a_letter(demo):
    """dun mail and s make a letter for such a client: the walk-through says so, not "s sends it"."""
    from dataclasses import replace

    from store import open_book

    with open_book(demo, readonly=True, today=DAY) as repo:
        clients = repo.clients()
    app = create_app(demo, on=DAY, read_only=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        queue = app.screen.queue
        emails = [i for i, a in enumerate(queue) if a.channel == "email" and a.kind == "step"]
        assert emails
        labels = {}
        await pilot.press("enter")  # the walk-through, from the first action
        await settle(app, pilot)
        for i in range(max(emails) + 1):
            assert app.screen.pos == i
            if i in emails:
                labels[queue[i].client] = str(app.screen.query_one("#draft-label").render())
            await pilot.press("right_square_bracket")  # ]: the next action
            await settle(app, pilot)
    with_address = {c for c in labels if clients[c].email}
    assert with_address and all(labels[c].startswith("E-mail to send") for c in with_address)
    # the same day with one of them having no address
    cid = sorted(with_address)[0]
    c = clients[cid]
    with open_book(demo, today=DAY) as repo:
        repo.update_client(replace(c, contacts=tuple(replace(x, email="") for x in c.contacts)))
    app = create_app(demo, on=DAY, read_only=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        i = next(i for i, a in enumerate(app.screen.queue) if a.client == cid and a.channel == "email")
        await pilot.press("enter", *["right_square_bracket"] * i)
        await settle(app, pilot)
        assert app.screen.pos == i
        assert str(app.screen.query_one("#draft-label").render()).startswith("No e-mail on file: a letter to print")


@async_test
async def test_a_dispute_review_is_logged_as_the_owners_review_not_as_an_email_sent(demo):
    """The review is the owner's own: s logs it done, by no channel the client saw, with the
    notes as edited (it was logged "email sent", so the client's timeline and the accountant's
    activities.csv showed an e-mail that never went)."""
    app = create_app(demo, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        screen = app.screen
        action = screen.queue[await at_action(app, pilot, lambda a: a.kind == "dispute", walk=True)]
        assert action.channel == "other"
        await pilot.press("e")
        await settle(app, pilot)
        draft = screen.query_one("#draft")
        draft.move_cursor(draft.document.end)
        await pilot.press(*"Asked for the delivery note.", "escape", "s")
        await settle(app, pilot)
        assert not app.sender.busy and not list((demo / "outbox").glob("*.eml"))  # nothing went anywhere
    (act,) = [a for a in todays(demo) if a.client == action.client]
    assert act.step == action.key and act.channel == "other" and act.outcome == "done"
    assert act.body.rstrip().endswith("Asked for the delivery note.") and not act.message_id


@pytest.mark.parametrize("key", ["c", "p", "dollar_sign"])
@async_test
async def test_an_outcome_key_typed_right_after_the_arrows_acts_on_the_row_they_reached(demo, key):
    """"down down c" typed at once, as in tmux: the call (promise, payment) is for the row the
    cursor reached; it was logged against the row the cursor left, another client."""
    from textual import events

    from .test_tui_flows import burst

    app = create_app(demo, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        screen = app.screen
        queue = screen.queue
        target = next(i for i in range(2, len(queue)) if queue[i].client != queue[0].client)
        burst(app, *["down"] * target)
        app.post_message(events.Key(key, "$" if key == "dollar_sign" else key))
        await settle(app, pilot)
        dialog = app.screen
        assert dialog is not screen
        if key == "dollar_sign":
            assert dialog.query_one("#in-client").value == queue[target].client
        else:
            assert dialog.action.client == queue[target].client


@pytest.mark.parametrize("what", ["call", "payment", "note"])
@async_test
async def test_what_is_typed_at_once_after_the_key_that_opens_a_dialog_lands_in_it(demo, what):
    """"c", a note, enter, "r" (or "$", an amount, ctrl+s; or "n", a note, ctrl+s) typed at once,
    as in tmux: the keys after the first reached Today, which had the focus when they came in,
    and were lost (the call logged without its note, the payment not saved)."""
    from .test_tui_flows import burst

    app = create_app(demo, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        screen = app.screen
        kind = {"call": lambda a: a.channel == "phone" and a.kind == "step"}.get(what, lambda a: a.amount > 10)
        await at_action(app, pilot, kind)
        action = screen.current
        before = {p.id for p in app.state.book.payments}
        if what == "call":
            burst(app, "c", "spoke to tim", "enter", "r")
        elif what == "payment":
            burst(app, "dollar_sign", "7.25", "ctrl+s")
        else:
            burst(app, "n", "Rang them", "enter", "twice", "ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, TodayScreen)
    book = reopen(demo)
    if what == "payment":
        assert [(p.client, p.amount) for p in book.payments if p.id not in before] == [(action.client, Decimal("7.25"))]
    else:
        (act,) = [a for a in book.activities if a.date == DAY]
        assert act.client == action.client
        assert (act.outcome, act.body) == (("reached", "spoke to tim") if what == "call" else ("note", "Rang them\ntwice"))


@async_test
async def test_keys_that_come_in_after_a_dialog_opens_but_before_its_focus_is_set_land_in_it(demo):
    """In tmux the keys after "c" came in once the dialog was in front but before its note had
    the focus: they went to the dialog itself, which did nothing with them (the call was
    logged later without its note, and its outcome key was lost)."""
    from tui.dialogs.call_outcome import CallOutcomeDialog

    from .test_tui_flows import burst

    app = create_app(demo, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        screen = app.screen
        await at_action(app, pilot, lambda a: a.channel == "phone" and a.kind == "step")
        action = screen.current
        dialog = CallOutcomeDialog(action, DAY)
        await app.push_screen(dialog)
        await settle(app, pilot)
        dialog.set_focus(None)  # in front, its focus not set yet (as between c's binding and the focus)
        burst(app, "left a message", "enter", "v")
        await settle(app, pilot)
        assert isinstance(app.screen, TodayScreen)
    (act,) = [a for a in reopen(demo).activities if a.date == DAY]
    assert (act.client, act.outcome, act.body) == (action.client, "voicemail", "left a message")


@async_test
async def test_d_on_a_dispute_review_resolves_that_dispute_and_logs_the_review(demo):
    """The invoice is disputed already: d offered "Open a dispute" on it and saved a second open
    dispute on the same invoice (reviewed twice from then on). Now it resolves the reviewed
    dispute, with an activity that marks the action handled, in one commit."""
    app = create_app(demo, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        screen = app.screen
        action = screen.queue[await at_action(app, pilot, lambda a: a.kind == "dispute", walk=True)]
        await pilot.press("d")
        await settle(app, pilot)
        assert "Resolve the dispute on" in str(app.screen.TITLE_TEXT)
        await pilot.press(*"credit note agreed", "ctrl+s")
        await settle(app, pilot)
        assert screen.done.get(screen.queue.index(action)) == "resolved"
    book = reopen(demo)
    (d,) = [d for d in book.disputes if d.id == action.ref]
    assert d.resolved == DAY and d.resolution == "credit note agreed"
    assert not [x for x in book.disputes if x.invoice == d.invoice and x.resolved is None]
    (act,) = [a for a in todays(demo) if a.client == action.client]
    assert act.step == action.key and act.outcome == "resolved" and act.invoices == action.invoices


@async_test
async def test_a_part_payment_taken_on_an_action_pays_its_invoices_and_leaves_it_to_do(demo):
    """$ on an action, a smaller amount typed: the payment went to the client's oldest invoice
    and the action's step was marked done, so the invoice it chased, still owing all of it,
    was never chased again. Now a part payment goes to the action's invoices first and the
    action stays to do (no activity names its step)."""
    from tui.dialogs.payment import _safe

    app = create_app(demo, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        screen = app.screen
        state = app.state

        def later_invoice(a) -> bool:  # the action chases an invoice that is not the client's oldest
            if not a.invoices or a.amount <= 1:
                return False
            open_ = [s.invoice.number for s in state.ledger_for(a.client).open_invoices(a.client, a.currency)]
            return bool(open_) and open_[0] not in a.invoices

        pos = await at_action(app, pilot, later_invoice, walk=True)
        a = screen.queue[pos]
        before = {p.id for p in state.book.payments}
        await pilot.press("dollar_sign")
        await settle(app, pilot)
        dialog = app.screen
        assert "this action's invoices first" in str(dialog.query_one(".alloc-head Label").render())
        dialog.query_one("#in-amount").value = "1.00"
        await settle(app, pilot)
        assert dialog.alloc == {a.invoices[0]: Decimal("1.00")}
        assert dialog.query_one(f"#al-{_safe(a.invoices[0])}").value == "1.00"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, TodayScreen), [text_of(w) for w in app.screen.query(".form-error, .field-error")]
        assert pos not in screen.done
    book = reopen(demo)
    (pay,) = [p for p in book.payments if p.id not in before]
    assert pay.client == a.client and [(x.invoice, x.amount) for x in pay.allocations] == [(a.invoices[0], Decimal("1.00"))]
    assert not [x for x in todays(demo) if x.client == a.client and x.step == a.key]


@async_test
async def test_a_payment_dated_after_the_day_is_refused_not_recorded_to_count_nowhere(demo):
    """A typo in the date received (12-14 for 12-04) saved a payment that no balance showed
    until that day, after "Payment recorded" and a preview of the new balance."""
    from datetime import timedelta

    app = create_app(demo, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        before = {p.id for p in app.state.book.payments}
        await pilot.press("dollar_sign")
        await settle(app, pilot)
        dialog = app.screen
        dialog.query_one("#in-amount").value = "10.00"
        dialog.query_one("#in-date").value = (DAY + timedelta(days=10)).isoformat()
        await settle(app, pilot)
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert app.screen is dialog
        errors = " ".join(text_of(w) for w in dialog.query(".form-error, .field-error"))
        assert f"must be {DAY.isoformat()} or earlier" in errors
        dialog.query_one("#in-date").value = DAY.isoformat()
        await settle(app, pilot)
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, TodayScreen)
    assert len([p for p in reopen(demo).payments if p.id not in before]) == 1


@async_test
async def test_s_again_on_an_action_carried_out_says_so_and_sends_or_logs_nothing(demo):
    """s on a row sent already put up "Last send failed: … was sent already" and the row left
    the queue; on a row logged done it logged a second activity."""
    import re

    policy = demo / "policy.toml"
    policy.write_text(re.sub(r"(?m)^example = true\n", "", policy.read_text(encoding="utf-8")), encoding="utf-8")
    app = create_app(demo, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        screen = app.screen
        table = screen.query_one("#queue")
        email = await at_action(app, pilot, lambda a: a.channel == "email" and a.kind == "step")
        review = next(i for i, a in enumerate(screen.queue) if a.channel == "other")
        for pos in (email, review):
            table.move_to(pos)
            await settle(app, pilot)
            await pilot.press("s")
            await settle(app, pilot)
            for _ in range(50):  # the sender works in the background
                if not app.sender.busy:
                    break
                await pilot.pause(0.1)
        first = (len(todays(demo)), sorted(p.name for p in (demo / "outbox").rglob("*.eml")))
        rows, failure = len(screen.queue), app.sender.last_failure
        for pos in (email, review):
            label = screen.done[pos]
            table.move_to(pos)
            await settle(app, pilot)
            await pilot.press("s")
            await settle(app, pilot)
            assert screen.done[pos] == label
        await settle(app, pilot)
        assert not app.sender.busy and app.sender.last_failure == failure
        assert len(screen.queue) == rows
        notes = [n.message for n in app._notifications]
        assert any("nothing is sent or logged twice" in m for m in notes), notes
    assert (len(todays(demo)), sorted(p.name for p in (demo / "outbox").rglob("*.eml"))) == first


@async_test
async def test_a_promise_of_more_than_the_client_owes_is_refused_in_the_form(demo):
    """A promise of 1,000,000,000 on a 2,183.49 action was saved without a word (and took every
    open invoice of the client off the ladder until the promised day)."""
    app = create_app(demo, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        screen = app.screen
        pos = await at_action(app, pilot, lambda a: a.amount > 0 and a.kind == "step", walk=True)
        a = screen.queue[pos]
        before = len(app.state.book.promises)
        await pilot.press("p")
        await settle(app, pilot)
        dialog = app.screen
        await save_with(app, pilot, dialog, "#in-amount", "1000000000")
        assert app.screen is dialog
        errors = " ".join(text_of(w) for w in dialog.query(".form-error, .field-error"))
        assert "owed: a promise is for what is owed" in errors
        await pilot.press("escape")
        await settle(app, pilot)
        assert pos not in screen.done
    assert len(reopen(demo).promises) == before and a.client


@async_test
async def test_a_part_payment_names_only_the_invoices_still_owing(demo):
    """$ on an action on two invoices, the first paid in full: 'stays to do on what INV-1,
    INV-2 still owe' named the invoice just paid."""
    app = create_app(demo, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        screen = app.screen
        state = app.state
        pos = await at_action(app, pilot, lambda a: a.kind == "step" and len(a.invoices) >= 2, walk=True)
        a = screen.queue[pos]
        owed = {s.invoice.number: s.outstanding for s in state.ledger_for(a.client).open_invoices(a.client)}
        first, rest = a.invoices[0], a.invoices[1:]
        await pilot.press("dollar_sign")
        await settle(app, pilot)
        dialog = app.screen
        dialog.query_one("#in-amount").value = str(owed[first])
        await settle(app, pilot)
        assert dialog.alloc == {first: owed[first]}
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        said = [n.message for n in app._notifications if "part payment" in n.message]
        assert said and first not in said[-1] and all(n in said[-1] for n in rest), said


@async_test
async def test_an_action_paid_then_the_payment_voided_is_to_do_again_with_its_figures(demo):
    """$ paid an action in full (ticked); the payment voided (another client's money): the
    row kept its tick and its old figures although the agenda had the action due again."""
    app = create_app(demo, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        screen = app.screen
        state = app.state
        pos = await at_action(app, pilot, lambda a: a.kind == "step" and a.amount > 1, walk=True)
        a = screen.queue[pos]
        owed = sum(s.outstanding for s in state.ledger_for(a.client).open_invoices(a.client) if s.number in a.invoices)
        await pilot.press("dollar_sign")
        await settle(app, pilot)
        dialog = app.screen
        dialog.query_one("#in-amount").value = str(owed)
        await settle(app, pilot)
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        ids = [x.id for x in screen.queue]
        assert screen.done.get(ids.index(a.id)) == "paid"
        pay = next(p for p in app.repo.book().payments if p.client == a.client and p.date == DAY)
        app.repo.void(pay.id, DAY, "another client's money")
        app.reload()
        for _ in range(50):
            await settle(app, pilot)
            ids = [x.id for x in screen.queue]
            if a.id in ids and ids.index(a.id) not in screen.done:
                break
        ids = [x.id for x in screen.queue]
        assert a.id in ids and ids.index(a.id) not in screen.done
        assert screen.queue[ids.index(a.id)].amount == a.amount
        head = text_of(screen.query_one("#today-head"))
        assert "0 of" in head, head


@async_test
async def test_a_promise_dated_a_year_slip_ahead_is_refused_in_the_form(demo):
    """"by 2099-01-01" was saved, and its invoices left the ladder for 73 years."""
    app = create_app(demo, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        screen = app.screen
        pos = await at_action(app, pilot, lambda a: a.amount > 0 and a.kind == "step")
        before = len(app.state.book.promises)
        await pilot.press("p")
        await settle(app, pilot)
        dialog = app.screen
        await save_with(app, pilot, dialog, "#in-by", "2099-01-01")
        assert app.screen is dialog
        assert "more than 366 days after 2026-11-23" in text_of(dialog.query_one("#err-by"))
        await save_with(app, pilot, dialog, "#in-by", "2027-01-05")
        assert app.screen is screen and pos in screen.done
    assert len(reopen(demo).promises) == before + 1


@async_test
async def test_a_payment_taken_on_a_credit_review_leaves_the_review_to_do(demo):
    """$ on a Credit review ticked the review done: money in is not a credit check."""
    app = create_app(demo, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        screen = app.screen
        pos = await at_action(app, pilot, lambda a: a.kind == "credit_review")
        review = screen.queue[pos]
        payments = len(app.state.book.payments)
        await pilot.press("dollar_sign")
        await settle(app, pilot)
        app.screen.query_one("#in-amount").value = "100.00"
        await settle(app, pilot)
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert app.screen is screen, [text_of(w) for w in app.screen.query(".form-error, .field-error")]
        assert pos not in screen.done
    book = reopen(demo)
    assert len(book.payments) == payments + 1 and book.payments[-1].client == review.client
    assert not [a for a in todays(demo) if a.step == "credit_review"]


@async_test
async def test_escape_and_s_typed_as_one_alt_key_end_the_editing_and_log_it(demo):
    """tmux (its escape-time) and some terminals send escape and a key typed at once as one
    alt+key: "escape s" left the editor open with an "s" typed into the message."""
    from textual import events

    app = create_app(demo, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        screen = app.screen
        action = screen.queue[await at_action(app, pilot, lambda a: a.kind == "dispute", walk=True)]
        await pilot.press("e")
        await settle(app, pilot)
        draft = screen.query_one("#draft")
        draft.move_cursor(draft.document.end)
        await pilot.press(*"Asked for the delivery note.")
        app.post_message(events.Key("alt+s", "s"))
        await settle(app, pilot)
        assert not draft.has_class("editing")
    (act,) = [a for a in todays(demo) if a.client == action.client]
    assert act.outcome == "done" and act.body.rstrip().endswith("Asked for the delivery note.")
