"""A client whose unallocated credit covers what its late invoices owe is not chased: the
day's action is to apply the credit (``dun credit``, ``k``), not a reminder or a final
notice over money the firm already holds."""
from __future__ import annotations

import json
from datetime import date

import pytest

from cli.main import main
from receivables.agenda import build_agenda
from receivables.model import Adjustment, Allocation, Payment

from .test_agenda import POLICY, D, book, inv


def _b(paid: str, *adjustments):
    # O-1 and O-2 both due 31 Jan; on 10 Feb a payment names O-1 only and pays more than it owes
    invs = [inv("O-1", date(2026, 1, 31), "100.00"), inv("O-2", date(2026, 1, 31), "100.00")]
    p = Payment("P1", date(2026, 2, 10), "C1", D(paid), "GBP", allocations=(Allocation("O-1", D("100.00")),))
    return book(invs, payments=(p,), adjustments=tuple(adjustments))


def test_credit_covering_the_overdue_is_an_apply_credit_action_not_a_final_notice():
    got = build_agenda(_b("200.00"), POLICY, date(2026, 12, 4))  # 100.00 credit; O-2 owes 100.00
    assert [(a.kind, a.step, a.invoices) for a in got] == [("credit", None, ("O-2",))]
    a = got[0]
    assert a.title == "Apply credit" and a.channel == "other" and not a.credit_hold and not a.escalate
    assert a.amount == D("100.00") and a.key == "credit:GBP"
    assert "client credit 100.00 GBP covers" in a.reason and "dun credit C1" in a.reason
    assert "interest runs on them until it is applied" in a.reason


def test_credit_covering_part_keeps_the_ladder_and_says_how_much_it_covers():
    got = build_agenda(_b("160.00"), POLICY, date(2026, 12, 4))  # 60.00 credit against 100.00 overdue
    assert [(a.kind, a.step) for a in got] == [("step", "final")]
    assert "client credit 60.00 GBP covers 60.00 of 100.00: apply it with dun credit C1" in got[0].reason


def test_applied_credit_leaves_nothing_to_do():
    applied = Adjustment("ADJ-1", "credit_applied", date(2026, 2, 10), "C1", D("100.00"), "GBP", "O-2")
    assert build_agenda(_b("200.00", applied), POLICY, date(2026, 12, 4)) == []


def test_a_snoozed_apply_credit_action_holds_the_ladder_back_too():
    from .test_agenda import act

    snooze = act("A1", date(2026, 12, 4), "credit:GBP", channel="other", outcome="snoozed",
                 snooze_until=date(2026, 12, 11))
    b = _b("200.00")
    b = b.__class__(clients=b.clients, invoices=b.invoices, payments=b.payments, activities=(snooze,))
    assert build_agenda(b, POLICY, date(2026, 12, 5)) == []
    assert [a.kind for a in build_agenda(b, POLICY, date(2026, 12, 11))] == ["credit"]


def _run(capsys, bookdir, *argv):
    code = main(["--book", str(bookdir), *argv])
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def test_dun_agenda_offers_the_credit_and_dun_credit_clears_it(book_dir, tmp_path, capsys):
    (tmp_path / "c.csv").write_text("id,name,email,phone,terms_days,credit_limit,currency\nov,Ov Ltd,a@ov.example,,30,,GBP\n")
    (tmp_path / "i.csv").write_text("number,client,issued,due,amount,currency,reference\n"
                                    "O-1,ov,2026-01-01,2026-01-31,100.00,GBP,\nO-2,ov,2026-01-01,2026-01-31,100.00,GBP,\n")
    _run(capsys, book_dir, "import", "clients", str(tmp_path / "c.csv"))
    _run(capsys, book_dir, "import", "invoices", str(tmp_path / "i.csv"))
    _run(capsys, book_dir, "pay", "ov", "200", "--invoice", "O-1", "--on", "2026-02-10")
    got = json.loads(_run(capsys, book_dir, "agenda", "--on", "2026-12-04", "--json"))
    assert [(a["kind"], a["title"], a["invoices"], a["amount"], a["credit_hold"]) for a in got] == [
        ("credit", "Apply credit", ["O-2"], "100.00", False)]
    out = _run(capsys, book_dir, "agenda", "--on", "2026-12-04")
    assert "Final notice" not in out and "Apply credit" in out and "Apply credit: dun credit CLIENT" in out
    out = _run(capsys, book_dir, "client", "show", "ov", "--on", "2026-12-04")
    assert "client credit 100.00 GBP is on no invoice: interest runs on the overdue ones" in out
    _run(capsys, book_dir, "credit", "ov", "--on", "2026-12-04")
    assert json.loads(_run(capsys, book_dir, "agenda", "--on", "2026-12-04", "--json")) == []


def test_a_courtesy_reminder_gives_way_to_credit_that_covers_the_invoice():
    from .test_agenda import pay

    b = book([inv("I1", date(2026, 3, 16), "100.00")], payments=(pay("P1", date(2026, 3, 1), "150.00"),))
    got = build_agenda(b, POLICY, date(2026, 3, 13))  # the courtesy reminder's day, I1 not yet due
    assert [(a.kind, a.invoices, a.days_overdue) for a in got] == [("credit", ("I1",), 0)]
    assert got[0].reason.startswith("client credit 150.00 GBP covers the 100.00 GBP owed on 1 invoice (courtesy")


def test_the_app_labels_the_action_and_says_which_keys_apply_the_credit():
    from tui.widgets.queue import action_title, draft_label

    a = build_agenda(_b("200.00"), POLICY, date(2026, 12, 4))[0]
    assert action_title(a) == "Apply credit" and "k or s puts the client's credit" in draft_label(a)


@pytest.mark.parametrize("key", ["s", "k"])
def test_s_on_apply_credit_in_today_puts_the_credit_on_the_invoices(tmp_path, key):
    """`s` on an Apply credit action would have logged it "done" with the credit still held
    (and the action back the next day): it puts the credit on the invoices, as `k` does."""
    from store import init_book
    from tui.app import create_app

    from .tui_support import DAY, async_test, at_action, loaded, reopen, settle

    path = tmp_path / "book"
    init_book(path, book=_b("200.00"))

    @async_test
    async def run():
        app = create_app(path, on=DAY)
        async with app.run_test(size=(120, 40)) as pilot:
            await loaded(app, pilot)
            await at_action(app, pilot, lambda a: a.kind == "credit")
            await pilot.press(key)  # (k, the key that puts credit on invoices anywhere, does it too)
            await settle(app, pilot)
            assert type(app.screen).__name__ == "ConfirmDialog"
            await pilot.press("y")
            await settle(app, pilot)
            # done, as a paid action is: it stays in the day's list, ticked and counted
            credit = [i for i, a in enumerate(app.screen.queue) if a.kind == "credit"]
            assert credit and app.screen.done.get(credit[0]) == "paid"

    run()
    got = reopen(path)
    assert [(a.kind, a.invoice, a.amount) for a in got.adjustments] == [("credit_applied", "O-2", D("100.00"))]
    assert [(a.step, a.outcome, a.invoices) for a in got.activities] == [("credit:GBP", "paid", ("O-2",))]
    assert got.activities[0].body.startswith("Client credit applied: 100.00 GBP on O-2")


def test_voiding_the_applied_credit_makes_the_apply_credit_action_to_do_again(tmp_path):
    """Recorded done with the credit, the action is done only while the credit stays on the
    invoices: voiding the credit application takes the "paid" back, as voiding a payment does."""
    from receivables.daylog import handled_on
    from store import init_book, open_book
    from tui import actions

    from .tui_support import DAY

    path = tmp_path / "book"
    init_book(path, book=_b("200.00"))
    with open_book(path, today=DAY) as repo:
        a = next(x for x in build_agenda(repo.book(), POLICY, DAY) if x.kind == "credit")
        moves = actions.apply_credit(repo, "C1", DAY, a)
        assert handled_on(repo.book().activities, DAY) == {("C1", "credit:GBP"): "done"}
        repo.void(moves[0].id, DAY, "applied by mistake")
        got = repo.book()
        assert handled_on(got.activities, DAY) == {}
    assert [x.kind for x in build_agenda(got, POLICY, DAY)] == ["credit"]
    taken = [x for x in got.activities if x.corrects]
    assert [x.corrects for x in taken] == [moves[-1].id]


def test_a_client_whose_credit_covers_its_overdue_has_none_of_its_balance_overdue():
    """Its risk said "100% of the balance is overdue" (score 30) while the balance was the
    firm's own money: credit goes on the oldest first, as applying it would."""
    from receivables.agenda import client_risk

    covered = client_risk(_b("200.00"), POLICY, "C1", date(2026, 12, 4))  # 100.00 credit, 100.00 overdue
    assert not any("of the balance is overdue" in r for r in covered.reasons)
    part = client_risk(_b("160.00"), POLICY, "C1", date(2026, 12, 4))  # 60.00 credit: 40.00 of 40.00 left
    assert "100% of the balance is overdue" in part.reasons and part.score > covered.score
