"""Xero as a sync: a first export, then a later one of the same invoices with payments, a void,
a credit note, an Awaiting Approval row and tax-inclusive lines (tests/data/sync)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal as D
from pathlib import Path

import pytest

from receivables.errors import DunError
from receivables.model import Adjustment, Book, Dispute, Installment, Invoice, PaymentPlan
from receivables.policy import read_policy
from receivables.xero import import_xero

DATA = Path(__file__).parent / "data" / "sync"
FIRST, SECOND = "xero-export-2026-03-02.csv", "xero-export-2026-03-16.csv"
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def repo(tmp_path):
    from store import init_book, open_book

    init_book(tmp_path / "book")
    with open_book(tmp_path / "book", today=date(2026, 3, 17)) as r:
        yield r


def sync(repo, name: str, today: date, **kw):
    r = import_xero((DATA / name).read_bytes(), repo.book(), read_policy(REPO / "policy.toml").defaults, name,
                    today=today, **kw)
    repo.commit(r.records, r.updates)
    return r


def outstanding(book: Book, number: str) -> D:
    from receivables.ledger import derive

    return derive(book.only(book.invoices[number].client), date.max).invoices[number].outstanding


def test_first_export_taxes_and_payments_to_the_penny(repo):
    r = sync(repo, FIRST, date(2026, 3, 3))
    book = repo.book()
    assert sorted(book.invoices) == ["INV-0201", "INV-0202", "INV-0203", "INV-0204", "INV-0205", "INV-0207",
                                     "INV-0209", "INV-0210", "INV-0211", "INV-0212"]
    # never imported, never chased: Awaiting Approval (the CSV label) and Draft
    assert any("INV-0206 is awaiting approval" in s for s in r.skipped)
    assert any("INV-0208 is a draft" in s for s in r.skipped)
    # tax-exclusive lines: the tax is TaxTotal, the lines as given
    inv = book.invoices["INV-0201"]
    assert (inv.amount, inv.tax, [ln.amount for ln in inv.lines]) == (D("1530.00"), D("255.00"),
                                                                     [D("950.00"), D("300.00"), D("25.00")])
    # tax-inclusive lines (LineAmount includes the VAT): stored net of their own TaxAmount
    inv = book.invoices["INV-0204"]
    assert (inv.amount, inv.tax) == (D("360.00"), D("60.00"))
    assert [(ln.amount, ln.unit_amount) for ln in inv.lines] == [(D("100.00"), D("100.0000")), (D("200.00"), D("100.0000"))]
    inv = book.invoices["INV-0211"]
    assert (inv.amount, inv.tax, [ln.amount for ln in inv.lines]) == (D("500.00"), D("83.33"), [D("416.67")])
    # zero-rated: no tax
    assert book.invoices["INV-0210"].tax == D("0")
    # paid before the first import: a payment dated the export's date (in its name), not the invoice date
    (pay,) = book.payments
    assert (pay.client, pay.amount, pay.date, pay.method) == ("kestrel-logistics", D("240.00"), date(2026, 3, 2), "xero")
    assert r.paid_on == date(2026, 3, 2) and "the export's date" in r.summary()
    assert outstanding(book, "INV-0205") == 0


def test_later_export_brings_payments_void_credit_note_and_changes(repo):
    sync(repo, FIRST, date(2026, 3, 3))
    r = sync(repo, SECOND, date(2026, 3, 17))
    book = repo.book()
    assert r.added == ["INV-0213 for harbour-sons-cafe: 95.00 GBP, due 2026-04-08"]
    # paid amounts that grew: payments for the difference, dated the export's date, referenced to the import
    pays = {p.allocations[0].invoice: p for p in book.payments if p.date == date(2026, 3, 16)}
    assert sorted(pays) == ["INV-0202", "INV-0203"]
    assert (pays["INV-0202"].amount, pays["INV-0202"].currency) == (D("600.00"), "GBP")
    assert (pays["INV-0203"].amount, pays["INV-0203"].currency) == (D("1000.00"), "EUR")
    assert SECOND in pays["INV-0202"].reference
    assert outstanding(book, "INV-0202") == 0 and outstanding(book, "INV-0203") == D("1400.00")
    # voided: an adjustment with the reason for what was still owed
    (void,) = [a for a in book.adjustments if a.invoice == "INV-0204"]
    assert (void.kind, void.amount, void.reason) == ("adjustment", D("360.00"), f"Voided in Xero ({SECOND})")
    assert outstanding(book, "INV-0204") == 0
    # the credit note, allocated to the invoice its reference names
    (cn,) = [a for a in book.adjustments if a.invoice == "INV-0207"]
    assert (cn.kind, cn.amount, cn.reason) == ("credit_note", D("120.00"), f"Xero credit note CN-0001 ({SECOND})")
    assert outstanding(book, "INV-0207") == D("360.00")
    # changed total and due date applied and reported
    inv = book.invoices["INV-0201"]
    assert (inv.amount, inv.tax, inv.due) == (D("1440.00"), D("240.00"), date(2026, 4, 18))
    assert r.updated == ["INV-0201: total 1530.00 -> 1440.00, due 2026-04-04 -> 2026-04-18, tax, lines"]
    assert "INV-0206" not in book.invoices and "INV-0208" not in book.invoices
    assert repo.check() == []


def test_importing_the_same_export_again_changes_nothing(repo):
    sync(repo, FIRST, date(2026, 3, 3))
    sync(repo, SECOND, date(2026, 3, 17))
    before = repo.book()
    r = sync(repo, SECOND, date(2026, 3, 17))
    assert (r.records, r.updates, r.added, r.paid, r.voided, r.credited, r.updated) == ([], [], [], [], [], [], [])
    assert r.unchanged == 12 and len(r.skipped) == 2
    assert repo.book() == before


def test_an_older_export_than_the_last_is_refused(repo):
    sync(repo, FIRST, date(2026, 3, 3))
    sync(repo, SECOND, date(2026, 3, 17))
    with pytest.raises(DunError) as e:
        sync(repo, FIRST, date(2026, 3, 18))
    assert "older than the last one imported" in str(e.value)


def test_nothing_paid_or_voided_is_chased(repo):
    from receivables.agenda import build_agenda

    sync(repo, FIRST, date(2026, 3, 3))
    sync(repo, SECOND, date(2026, 3, 17))
    policy = read_policy(REPO / "policy.toml")
    chased = {n for a in build_agenda(repo.book(), policy, date(2026, 5, 29)) for n in a.invoices}
    assert chased  # the ladder does run on what is still owed
    assert not chased & {"INV-0202", "INV-0204", "INV-0205", "INV-0206", "INV-0208"}
    assert chased <= {"INV-0201", "INV-0203", "INV-0207", "INV-0209", "INV-0210", "INV-0211", "INV-0212", "INV-0213"}


def test_a_void_closes_the_invoices_open_follow_ups(repo):
    sync(repo, FIRST, date(2026, 3, 3))
    d = repo.open_dispute(Dispute("", "INV-0204", "kestrel-logistics", "route wrong", date(2026, 3, 5)))
    plan = repo.add_plan(PaymentPlan("", "kestrel-logistics", date(2026, 3, 5), "GBP", ("INV-0204",),
                                     (Installment(date(2026, 4, 1), D("360.00")),)))
    sync(repo, SECOND, date(2026, 3, 17))
    book = repo.book()
    assert next(x for x in book.disputes if x.id == d.id).resolved == date(2026, 3, 17)
    assert next(x for x in book.plans if x.id == plan.id).cancelled == date(2026, 3, 17)


@pytest.mark.parametrize("label", ["Awaiting Approval", "SUBMITTED", "Draft", "DRAFT", "Voided", "VOIDED", "Deleted"])
def test_statuses_that_are_never_chased_csv_labels_and_api_names(label):
    text = (DATA / FIRST).read_text().replace("Sent,Awaiting Payment", f"Sent,{label}").replace("Sent,Paid", f"Sent,{label}")
    r = import_xero(text, Book(), today=date(2026, 3, 3))
    assert not [x for x in r.records if isinstance(x, Invoice)]


def test_tax_total_is_used_not_the_total_less_the_lines():
    head = (DATA / FIRST).read_text().splitlines()[0]
    row = ("Acme Ltd,,,,,,,INV-9,,01/03/2026,31/03/2026,{total},{tax},0.00,{total},,Work,1.0000,100.0000,,100.00,"
           "200,20% (VAT on Income),{tax},,,GBP,Sales invoice,Sent,Awaiting Payment")
    # Total 130, line 100, TaxTotal 20: the lines and tax cannot make the total; never stored as tax 30
    with pytest.raises(DunError) as e:
        import_xero(head + "\n" + row.format(total="130.00", tax="20.00"), Book(), source="x.csv")
    assert "x.csv row 2 (Total)" in str(e.value) and "do not make the Total 130.00" in str(e.value)
    r = import_xero(head + "\n" + row.format(total="120.00", tax="20.00"), Book(), today=date(2026, 3, 3))
    (inv,) = [x for x in r.records if isinstance(x, Invoice)]
    assert (inv.amount, inv.tax, inv.lines[0].amount) == (D("120.00"), D("20.00"), D("100.00"))


def test_paid_on_dates_the_payments_and_a_missing_column_is_named(repo):
    r = import_xero((DATA / FIRST).read_bytes(), Book(), source=FIRST, today=date(2026, 3, 3), paid_on=date(2026, 2, 20))
    (pay,) = [x for x in r.records if type(x).__name__ == "Payment"]
    assert pay.date == date(2026, 2, 20) and "--paid-on" in r.summary()
    text = (DATA / FIRST).read_text().replace("InvoiceAmountPaid", "AmountPaid")
    with pytest.raises(DunError) as e:
        import_xero(text, Book(), source="x.csv")
    assert str(e.value).startswith("x.csv row 1: missing column InvoiceAmountPaid")


def test_without_a_date_in_the_file_payments_are_dated_today():
    r = import_xero((DATA / FIRST).read_bytes(), Book(), source="export.csv", today=date(2026, 3, 9))
    assert r.paid_on == date(2026, 3, 9) and "today" in r.summary()
    assert [x.date for x in r.records if type(x).__name__ == "Payment"] == [date(2026, 3, 9)]


def test_an_unallocated_credit_note_is_client_credit_then_moves_to_the_invoice_it_pays():
    head, *rows = (DATA / SECOND).read_text().splitlines()
    cn = [x for x in rows if "CN-0001" in x]
    inv7 = [x for x in rows if "INV-0207" in x and "CN-0001" not in x]
    book = Book()
    from receivables.imports import apply

    first = import_xero("\n".join([head, *[x.replace("480.00,80.00,0.00,360.00", "480.00,80.00,0.00,480.00")
                                          for x in inv7], *[c.replace(",INV-0207,", ",,") for c in cn]]), book,
                        today=date(2026, 3, 12))
    book = apply(book, first.records, first.updates)
    (credit,) = [a for a in book.adjustments if isinstance(a, Adjustment)]
    assert credit.invoice is None and credit.amount == D("120.00")
    then = import_xero("\n".join([head, *inv7, *cn]), book, today=date(2026, 3, 17))
    book = apply(book, then.records, then.updates)
    assert outstanding(book, "INV-0207") == D("360.00")
    # the client credit moved to the invoice: counted once, so the balance is Xero's 360
    assert sum((a.amount for a in book.adjustments if a.invoice is None), D(0)) == 0
    again = import_xero("\n".join([head, *inv7, *cn]), book, today=date(2026, 3, 17))
    assert again.records == [] and again.updates == []


@pytest.mark.parametrize("column, length, words", [
    ("*ContactName", 700, "row 2: name is 700 characters long (at most 500)"),
    ("Reference", 600, "row 2: reference is 600 characters long (at most 500)"),
])
def test_a_contact_name_or_reference_too_long_is_named_on_its_row(column, length, words):
    """The store refuses such a record; the import names the row (it said "record 1").
    The first export's first invoice, its contact name or reference made too long."""
    import csv
    import io

    from receivables.imports import ImportRejected

    rows = list(csv.reader(io.StringIO((DATA / FIRST).read_text(encoding="utf-8"))))
    col, number = rows[0].index(column), rows[1][rows[0].index("*InvoiceNumber")]
    for r in rows[1:]:
        if r[rows[0].index("*InvoiceNumber")] == number:
            r[col] = "X" * length
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    with pytest.raises(ImportRejected) as e:
        import_xero(out.getvalue().encode(), Book(), read_policy(REPO / "policy.toml").defaults, FIRST,
                    today=date(2026, 3, 3))
    assert words in str(e.value) and "correct it in Xero, then export again" in str(e.value)


@pytest.mark.parametrize("label", ["foo", "<b>weird</b>", "Paid-ish"])
def test_a_status_xero_does_not_have_is_refused_not_imported_and_chased(label):
    from receivables.errors import DunError

    text = (DATA / FIRST).read_text().replace("Sent,Awaiting Payment", f"Sent,{label}")
    with pytest.raises(DunError) as e:
        import_xero(text, Book(), today=date(2026, 3, 3))
    assert "is not one of Xero's" in str(e.value) and "\n" not in str(e.value)
    for known in ("Awaiting Payment", "AUTHORISED", "Paid", "PAID", "Approved"):
        text = (DATA / FIRST).read_text().replace("Sent,Awaiting Payment", f"Sent,{known}")
        assert [x for x in import_xero(text, Book(), today=date(2026, 3, 3)).records if isinstance(x, Invoice)]


def _paid_then(status_paid_due: str) -> tuple:
    """INV-0205 paid in full by a first export, then the same row changed."""
    from receivables.imports import apply

    head, *rows = (DATA / FIRST).read_text().splitlines()
    (row,) = [x for x in rows if ",INV-0205," in x]
    book = apply(Book(), *(lambda r: (r.records, r.updates))(import_xero("\n".join([head, row]), Book(),
                                                                           today=date(2026, 3, 3))))
    assert outstanding(book, "INV-0205") == 0
    changed = row.replace("240.00,40.00,240.00,0.00,", status_paid_due[0]).replace(",Sent,Paid", status_paid_due[1])
    return book, import_xero("\n".join([head, changed]), book, today=date(2026, 3, 17))


def test_a_payment_reversed_in_xero_is_said_not_passed_over():
    """A payment Xero no longer shows (reversed) was counted as 'unchanged', without a word,
    and the invoice stayed paid and was never chased."""
    book, r = _paid_then(("240.00,40.00,0.00,240.00,", ",Sent,Awaiting Payment"))
    assert r.unchanged == 0 and not r.records
    (line,) = r.skipped
    assert line.startswith("INV-0205: Xero shows 0.00 GBP paid, the book 240.00") and "dun void" in line


def test_an_invoice_voided_in_xero_but_paid_in_the_book_is_said_not_passed_over():
    book, r = _paid_then(("240.00,40.00,0.00,0.00,", ",Sent,Voided"))
    assert r.unchanged == 0 and not r.records
    (line,) = r.skipped
    assert line.startswith("INV-0205 is voided in Xero but 240.00 GBP is paid on it in the book")
