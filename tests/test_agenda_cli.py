"""`dun agenda`, `report`, `promise`, `dispute`, `plan` end to end on a real book folder."""
from __future__ import annotations

import json
from datetime import date
from decimal import Decimal as D

import pytest

from cli.main import main
from receivables.model import Client, Contact, Invoice
from receivables.plans import split_installments

ON = "2026-04-01"


@pytest.fixture
def filled(book_dir):
    from store import open_book

    repo = open_book(book_dir, today=date(2026, 4, 1))
    try:
        repo.add_client(Client("acme", "Acme <Widgets> & Co", "GBP", 30))
        repo.add_client(Client("zed", "Zed Ltd", "GBP", 30))
        repo.add_invoice(Invoice("A-1", "acme", date(2026, 1, 2), date(2026, 2, 1), "GBP", D("1200.00")))
        repo.add_invoice(Invoice("A-2", "acme", date(2026, 2, 20), date(2026, 3, 22), "GBP", D("300.00")))
        repo.add_invoice(Invoice("Z-1", "zed", date(2026, 2, 28), date(2026, 3, 30), "GBP", D("80.00")))
    finally:
        repo.close()
    return book_dir


def run(capsys, book, *argv):
    code = main(["--book", str(book), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_agenda_json_lists_actions_with_drafted_messages(filled, capsys):
    code, out, err = run(capsys, filled, "agenda", "--on", ON, "--json")
    assert code == 0, err
    got = json.loads(out)
    assert [(a["client"], a["kind"], a["step"], a["invoices"], a["amount"]) for a in got] == [
        # A-1 59 days overdue (the required final notice), A-2 10 (a call): one contact, the notice
        ("acme", "step", "final-notice", ["A-1", "A-2"], "1500.00"),
        ("zed", "step", "reminder", ["Z-1"], "80.00"),
    ]
    first = got[0]
    assert first["currency"] == "GBP" and first["channel"] == "letter" and first["since"] <= ON
    assert isinstance(first["message"], str) and "A-1" in first["message"]


def test_agenda_text_and_note_marks_the_step_done(filled, capsys):
    code, out, _ = run(capsys, filled, "agenda", "--on", ON)
    assert code == 0
    assert "Agenda for 2026-04-01: 2 actions" in out and "Acme <Widgets> & Co" in out
    code, out, err = run(capsys, filled, "note", "zed", "sent the reminder", "--step", "reminder", "--on", ON)
    assert code == 0, err
    code, out, _ = run(capsys, filled, "agenda", "--on", ON, "--json")
    assert [a["client"] for a in json.loads(out)] == ["acme"]


def test_agenda_says_an_email_step_goes_on_paper_for_a_client_without_an_address(filled, capsys):
    from store import open_book

    with open_book(filled, today=date(2026, 4, 1)) as repo:  # acme gets an address, zed has none
        repo.update_client(Client("acme", "Acme <Widgets> & Co", "GBP", 30,
                                  contacts=(Contact("Ann", "ann@acme.example"),)))
    code, out, _ = run(capsys, filled, "agenda", "--on", ON)
    assert code == 0
    lines = out.splitlines()
    paper = "no e-mail address on file: 'dun mail' makes a letter to print and post"
    emails = [i for i, line in enumerate(lines) if " email " in line]
    assert any("Zed Ltd" in lines[i] for i in emails)
    for i in emails:
        assert (lines[i + 1].strip() == paper) == ("Zed Ltd" in lines[i]), (lines[i], lines[i + 1])
    assert out.count(paper) == sum(1 for i in emails if "Zed Ltd" in lines[i])


def test_a_note_several_actions_share_is_printed_once_under_the_table(filled, capsys):
    from store import open_book

    with open_book(filled, today=date(2026, 4, 1)) as repo:  # euro invoices under the UK regime
        repo.add_client(Client("eur1", "Euro One", "EUR", 30, contacts=(Contact("E", "e1@example.com"),)))
        repo.add_client(Client("eur2", "Euro Two", "EUR", 30))
        repo.add_invoice(Invoice("E-1", "eur1", date(2026, 1, 2), date(2026, 2, 1), "EUR", D("900.00")))
        repo.add_invoice(Invoice("E-2", "eur2", date(2026, 2, 23), date(2026, 3, 25), "EUR", D("800.00")))
    code, out, _ = run(capsys, filled, "agenda", "--on", ON)
    assert code == 0
    lines = out.splitlines()
    rows = {line.split()[0].rstrip("!"): line for line in lines if "Euro " in line}
    assert len(rows) == 2
    note = "compensation not computed: the uk-late-payment regime fixes it in GBP, not EUR"
    assert out.count(note) == 1
    shared = next(line for line in lines if note in line)
    assert shared.startswith("Actions ") and all(k in shared for k in rows)
    assert lines.index(shared) > max(lines.index(r) for r in rows.values())
    # a note of one action alone stays under its row
    paper = "no e-mail address on file: 'dun mail' makes a letter to print and post"
    euro_two = rows[next(k for k, r in rows.items() if "Euro Two" in r)]
    assert lines[lines.index(euro_two) + 1].strip() == paper


def test_report_json_and_text(filled, capsys):
    code, out, err = run(capsys, filled, "report", "--on", ON, "--json")
    assert code == 0, err
    doc = json.loads(out)
    g = doc["currencies"]["GBP"]
    assert g["aging"]["total"] == "1580.00" and g["aging"]["31-60"] == "1200.00"
    assert g["aging"]["1-30"] == "380.00"
    assert g["dso"] is not None and "." in g["dso"]
    assert {c["id"] for c in doc["clients"]} == {"acme", "zed"}
    code, out, _ = run(capsys, filled, "report", "--on", ON)
    assert code == 0 and "GBP: owed 1580.00" in out and "DSO" in out


def test_promise_takes_invoices_off_the_ladder(filled, capsys):
    code, out, err = run(capsys, filled, "promise", "acme", "500.00", "--by", "2026-04-10", "--invoice", "A-1",
                         "--on", ON)
    assert code == 0, err
    assert "promises 500.00 GBP by 2026-04-10 (A-1)" in out
    code, out, _ = run(capsys, filled, "agenda", "--on", "2026-04-02", "--json")
    assert all("A-1" not in a["invoices"] for a in json.loads(out))
    # broken: the day after 10 April + 3 days of grace
    code, out, _ = run(capsys, filled, "agenda", "--on", "2026-04-14", "--json")
    kinds = [(a["kind"], a["invoices"]) for a in json.loads(out)]
    assert kinds[0] == ("promise", ["A-1"])


def test_promise_without_invoices_covers_the_oldest_up_to_its_amount_and_bad_input(filled, capsys):
    """A promise of 100 against 1,500 owed covers the oldest invoice (1,200), not both: the
    reminders on A-2 go on. One of more than A-1 owes covers both."""
    code, out, err = run(capsys, filled, "promise", "acme", "100", "--by", "2026-04-10", "--on", ON, "--json")
    assert code == 0, err
    assert json.loads(out)["invoices"] == ["A-1"]
    code, out, _ = run(capsys, filled, "agenda", "--on", "2026-04-02", "--json")
    assert not [a for a in json.loads(out) if "A-1" in a["invoices"]]
    assert [a for a in json.loads(out) if a["invoices"] == ["A-2"]]  # still chased
    code, out, err = run(capsys, filled, "promise", "acme", "1200.01", "--by", "2026-04-10", "--on", ON, "--json")
    assert code == 0, err
    assert json.loads(out)["invoices"] == ["A-1", "A-2"]
    for bad in ("12,50", "1e3", "-5", "0.001", "NaN"):
        code, out, err = run(capsys, filled, "promise", "acme", bad, "--by", "2026-04-10", "--on", ON)
        assert code == 1 and err.startswith("dun: ") and err.count("\n") == 1 and "Traceback" not in err
    code, _, err = run(capsys, filled, "promise", "nobody", "5", "--by", "2026-04-10", "--on", ON)
    assert code == 1 and "unknown client" in err
    code, _, err = run(capsys, filled, "promise", "acme", "5", "--by", "2026-03-01", "--on", ON)
    assert code == 1 and "--by" in err
    # more than acme owes (1200 typed for 120, a digit too many): refused, nothing recorded
    code, out, _ = run(capsys, filled, "client", "show", "acme", "--on", ON, "--json")
    promises = json.loads(out)["promises"]
    for bad in ("1000000000", "1500.01"):
        code, _, err = run(capsys, filled, "promise", "acme", bad, "--by", "2026-04-10", "--on", ON)
        assert code == 1 and err.count("\n") == 1 and "is more than the 1500.00 GBP acme owes" in err, err
    code, out, _ = run(capsys, filled, "client", "show", "acme", "--on", ON, "--json")
    assert json.loads(out)["promises"] == promises
    code, _, err = run(capsys, filled, "promise", "acme", "1500.00", "--by", "2026-04-10", "--on", ON)
    assert code == 0, err


def test_dispute_open_and_resolve(filled, capsys):
    code, out, err = run(capsys, filled, "dispute", "A-1", "--reason", "never delivered", "--on", ON)
    assert code == 0, err and "opened" in out
    code, out, _ = run(capsys, filled, "agenda", "--on", ON, "--json")
    assert all("A-1" not in a["invoices"] for a in json.loads(out))
    code, _, err = run(capsys, filled, "dispute", "A-1", "--reason", "again", "--on", ON)
    assert code == 1 and "already has an open dispute" in err
    code, out, err = run(capsys, filled, "dispute", "A-1", "--resolve", "--on", "2026-04-03")
    assert code == 0, err and "resolved" in out
    code, out, _ = run(capsys, filled, "agenda", "--on", "2026-04-03", "--json")
    assert any("A-1" in a["invoices"] for a in json.loads(out))
    code, _, err = run(capsys, filled, "dispute", "A-1", "--resolve", "--on", "2026-04-03")
    assert code == 1 and "no open dispute" in err
    code, _, err = run(capsys, filled, "dispute", "NOPE", "--reason", "x", "--on", ON)
    assert code == 1 and "unknown invoice" in err


def test_a_dispute_settled_by_a_credit_note_records_both_at_once(filled, capsys):
    """A dispute settled by a credit note had no way to record the credit note but a CSV
    import: --credit-note takes it off the invoice in the same commit as the resolution."""
    def owed():
        code, out, _ = run(capsys, filled, "client", "show", "acme", "--on", "2026-04-03", "--json")
        return {i["number"]: i["outstanding"] for i in json.loads(out)["invoices"]}

    assert run(capsys, filled, "dispute", "A-1", "--reason", "two boxes damaged", "--on", ON)[0] == 0
    before = (filled / "book.json").read_bytes()
    for bad, said in (("1200.01", "more than the 1200.00 still owed"), ("12,50", "--credit-note"),
                      ("-5", "--credit-note")):
        code, _, err = run(capsys, filled, "dispute", "A-1", "--resolve", "--credit-note", bad, "--on", "2026-04-03")
        assert code == 1 and err.count("\n") == 1 and said in err, err
    code, _, err = run(capsys, filled, "dispute", "A-2", "--reason", "x", "--credit-note", "5", "--on", ON)
    assert code == 1 and "add --resolve" in err, err
    assert (filled / "book.json").read_bytes() == before  # (refused: the dispute still open, no credit note)
    assert owed()["A-1"] == "1200.00"
    code, out, err = run(capsys, filled, "dispute", "A-1", "--resolve", "--credit-note", "200",
                         "--reason", "credit for two boxes", "--on", "2026-04-03", "--json")
    assert code == 0, err
    assert json.loads(out)["credit_note"] == "200.00" and json.loads(out)["resolved"] == "2026-04-03"
    assert owed()["A-1"] == "1000.00"
    from store import open_book

    repo = open_book(filled, readonly=True)
    try:
        book = repo.book()
    finally:
        repo.close()
    assert [(a.kind, a.invoice, a.amount, a.date, a.reason) for a in book.adjustments] == [
        ("credit_note", "A-1", D("200.00"), date(2026, 4, 3), "credit for two boxes")]


def test_plan_splits_with_the_remainder_on_the_last(filled, capsys):
    def amounts(total, count, currency):
        return [i.amount for i in split_installments(total, currency, count, date(2026, 4, 15), 30)]

    assert amounts(D("100.00"), 3, "GBP") == [D("33.33"), D("33.33"), D("33.34")]
    assert amounts(D("200.00"), 3, "GBP") == [D("66.67"), D("66.67"), D("66.66")]
    assert amounts(D("1000"), 3, "JPY") == [D("333"), D("333"), D("334")]
    code, out, err = run(capsys, filled, "plan", "acme", "--invoice", "A-1", "--invoice", "A-2", "--installments", "4",
                         "--every", "30", "--first", "2026-04-15", "--on", ON, "--json")
    assert code == 0, err
    plan = json.loads(out)
    assert plan["total"] == "1500.00"
    assert [(i["due"], i["amount"]) for i in plan["installments"]] == [
        ("2026-04-15", "375.00"), ("2026-05-15", "375.00"), ("2026-06-14", "375.00"), ("2026-07-14", "375.00")]
    code, out, _ = run(capsys, filled, "agenda", "--on", "2026-04-13", "--json")
    got = json.loads(out)
    assert [(a["client"], a["kind"], a["template"]) for a in got if a["client"] == "acme"] == [
        ("acme", "installment", "installment_reminder")]
    code, _, err = run(capsys, filled, "plan", "acme", "--invoice", "A-1", "--installments", "2", "--every", "30",
                       "--first", "2026-04-15", "--on", ON)
    assert code == 1 and "already covers" in err
    code, _, err = run(capsys, filled, "plan", "zed", "--invoice", "Z-1", "--installments", "0", "--every", "30",
                       "--first", "2026-04-15", "--on", ON)
    assert code == 1 and "--installments" in err


def test_hostile_names_cannot_drive_the_terminal(book_dir, capsys):
    from store import open_book

    repo = open_book(book_dir, today=date(2026, 4, 1))
    try:
        repo.add_client(Client("evil", "Evil\x1b[2J\x1b]0;pwned\x07\nLtd", "GBP", 30))
        repo.add_invoice(Invoice("E-1", "evil", date(2026, 2, 1), date(2026, 3, 3), "GBP", D("100.00")))
    finally:
        repo.close()
    for cmd in (["agenda"], ["report"]):
        code, out, err = run(capsys, book_dir, *cmd, "--on", ON)
        assert code == 0, err
        assert "\x1b" not in out and "\x07" not in out
    code, out, _ = run(capsys, book_dir, "agenda", "--on", ON, "--json")
    assert json.loads(out)[0]["client_name"] == "Evil\x1b[2J\x1b]0;pwned\x07\nLtd"  # verbatim in JSON


def test_report_text_counts_one_open_invoice_in_the_singular(book_dir, capsys):
    from store import open_book

    with open_book(book_dir, today=date(2026, 4, 1)) as repo:
        repo.add_client(Client("solo", "Solo Ltd", "GBP", 30))
        repo.add_invoice(Invoice("S-1", "solo", date(2026, 3, 2), date(2026, 4, 1), "GBP", D("10.00")))
    code, out, _ = run(capsys, book_dir, "report", "--on", ON)
    assert code == 0 and "GBP: owed 10.00, overdue 0.00 on 1 open invoice\n" in out
