"""Issue 16 item 4: every date the book accepts and every date a command acts on lies in one
window (receivables.dates); a hand-edited date outside it is flagged by `dun check`, and every
other command refuses it in one line instead of overflowing."""
from __future__ import annotations

from datetime import date

import pytest

from receivables.dates import FIRST_DATE, LAST_DATE, parse_date, parse_dmy
from receivables.errors import DunError

from .conftest import REPO
from .hostile_support import ON, edit_book, first, folder_hash, make_book, one_line_refusal, run


@pytest.fixture
def book(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("DUN_BOOK", raising=False)
    return make_book(capsys, tmp_path / "book")


def test_the_window_is_documented_in_the_readme():
    readme = (REPO / "README.md").read_text()
    assert f"{FIRST_DATE.isoformat()} to {LAST_DATE.isoformat()}" in readme


@pytest.mark.parametrize("text", ["9999-12-31", "0001-01-01", "1989-12-31", "2101-01-01"])
def test_dates_outside_the_window_are_refused(text):
    with pytest.raises(DunError, match="outside the dates dun accepts"):
        parse_date(text, "due")
    y, m, d = text.split("-")
    with pytest.raises(DunError, match="outside the dates dun accepts"):
        parse_dmy(f"{d}/{m}/{y}", "DueDate")


def test_the_window_edges_are_accepted():
    assert parse_date("1990-01-01") == FIRST_DATE == date(1990, 1, 1)
    assert parse_date("2100-12-31") == LAST_DATE == date(2100, 12, 31)


COMMANDS = [
    ["promise", "acme-supplies", "10.00", "--by", "9999-12-31", "--on", ON],
    ["agenda", "--on", "9999-12-31"],
    ["agenda", "--on", "0001-01-01"],
    ["report", "--on", "0001-01-01"],
    ["report", "--on", "9999-12-31"],
    ["publish", "--on", "0001-01-01", "--no-pdf"],
    ["client", "list", "--on", "9999-12-31"],
    ["client", "show", "acme-supplies", "--on", "0001-01-01"],
    ["pay", "acme-supplies", "10.00", "--on", "9999-12-31"],
    ["mail", "--on", "9999-12-31"],
    ["plan", "acme-supplies", "--invoice", "INV-1002", "--installments", "3", "--every", "0", "--first", "2026-12-01", "--on", ON],
    ["plan", "acme-supplies", "--invoice", "INV-1002", "--installments", "3", "--every", "9999999", "--first", "2026-12-01", "--on", ON],
    ["plan", "acme-supplies", "--invoice", "INV-1002", "--installments", "9999999", "--every", "30", "--first", "2026-12-01", "--on", ON],
    ["plan", "acme-supplies", "--invoice", "INV-1002", "--installments", "3", "--every", "30", "--first", "2100-12-01", "--on", ON],
    ["demo", "--on", "0001-01-01"],
]


@pytest.mark.parametrize("on", ["2100-12-31", "1990-06-01"])
def test_a_demo_book_stays_inside_the_window(tmp_path, capsys, on):
    one_line_refusal(*run(capsys, "demo", tmp_path / "demo", "--on", on))
    assert not (tmp_path / "demo").exists()


@pytest.mark.parametrize("argv", COMMANDS, ids=lambda a: " ".join(a[:3]))
def test_extreme_dates_and_intervals_are_refused_in_one_line(book, capsys, argv):
    before = folder_hash(book)
    line = one_line_refusal(*run(capsys, *argv, "--book", book))
    assert "OverflowError" not in line
    assert folder_hash(book) == before


@pytest.mark.parametrize("row", [
    "INV-9,acme-supplies,2026-11-01,9999-12-31,10.00,GBP,",
    "INV-9,acme-supplies,9999-01-01,,10.00,GBP,",
    "INV-9,acme-supplies,0001-01-01,2026-12-01,10.00,GBP,",
])
def test_an_import_with_an_extreme_date_is_refused(book, capsys, tmp_path, row):
    f = tmp_path / "inv.csv"
    f.write_text("number,client,issued,due,amount,currency,reference\n" + row + "\n")
    before = folder_hash(book)
    line = one_line_refusal(*run(capsys, "import", "invoices", f, "--book", book))
    assert "row 2" in line and "outside the dates" in line
    assert folder_hash(book) == before


def test_a_due_date_pushed_out_of_the_window_by_long_terms_is_refused(book, capsys, tmp_path):
    f = tmp_path / "clients.csv"
    f.write_text("id,name,email,phone,terms_days,credit_limit,currency\nlate,Late Ltd,,,3650,,GBP\n")
    assert run(capsys, "import", "clients", f, "--book", book)[0] == 0
    f = tmp_path / "inv.csv"
    f.write_text("number,client,issued,due,amount,currency,reference\nINV-9,late,2100-06-01,,10.00,GBP,\n")
    before = folder_hash(book)
    line = one_line_refusal(*run(capsys, "import", "invoices", f, "--on", "2100-06-01", "--book", book))
    assert "outside the dates" in line
    assert folder_hash(book) == before


def _promise_by(value):
    def change(data):
        first(data, "promises")["by"] = value
    return change


def _invoice(field, value):
    def change(data):
        first(data, "invoices", number="INV-1001")[field] = value
    return change


HAND_EDITS = {
    "promise by 9999-12-31": _promise_by("9999-12-31"),
    "invoice due 9999-12-31": _invoice("due", "9999-12-31"),
    "invoice issued 9999-01-01": _invoice("issued", "9999-01-01"),
    "invoice issued 0001-01-01": _invoice("issued", "0001-01-01"),
}


@pytest.mark.parametrize("edit", HAND_EDITS, ids=str)
def test_check_flags_a_stored_date_outside_the_window_and_nothing_overflows(book, capsys, edit):
    edit_book(book, HAND_EDITS[edit])
    before = folder_hash(book)
    code, out, err = run(capsys, "check", "--book", book)
    assert code == 1 and "Traceback" not in err
    assert "outside the dates dun accepts" in out
    for argv in (["agenda"], ["report"], ["client", "list"], ["client", "show", "acme-supplies"],
                 ["publish", "--no-pdf"], ["pay", "acme-supplies", "1.00"]):
        line = one_line_refusal(*run(capsys, *argv, "--on", ON, "--book", book))
        assert "outside the dates dun accepts" in line
    assert folder_hash(book) == before


@pytest.mark.parametrize("text", ["9999-12-31", "0001-01-01"])
def test_the_apps_date_fields_use_the_same_window(text):
    from tui.dialogs.base import date_parser

    with pytest.raises(DunError, match="outside the dates dun accepts"):
        date_parser()(text)


def test_the_store_refuses_a_record_dated_outside_the_window(book):
    from datetime import timedelta
    from decimal import Decimal

    from receivables.model import Invoice
    from store import open_book

    with open_book(book, today=date(2026, 11, 22)) as repo:
        with pytest.raises(DunError, match="outside the dates dun accepts"):
            repo.add_invoice(Invoice(number="INV-FAR", client="acme-supplies", issued=date(2100, 12, 1),
                                     due=date(2100, 12, 1) + timedelta(days=60), currency="GBP",
                                     amount=Decimal("10.00")))


# -- dates that cannot be right for what they date (a slip of the year) ------------------------------

def test_the_store_refuses_a_payment_dated_before_an_invoice_it_is_put_on(book):
    """2016 typed for 2026 put the money on invoices issued in 2026: seen as of any day
    between it counted nowhere, and interest, compensation and the statement came out wrong."""
    from decimal import Decimal

    from receivables.model import Allocation, Payment
    from store import open_book

    before = folder_hash(book)
    with open_book(book, today=date(2026, 11, 22)) as repo:
        with pytest.raises(DunError) as e:
            repo.record_payment(Payment("", date(2016, 11, 20), "acme-supplies", Decimal("99.99"), "GBP",
                                        allocations=(Allocation("INV-1003", Decimal("99.99")),)))
    assert "before INV-1003 was issued (2026-10-01)" in str(e.value) and "year" in str(e.value)
    assert folder_hash(book) == before


def test_check_flags_a_payment_dated_before_an_invoice_it_is_put_on(book, capsys):
    def back_ten_years(data):
        p = next(d for d in data["payments"].values() if d.get("allocations"))
        p["date"] = "2016" + p["date"][4:]
    edit_book(book, back_ten_years)
    code, out, _ = run(capsys, "check", "--book", book)
    assert code == 1 and "was issued" in out and "before" in out


def test_pay_naming_an_invoice_issued_after_the_payment_is_refused(book, capsys):
    before = folder_hash(book)
    line = one_line_refusal(*run(capsys, "pay", "acme-supplies", "10.00", "--invoice", "INV-1003",
                                 "--on", "2026-09-30", "--book", book))
    assert "before INV-1003 was issued (2026-10-01)" in line
    assert folder_hash(book) == before


@pytest.mark.parametrize("by, words", [("2099-01-01", "more than 366 days after 2026-11-22"),
                                       ("2026-11-21", "is before 2026-11-22")])
def test_a_promise_date_a_year_slip_away_is_refused(book, capsys, by, words):
    """A promise "by 2099" took its invoices off the ladder for 73 years."""
    before = folder_hash(book)
    line = one_line_refusal(*run(capsys, "promise", "acme-supplies", "10.00", "--by", by, "--on", ON, "--book", book))
    assert words in line
    assert folder_hash(book) == before
    assert run(capsys, "promise", "acme-supplies", "10.00", "--by", "2027-11-23", "--on", ON, "--book", book)[0] == 0


@pytest.mark.parametrize("kind, row", [
    ("payments", "2026-11-23,acme-supplies,10.00,GBP,x,"),
    ("invoices", "INV-9,acme-supplies,2026-11-23,,10.00,GBP,"),
])
def test_an_import_dated_after_today_is_refused(book, capsys, tmp_path, kind, row):
    head = {"payments": "date,client,amount,currency,reference,invoice",
            "invoices": "number,client,issued,due,amount,currency,reference"}[kind]
    f = tmp_path / f"{kind}.csv"
    f.write_text(head + "\n" + row + "\n")
    before = folder_hash(book)
    line = one_line_refusal(*run(capsys, "import", kind, f, "--on", ON, "--book", book))
    assert "row 2" in line and "after today (2026-11-22)" in line
    assert folder_hash(book) == before
    assert run(capsys, "import", kind, f, "--on", "2026-11-23", "--book", book)[0] == 0
