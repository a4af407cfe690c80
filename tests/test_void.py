"""Voiding a payment, credit or promise recorded by mistake: it stays in the book for the
record and counts nowhere, on any date, as if it had never been recorded; every reader agrees
(a fresh read, the in-memory book after the commit, the bank's open items, imports, the
derived state, the CLI)."""
from __future__ import annotations

import json
import shutil
from dataclasses import replace
from datetime import date
from decimal import Decimal as D

import pytest

from cli.main import main
from receivables.errors import DunError
from receivables.interest import client_interest
from receivables.ledger import derive
from receivables.model import Adjustment, Allocation, Book, Client, Contact, Invoice, Payment, PromiseToPay, Receipt
from receivables.policy import read_policy
from store import open_book
from store.openitems import open_invoices

ON = date(2026, 4, 1)


@pytest.fixture
def book(book_dir):
    with open_book(book_dir, today=ON) as repo:
        repo.add_client(Client("acme", "Acme Ltd", "GBP", 30, contacts=(Contact("Ann", "ann@acme.example"),)))
        repo.add_client(Client("zed", "Zed Ltd", "GBP", 30))
        repo.add_invoice(Invoice("A-1", "acme", date(2026, 1, 2), date(2026, 2, 1), "GBP", D("1200.00")))
        repo.add_invoice(Invoice("A-2", "acme", date(2026, 2, 20), date(2026, 3, 22), "GBP", D("300.00")))
        repo.add_invoice(Invoice("Z-1", "zed", date(2026, 1, 2), date(2026, 2, 1), "GBP", D("80.00")))
    return book_dir


def _pay(repo, cid, amount, when, *allocs):
    return repo.record_payment(Payment("", when, cid, D(amount), "GBP", "bank", "BACS",
                                       tuple(Allocation(n, D(a)) for n, a in allocs)))


def test_a_voided_payment_counts_nowhere_and_every_reading_agrees(book, tmp_path):
    never = tmp_path / "never"  # the same book where the wrong payment was never recorded
    shutil.copytree(book, never)
    with open_book(never, today=ON) as repo:
        _pay(repo, "acme", "100.00", date(2026, 3, 5), ("A-2", "100.00"))
        never_book = repo.book()
    with open_book(book, today=ON) as repo:
        before = repo.book()
        wrong = _pay(repo, "acme", "1250.00", date(2026, 3, 1), ("A-1", "1200.00"))  # (50.00 client credit)
        _pay(repo, "acme", "100.00", date(2026, 3, 5), ("A-2", "100.00"))
        voided, receipt = repo.void(wrong.id, ON, "  typed 1250 for 125  ")
        assert receipt is None
        assert voided.voided == ON and voided.void_reason == "typed 1250 for 125"
        in_memory = repo.book()
        assert [p.id for p in in_memory.voided] == [wrong.id]
        assert wrong.id not in {p.id for p in in_memory.payments}
        repo.checkpoint()
    with open_book(book, readonly=True, today=ON) as ro:
        fresh = ro.book()
        assert fresh == in_memory  # the journal replayed, and book.json rewritten, read alike
        items = {inv.number: left for inv, left, _ in open_invoices(ro)}
        assert ro.check() == []
    assert items["A-1"] == D("1200.00") and items["A-2"] == D("200.00")
    # as if never recorded: the same figures as the book where only the right payment was made
    policy = read_policy(book / "policy.toml")
    for on in (date(2026, 3, 2), ON):  # also a day between the payment and its voiding
        a, b = derive(fresh, on), derive(never_book, on)
        assert [(s.number, s.outstanding, s.days_overdue) for s in a.open_invoices("acme")] == \
            [(s.number, s.outstanding, s.days_overdue) for s in b.open_invoices("acme")]
        assert a.positions("acme") == b.positions("acme")
        assert {n: (r.interest, r.compensation) for n, r in client_interest(a, policy, "acme").items()} == \
            {n: (r.interest, r.compensation) for n, r in client_interest(b, policy, "acme").items()}
    assert derive(fresh, date(2026, 3, 2)).open_invoices("acme")[0].outstanding == D("1200.00")
    assert derive(fresh, ON).positions("acme")[0].credit == 0  # its 50.00 of client credit went with it


def test_a_void_is_refused_in_one_line_and_changes_nothing(book):
    with open_book(book, today=ON) as repo:
        p = _pay(repo, "acme", "100.00", date(2026, 3, 1), ("A-1", "100.00"))
        version = repo.version
        cases = [("PAY-999999", ON, "x", "no payment, credit or promise 'PAY-999999'"),
                 (p.id, ON, "   ", "a reason is needed"),
                 (p.id, ON, "two\nlines", "line break"),
                 (p.id, ON, "x" * 501, "longer than 500 characters")]
        for pid, on, reason, words in cases:
            with pytest.raises(DunError) as e:
                repo.void(pid, on, reason)
            assert words in str(e.value) and "\n" not in str(e.value)
            assert repo.version == version
        repo.void(p.id, ON, "wrong client")
        with pytest.raises(DunError) as e:
            repo.void(p.id, ON, "again")
        assert "already voided on 2026-04-01 (wrong client)" in str(e.value)


def test_a_receipt_the_payment_came_from_is_unmatched_again_in_the_same_change(book):
    with open_book(book, today=ON) as repo:
        p = _pay(repo, "zed", "80.00", date(2026, 3, 10), ("Z-1", "80.00"))
        repo.commit([Receipt("RCP-1", date(2026, 3, 10), D("80.00"), "GBP", "ZED LTD", "Z-1", "bank.csv", "",
                             p.id)])
        version = repo.version
        _, receipt = repo.void(p.id, ON, "it was Acme's money")
        assert receipt is not None and receipt.id == "RCP-1" and receipt.payment == ""
        assert repo.version == version + 1  # one change: the payment and the receipt together
    with open_book(book, readonly=True, today=ON) as ro:
        assert [r.payment for r in ro.book().receipts] == [""]


def test_importing_the_file_of_a_voided_payment_again_does_not_record_it_again(book, tmp_path, capsys):
    f = tmp_path / "payments.csv"
    f.write_text("date,client,amount,currency,reference,invoice\n2026-03-01,zed,80.00,GBP,BACS 1,Z-1\n")
    assert main(["--book", str(book), "--on", "2026-04-01", "import", "payments", str(f)]) == 0
    with open_book(book, today=ON) as repo:
        (p,) = repo.book().payments
        repo.void(p.id, ON, "bounced")
    capsys.readouterr()
    assert main(["--book", str(book), "--on", "2026-04-01", "import", "payments", str(f)]) == 0
    with open_book(book, readonly=True, today=ON) as ro:
        assert ro.book().payments == () and len(ro.book().voided) == 1


def test_dun_void_and_client_show(book, capsys):
    assert main(["--book", str(book), "--on", "2026-04-01", "pay", "acme", "1200.00"]) == 0
    out = capsys.readouterr().out
    pid = out.split()[1].rstrip(":")
    assert f"dun void {pid} --reason" in out
    assert main(["--book", str(book), "--on", "2026-04-01", "void", pid, "--reason", "wrong client", "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got["id"] == pid and got["voided"] == "2026-04-01" and got["reason"] == "wrong client"
    assert got["owed_again"] == [{"invoice": "A-1", "amount": "1200.00"}] and got["receipt_unmatched"] is None
    assert main(["--book", str(book), "--on", "2026-04-01", "void", pid, "--reason", "again"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "already voided" in err
    assert main(["--book", str(book), "--on", "2026-04-01", "client", "show", "acme", "--json"]) == 0
    view = json.loads(capsys.readouterr().out)
    assert view["balance"] == "1500.00"
    assert [(p["id"], p["voided"], p["void_reason"]) for p in view["payments"]] == [(pid, "2026-04-01", "wrong client")]
    assert main(["--book", str(book), "--on", "2026-04-01", "client", "show", "acme"]) == 0
    assert f"payment {pid} 2026-04-01" in capsys.readouterr().out


def _due(book, on):
    import derived

    with open_book(book, readonly=True, today=on) as ro:
        return {(a.client, n) for a in derived.current(ro, ro.policy(), on, save=False).agenda for n in a.invoices}


def test_a_voided_promise_puts_its_invoices_back_on_the_ladder(book):
    assert ("acme", "A-1") in _due(book, ON)
    with open_book(book, today=ON) as repo:  # "by 2027-04-10" typed for 2026-04-10
        p = repo.add_promise(PromiseToPay("", "acme", ON, D("1200.00"), "GBP", date(2027, 4, 10), ("A-1",)))
    assert ("acme", "A-1") not in _due(book, ON)
    with open_book(book, today=ON) as repo:
        rec, receipt = repo.void(p.id, ON, "2027 typed for 2026")
        assert isinstance(rec, PromiseToPay) and receipt is None
        assert repo.book().promises == () and repo.book().voided == (rec,)
    assert ("acme", "A-1") in _due(book, ON)


def test_a_voided_credit_is_owed_again_and_a_void_that_would_overpay_is_refused(book):
    with open_book(book, today=ON) as repo:
        wrong = repo.add_adjustment(Adjustment("", "write_off", ON, "acme", D("200.00"), "GBP", "A-2", "small balance"))
        up = repo.add_adjustment(Adjustment("", "adjustment", ON, "zed", D("-20.00"), "GBP", "Z-1", "delivery"))
        _pay(repo, "zed", "100.00", ON, ("Z-1", "100.00"))  # 80 + 20 owed, all paid
        repo.void(wrong.id, ON, "meant A-1")
        assert {inv.number: left for inv, left, _ in open_invoices(repo)}["A-2"] == D("300.00")
        version = repo.version
        with pytest.raises(DunError) as e:
            repo.void(up.id, ON, "no delivery charge")
        assert "Z-1 would then be settled 20.00 more than its amount" in str(e.value)
        assert repo.version == version
    with open_book(book, readonly=True, today=ON) as ro:
        assert [a.id for a in ro.book().adjustments] == [up.id] and [a.id for a in ro.book().voided] == [wrong.id]
        assert ro.check() == []


def test_a_receipt_whose_payment_was_voided_can_be_matched_again(book):
    from receivables.matching import accept

    with open_book(book, today=ON) as repo:
        repo.commit([Receipt("RCP-abc", date(2026, 3, 10), D("80.00"), "GBP", "ZED LTD", "Z-1", "bank.csv")])
        records, updates = accept(repo.book(), repo.book().receipts[0], "acme")  # the wrong client
        repo.commit(records, updates)
        first = records[0].id
        for n in (2, 3):  # voided each time, then matched again
            repo.void(repo.book().receipts[0].payment, ON, "it was Zed's")
            records, updates = accept(repo.book(), repo.book().receipts[0], "zed")
            repo.commit(records, updates)
            assert records[0].id == f"{first}-{n}" and repo.book().receipts[0].payment == records[0].id
    with open_book(book, readonly=True, today=ON) as ro:
        b = ro.book()
        assert [p.id for p in b.payments] == [f"{first}-3"] and [p.client for p in b.payments] == ["zed"]
        assert [p.id for p in b.voided] == [first, f"{first}-2"]
        assert ro.check() == []


def test_after_a_void_a_batch_of_payments_may_pay_the_invoice_again(book):
    """The checks of a batch commit (a bank statement's payments; store.batchcheck and the
    write scopes) read the stored documents themselves: they skip the voided one too."""
    from receivables.model import Activity

    with open_book(book, today=ON) as repo:
        for n, amount in (("A-1", "1200.00"), ("A-2", "300.00")):
            repo.void(_pay(repo, "acme", amount, date(2026, 3, 1), (n, amount)).id, ON, "wrong client")
        # a batch with another kind of record is checked against the write scopes
        repo.commit([Payment("", ON, "acme", D("1200.00"), "GBP", "bank", "BACS", (Allocation("A-1", D("1200.00")),)),
                     Activity("", ON, "acme", "phone", body="paid at last")])
        # a batch of payments alone (a bank statement's) by store.batchcheck
        repo.commit([Payment("", ON, "acme", D("300.00"), "GBP", "bank", "BACS", (Allocation("A-2", D("300.00")),))])
    with open_book(book, readonly=True, today=ON) as ro:
        assert derive(ro.book(), ON).open_invoices("acme") == [] and ro.check() == []


def test_voiding_a_payment_puts_the_action_it_was_recorded_for_back_to_do(book):
    """$ on an action paid in full records the payment and the action as done ("paid").
    Voided (it was another client's money), the invoice was owed again but its reminder
    stayed done: the agenda never offered it again."""
    from receivables.agenda import build_agenda
    from receivables.daylog import handled_on
    from tui.actions import log_payment_outcome, make_payment

    policy = read_policy(book / "policy.toml")
    with open_book(book, today=ON) as repo:
        action = next(a for a in build_agenda(repo.book(), policy, ON) if a.client == "acme")
        owed = {st.number: st.outstanding for st in derive(repo.book(), ON).open_invoices("acme")
                if st.number in action.invoices}
        pay = make_payment("acme", ON, sum(owed.values()), "GBP", list(owed.items()), "BACS 1")
        got = log_payment_outcome(repo, action, ON, pay, owed)
        assert [type(r).__name__ for r in got] == ["Payment", "Activity"]
        assert handled_on(repo.book().activities, ON) == {("acme", action.step): "done"}
        assert not [a for a in build_agenda(repo.book(), policy, ON) if a.client == "acme"]
        repo.void(got[0].id, ON, "Zed's money")
        after = repo.book()
    again = [a for a in build_agenda(after, policy, ON) if a.client == "acme"]
    assert [(a.step, a.invoices, a.amount) for a in again] == [(action.step, action.invoices, action.amount)]
    assert handled_on(after.activities, ON) == {}
    undo = after.activities[-1]
    assert undo.corrects == got[1].id and got[0].id in undo.body and "Zed's money" in undo.body
    # a payment recorded without an action takes nothing back
    with open_book(book, today=ON) as repo:
        other = _pay(repo, "zed", "80.00", ON, ("Z-1", "80.00"))
        n = len(repo.book().activities)
        repo.void(other.id, ON, "bounced")
        assert len(repo.book().activities) == n


def test_a_record_dated_after_today_is_voided_today(book):
    """A payment typed as 2027 for 2026 could be voided only with --on 2027-...: 'cannot be
    voided on 2026-04-01, before it was recorded'."""
    with open_book(book, today=ON) as repo:
        p = _pay(repo, "acme", "100.00", date(2027, 3, 1), ("A-1", "100.00"))
        voided, _ = repo.void(p.id, ON, "2027 typed for 2026")
        assert voided.voided == ON and p.id in {x.id for x in repo.book().voided}
    code = main(["--book", str(book), "--on", ON.isoformat(), "client", "show", "acme", "--json"])
    assert code == 0


def test_dun_pay_dated_after_today_says_so_and_how_to_undo_it(book, capsys):
    """'dun pay --on' a future day recorded the payment without a word; it counted nowhere
    until that day, so the owner saw nothing change."""
    from datetime import timedelta

    later = date.today() + timedelta(days=10)
    assert main(["--book", str(book), "--on", later.isoformat(), "pay", "zed", "80.00"]) == 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"dated {later.isoformat()}, after today" in err and "dun void PAY-" in err
    assert main(["--book", str(book), "--on", date.today().isoformat(), "pay", "zed", "1.00"]) == 0
    assert "after today" not in capsys.readouterr().err


def test_client_credit_is_put_on_open_invoices_and_voided_back(book, capsys):
    """An overpayment stayed client credit for good: nothing put it on the client's invoices,
    and the agenda chased invoices the credit more than covered."""
    from receivables.agenda import build_agenda

    policy = read_policy(book / "policy.toml")
    with open_book(book, today=ON) as repo:
        over = _pay(repo, "acme", "1500.00", date(2026, 3, 1), ("A-1", "1200.00"))  # 300.00 of credit
        assert [a.invoices for a in build_agenda(repo.book(), policy, ON) if a.client == "acme"] == [("A-2",)]
    assert main(["--book", str(book), "--on", ON.isoformat(), "credit", "acme", "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got["applied"] == [{"id": got["applied"][0]["id"], "invoice": "A-2", "amount": "300.00"}]
    assert got["credit_left"] == "0.00"
    with open_book(book, today=ON) as repo:
        ledger = derive(repo.book(), ON)
        assert ledger.credit("acme", "GBP") == 0 and ledger.open_invoices("acme") == []
        assert [a for a in build_agenda(repo.book(), policy, ON) if a.client == "acme"] == []
        # the payment the credit came from cannot be voided while its credit is on an invoice
        with pytest.raises(DunError) as e:
            repo.void(over.id, ON, "bounced")
        assert "credit has been applied" in str(e.value) and got["applied"][0]["id"] not in str(e.value)
        repo.void(got["applied"][0]["id"], ON, "meant for a refund")
        ledger = derive(repo.book(), ON)
        assert ledger.credit("acme", "GBP") == D("300.00") and [s.number for s in ledger.open_invoices("acme")] == ["A-2"]
        repo.void(over.id, ON, "bounced")  # now it can go
    # no credit, or nothing to put it on: one line, nothing written
    assert main(["--book", str(book), "--on", ON.isoformat(), "credit", "acme"]) == 1
    assert "has no GBP credit" in capsys.readouterr().err
    with open_book(book, today=ON) as repo:
        _pay(repo, "zed", "100.00", ON, ("Z-1", "80.00"))  # zed: 20.00 of credit, nothing else owed
    assert main(["--book", str(book), "--on", ON.isoformat(), "credit", "zed"]) == 1
    assert "owes nothing in GBP" in capsys.readouterr().err
    assert main(["--book", str(book), "--on", ON.isoformat(), "credit", "zed", "--invoice", "Z-1"]) == 1
    err = capsys.readouterr().err
    assert "the invoices named owe nothing" in err and "name an open invoice" in err


def test_credit_applied_is_refused_over_the_credit_the_client_has():
    from receivables.validate import check_adjustment

    b = Book(clients={"acme": Client("acme", "Acme", "GBP", 30)},
             invoices={"A-1": Invoice("A-1", "acme", date(2026, 1, 2), date(2026, 2, 1), "GBP", D("1200.00"))},
             payments=(Payment("P1", date(2026, 3, 1), "acme", D("50.00"), "GBP"),))
    ok = Adjustment("", "credit_applied", date(2026, 3, 2), "acme", D("50.00"), "GBP", "A-1")
    assert check_adjustment(ok, b) == []
    for bad, words in ((replace(ok, amount=D("50.01")), "more than the client's 50.00 GBP of credit"),
                       (replace(ok, date=date(2026, 2, 28)), "more than the client's 0 GBP of credit"),
                       (replace(ok, invoice=None), "needs an invoice")):
        assert words in " ".join(p.message for p in check_adjustment(bad, b))


def test_dun_pay_goes_to_the_invoice_it_pays_exactly_or_to_a_promise_in_force(book, capsys):
    """A promise of 200.00 on A-2, then 'dun pay acme 200.00' with no --invoice: the payment
    went to A-1, the oldest, and the promise on A-2 broke although the client paid what it
    promised. The app proposed an invoice paid exactly; the command did not."""
    def pay(on, amount):
        assert main(["--book", str(book), "--on", on, "pay", "acme", amount, "--json"]) == 0
        got = json.loads(capsys.readouterr().out)
        return got["id"], got["allocations"]

    pid, allocations = pay("2026-03-24", "300.00")
    assert allocations == [{"invoice": "A-2", "amount": "300.00"}]  # A-2's amount exactly, not the oldest
    assert main(["--book", str(book), "--on", "2026-03-24", "void", pid, "--reason", "test"]) == 0
    assert main(["--book", str(book), "--on", "2026-03-25", "promise", "acme", "200.00", "--by", "2026-03-31",
                 "--invoice", "A-2"]) == 0
    capsys.readouterr()
    assert pay("2026-03-30", "200.00")[1] == [{"invoice": "A-2", "amount": "200.00"}]  # the promise's invoice
    assert pay("2026-04-20", "50.00")[1] == [{"invoice": "A-1", "amount": "50.00"}]  # (the promise is over)


def test_dun_pay_dated_before_the_invoice_it_pays_was_issued_is_refused(book, capsys):
    """A payment dated before its invoice's issue day was taken (first without a word, then
    with a warning); seen as of a day between, the money showed nowhere, and a slip of the
    year moved interest and compensation. Refused in one line, nothing recorded."""
    assert main(["--book", str(book), "--on", "2025-12-20", "pay", "acme", "100.00", "--invoice", "A-2"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "before A-2 was issued (2026-02-20)" in err and "year" in err
    assert "PAY-" not in err  # (refused before it was numbered: no id that was never given out)
    assert main(["--book", str(book), "--on", "2026-03-01", "pay", "acme", "100.00", "--invoice", "A-2"]) == 0
    assert "before" not in capsys.readouterr().err
