"""Imports as pure functions over in-memory books: parsing, all-or-nothing, idempotency,
allocation (oldest due first, earlier rows of the same file), Xero multi-line invoices."""
from __future__ import annotations

import csv
import io

from datetime import date, timedelta
from decimal import Decimal

import pytest

from receivables.errors import DunError
from receivables.imports import (
    ImportRejected,
    apply,
    import_clients,
    import_invoices,
    import_payments,
    import_xero,
)
from receivables.ledger import derive
from receivables.model import Adjustment, Allocation, Book, Client, Invoice, Payment
from receivables.policy import Defaults
from receivables.validate import check_book

from .conftest import REPO

DATA = REPO / "tests" / "data"
D = Decimal


def data(name: str) -> bytes:
    return (DATA / name).read_bytes()


def base_book() -> Book:
    b = apply(Book(), import_clients(data("clients.csv"), Book()).records)
    b = apply(b, import_invoices(data("invoices.csv"), b).records)
    return b


def csv_text(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode("utf-8")


INV_HEAD = "number,client,issued,due,amount,currency,reference"
PAY_HEAD = "date,client,amount,currency,reference,invoice"
CLI_HEAD = "id,name,email,phone,terms_days,credit_limit,currency"


# -- clients -------------------------------------------------------------------------------------

def test_clients_are_read_with_defaults_and_verbatim_names():
    r = import_clients(data("clients.csv"), Book(), Defaults(terms_days=21, currency="GBP"))
    got = {c.id: c for c in r.records}
    assert list(got) == ["acme-supplies", "o-neill", "muller", "cafe"]
    assert got["acme-supplies"].credit_limit == D("5000.00")
    assert got["acme-supplies"].email == "ann@acme.example"
    assert got["o-neill"].name == "O'Neill & Daughters \"Joinery\" <Ltd>"
    assert got["o-neill"].credit_limit is None and got["o-neill"].email == ""
    assert got["muller"].currency == "EUR" and got["muller"].credit_limit == D("20000.00")
    assert got["cafe"].name == "Café Olé\n(the one on the harbour)"
    assert got["cafe"].terms_days == 21 and got["cafe"].currency == "GBP"  # policy defaults


def test_a_clients_contact_name_is_read_and_greets_in_the_messages():
    """The clients file had no column for the person to greet: every message to an imported
    client began "Hello," and the call script said "Call Acme Ltd"."""
    from receivables.exports import client_rows

    text = csv_text(CLI_HEAD + ",contact", "acme,Acme Ltd,ap@acme.example,,30,,GBP,Jane Doe",
                    "zed,Zed Ltd,,,30,,GBP,")
    r = import_clients(text, Book())
    got = {c.id: c for c in r.records}
    assert got["acme"].contacts[0].name == "Jane Doe" and got["acme"].email == "ap@acme.example"
    assert got["zed"].contacts == ()
    b = apply(Book(), r.records)
    head, rows, _ = client_rows(b)
    assert head[-1] == "contact" and [row[-1] for row in rows] == ["Jane Doe", ""]
    assert import_clients(text, b).skipped == 2  # the same file again: nothing new
    # a file without the column leaves the book's contact as it is; another name is a conflict
    assert import_clients(csv_text(CLI_HEAD, "acme,Acme Ltd,ap@acme.example,,30,,GBP"), b).skipped == 1
    with pytest.raises(DunError) as e:
        import_clients(csv_text(CLI_HEAD + ",contact", "acme,Acme Ltd,ap@acme.example,,30,,GBP,Joe Bloggs"), b)
    assert "different contact" in str(e.value)


def test_client_id_made_from_the_name_when_empty():
    text = csv_text(CLI_HEAD, ",Harbour Lights Hotel Ltd,,,,,", ",Harbour Lights Hotel plc,,,,,")
    r = import_clients(text, Book())
    assert [c.id for c in r.records] == ["harbour-lights-hotel", "harbour-lights-hotel-2"]
    b = apply(Book(), r.records)
    again = import_clients(text, b)  # the same names find the same clients
    assert again.records == () and again.skipped == 2
    other = import_clients(csv_text(CLI_HEAD, ",Harbour Lights Hotel LLP,,,,,"), b)
    assert [c.id for c in other.records] == ["harbour-lights-hotel-3"]


def test_the_summary_counts_in_words():
    one = import_clients(csv_text(CLI_HEAD, "acme,Acme Ltd,,,30,,GBP"), Book())
    assert one.summary().endswith("added 1 client; 0 already in the book")
    two = import_clients(csv_text(CLI_HEAD, "acme,Acme Ltd,,,30,,GBP", "beta,Beta Ltd,,,30,,GBP"), Book())
    assert two.summary().endswith("added 2 clients; 0 already in the book")
    assert import_clients(csv_text(CLI_HEAD, "acme,Acme Ltd,,,30,,GBP"), apply(Book(), one.records)).summary() \
        .endswith("added nothing new; 1 already in the book")


def test_client_import_is_idempotent_and_refuses_changed_details():
    b = apply(Book(), import_clients(data("clients.csv"), Book()).records)
    again = import_clients(data("clients.csv"), b)
    assert again.records == () and again.skipped == 4
    changed = data("clients.csv").replace(b"Acme Supplies Ltd", b"Acme Supplies plc")
    with pytest.raises(ImportRejected) as e:
        import_clients(changed, b)
    assert "row 2" in str(e.value) and "different name" in str(e.value)


@pytest.mark.parametrize("row, words", [
    ("Bad Id!,X,,,30,,GBP", "not a client id"),
    ("x,,,,30,,GBP", "name is empty"),
    ("x,X,not-an-email,,30,,GBP", "not an e-mail"),
    ("x,X,,,thirty,,GBP", "not a number of days"),
    ("x,X,,,-1,,GBP", "not a number of days"),
    ("x,X,,,30,-5,GBP", "negative"),
    ("x,X,,,30,10.001,GBP", "more decimals"),
    ("x,X,,,30,,XYZ", "unknown currency"),
    ("x," + "N" * 501 + ",,,30,,GBP", "name is 501 characters long (at most 500); correct it in the file"),
])
def test_bad_client_rows(row, words):
    with pytest.raises(ImportRejected) as e:
        import_clients(csv_text(CLI_HEAD, "ok,Fine Ltd,,,30,,GBP", row), Book())
    assert "row 3" in str(e.value) and words in str(e.value)


# -- invoices ------------------------------------------------------------------------------------------

def test_invoices_due_defaults_to_client_terms_and_currency():
    b = base_book()
    assert b.invoices["INV-1002"].due == date(2026, 10, 1)  # 2026-09-01 + 30 days
    assert b.invoices["INV-1002"].currency == "GBP"
    assert b.invoices["INV-3001"].due == date(2026, 11, 3)  # o-neill: 14 days
    assert b.invoices["INV-2001"].amount == D("2400.00") and b.invoices["INV-2001"].currency == "EUR"
    assert check_book(b) == []


def test_invoice_import_is_idempotent():
    b = base_book()
    again = import_invoices(data("invoices.csv"), b)
    assert again.records == () and again.skipped == 5


def test_an_exported_invoice_with_tax_and_lines_imports_back_as_the_same_invoice():
    """The file has no tax or lines: an invoice entered with them (in the app, from Xero) and
    exported is the same invoice when its row comes back; a row that differs in what the file
    does say is still refused."""
    from dataclasses import replace

    from receivables.exports import export_rows
    from receivables.model import InvoiceLine

    b = base_book()
    inv = b.invoices["INV-2001"]
    taxed = replace(inv, tax=D("400.00"), lines=(InvoiceLine("Design work", D("1"), D("2000.00"), D("2000.00")),))
    b = replace(b, invoices={**b.invoices, inv.number: taxed})
    columns, rows, _ = export_rows(b, "invoices")
    out = io.StringIO()
    csv.writer(out).writerows([columns, *rows])
    text = out.getvalue().encode()
    again = import_invoices(text, b)
    assert again.records == () and again.skipped == len(b.invoices)
    with pytest.raises(ImportRejected) as e:
        import_invoices(text.replace(b"2400.00", b"2400.01"), b)
    assert "INV-2001" in str(e.value) and "amount" in str(e.value)


def test_same_number_different_content_names_the_row_and_field():
    b = base_book()
    text = data("invoices.csv").replace(b"99.99", b"99.98")
    with pytest.raises(ImportRejected) as e:
        import_invoices(text, b)
    assert "row 4" in str(e.value) and "amount" in str(e.value)


def test_duplicate_number_in_one_file():
    b = apply(Book(), import_clients(data("clients.csv"), Book()).records)
    text = csv_text(INV_HEAD, "A-1,acme-supplies,2026-01-01,,10.00,,", "A-1,acme-supplies,2026-01-02,,10.00,,")
    with pytest.raises(ImportRejected) as e:
        import_invoices(text, b)
    assert "row 3" in str(e.value) and "duplicate invoice number" in str(e.value) and "row 2" in str(e.value)


BAD_AMOUNTS = ["-5.00", "abc", "10.001", "NaN", "Infinity", "1e999999", "1_000", "\u0661\u0660", "12,50",
               "£10", "", " ", "0", "1e3", "+5", "0x10", "10.", ".5e1"]


@pytest.mark.parametrize("amount", BAD_AMOUNTS)
def test_bad_invoice_amounts_reject_the_file(amount):
    b = apply(Book(), import_clients(data("clients.csv"), Book()).records)
    text = csv_text(INV_HEAD, "A-1,acme-supplies,2026-01-01,,10.00,,", f'A-2,acme-supplies,2026-01-01,,"{amount}",,')
    with pytest.raises(ImportRejected) as e:
        import_invoices(text, b)
    msg = str(e.value)
    assert "row 3" in msg and "(amount)" in msg
    assert "\n" not in msg


@pytest.mark.parametrize("row, words", [
    ("A-2,nobody,2026-01-01,,10.00,,", "unknown client 'nobody'"),
    ("A-2,acme-supplies,2026-01-01,2025-12-31,10.00,,", "before the issue date"),
    ("A-2,acme-supplies,01/02/2026,,10.00,,", "YYYY-MM-DD"),
    ("A-2,acme-supplies,2026-02-30,,10.00,,", "not a real date"),
    ("A-2,acme-supplies,2026-01-01,,10.00,XXX,", "unknown currency"),
    ("A-2,acme-supplies,2026-01-01,,10.5,JPY,", "more decimals than JPY"),
    (",acme-supplies,2026-01-01,,10.00,,", "number is empty"),
    ("A-2,acme-supplies,2026-01-01,,10.00", "has 5 fields but the header has 7"),
    ("A-2,acme-supplies,2026-01-01,,10.00,," + "R" * 501, "reference is 501 characters long"),
])
def test_bad_invoice_rows(row, words):
    b = apply(Book(), import_clients(data("clients.csv"), Book()).records)
    with pytest.raises(ImportRejected if "fields" not in words else DunError) as e:
        import_invoices(csv_text(INV_HEAD, "A-1,acme-supplies,2026-01-01,,10.00,,", row), b)
    assert "row 3" in str(e.value) and words in str(e.value)


def test_every_bad_row_is_counted_and_the_first_is_named():
    b = apply(Book(), import_clients(data("clients.csv"), Book()).records)
    text = csv_text(INV_HEAD, "A-1,nobody,2026-01-01,,10.00,,", "A-2,acme-supplies,2026-01-01,,NaN,,")
    with pytest.raises(ImportRejected) as e:
        import_invoices(text, b)
    assert len(e.value.problems) == 2
    assert "row 2" in str(e.value) and "1 more problem" in str(e.value)


@pytest.mark.parametrize("name, words", [
    ("bad_missing_column.csv", "missing column due"),
    ("bad_unknown_column.csv", "unknown column 'vat'"),
])
def test_columns_are_checked(name, words):
    b = base_book()
    with pytest.raises(DunError) as e:
        import_invoices(data(name), b, source=name)
    assert words in str(e.value) and "row 1" in str(e.value)


def test_not_utf8_is_one_clear_error_and_a_bom_is_fine():
    with pytest.raises(DunError) as e:
        import_clients(data("bad_not_utf8.csv"), Book(), source="bad_not_utf8.csv")
    assert "not UTF-8" in str(e.value) and "\n" not in str(e.value)
    r = import_clients(b"\xef\xbb\xbf" + data("clients.csv"), Book())
    assert len(r.records) == 4 and r.records[0].id == "acme-supplies"
    with pytest.raises(DunError) as e:  # (a spreadsheet's "Unicode text": the hint names it)
        import_clients(data("clients.csv").decode().encode("utf-16"), Book(), source="clients.csv")
    assert "is UTF-16 text, not UTF-8" in str(e.value)


def test_empty_and_nul_files_are_refused():
    for text in (b"", b"\n\n", b"id,name\x00,x\n"):
        with pytest.raises(DunError):
            import_clients(text, Book())


# -- payments ----------------------------------------------------------------------------------------------

def test_payments_allocate_oldest_due_first_over_the_book_and_earlier_rows():
    b = base_book()
    r = import_payments(data("payments.csv"), b)
    p1, p2, p3 = r.records
    assert [(a.invoice, a.amount) for a in p1.allocations] == [("INV-1001", D("1000.00"))]
    # the second row sees that INV-1001 has only 200.00 left after the first row
    assert [(a.invoice, a.amount) for a in p2.allocations] == [("INV-1001", D("200.00")), ("INV-1002", D("200.00"))]
    assert [(a.invoice, a.amount) for a in p3.allocations] == [("INV-2001", D("2400.00"))]
    assert r.warnings == ()
    after = apply(b, r.records)
    ledger = derive(after, date(2026, 11, 22))
    assert ledger.invoices["INV-1001"].status == "paid"
    assert ledger.invoices["INV-1002"].outstanding == D("100.50")
    assert ledger.invoices["INV-1002"].status == "part-paid"
    assert ledger.invoices["INV-1003"].outstanding == D("99.99")
    assert ledger.position("acme-supplies", "GBP").balance == D("1600.49") - D("1400.00")
    assert check_book(after) == []


def test_payment_import_is_idempotent_even_with_identical_rows():
    b = base_book()
    text = csv_text(PAY_HEAD, "2026-09-20,acme-supplies,10.00,GBP,,", "2026-09-20,acme-supplies,10.00,GBP,,")
    first = import_payments(text, b)
    assert len(first.records) == 2  # two identical payments on one day are two payments
    after = apply(b, first.records)
    again = import_payments(text, after)
    assert again.records == () and again.skipped == 2
    longer = text + b"2026-09-20,acme-supplies,10.00,GBP,,\n"
    third = import_payments(longer, after)
    assert len(third.records) == 1 and third.skipped == 2


def test_a_row_naming_other_invoices_than_the_payment_in_the_book_is_refused():
    """README: a row already in the book is skipped when it agrees on the file's columns and
    refused, naming the column, when it does not; a row moved to another invoice was skipped
    as "already in the book"."""
    b = base_book()
    text = csv_text(PAY_HEAD, "2026-11-20,acme-supplies,200.00,GBP,BACS A,INV-1002")
    after = apply(b, import_payments(text, b).records)
    again = import_payments(text, after)
    assert again.records == () and again.skipped == 1
    assert import_payments(csv_text(PAY_HEAD, "2026-11-20,acme-supplies,200.00,GBP,BACS A,"), after).skipped == 1
    with pytest.raises(ImportRejected) as e:
        import_payments(text.replace(b"INV-1002", b"INV-1001"), after)
    assert "row 2 (invoice)" in str(e.value) and "already in the book on INV-1002, not on INV-1001" in str(e.value)


def test_a_file_with_a_repeated_row_naming_an_invoice_imports_again_as_nothing_new():
    """Two identical rows naming one invoice: the second finds it paid and becomes client
    credit (two payments, as always); importing the file again was refused, because the
    second payment is 'on no invoice', not on the one the row names."""
    b = base_book()
    text = csv_text(PAY_HEAD, "2026-11-28,acme-supplies,300.50,GBP,BACS 991,INV-1002",
                    "2026-11-28,acme-supplies,300.50,GBP,BACS 991,INV-1002")
    first = import_payments(text, b)
    assert len(first.records) == 2 and first.warnings
    again = import_payments(text, apply(b, first.records))
    assert again.records == () and again.skipped == 2


def test_an_invoice_number_differing_only_in_case_is_refused():
    """'inv-1001' beside INV-1001 was added as a second invoice, and both were chased."""
    b = base_book()
    with pytest.raises(ImportRejected) as e:
        import_invoices(csv_text(INV_HEAD, "inv-1001,acme-supplies,2026-08-01,2026-08-31,1200.00,GBP,PO 77"), b)
    assert "row 2 (number)" in str(e.value) and "differs from 'INV-1001' in the book only in case" in str(e.value)
    with pytest.raises(ImportRejected) as e:
        import_invoices(csv_text(INV_HEAD, "A-9,acme-supplies,2026-08-01,,1.00,,", "a-9,acme-supplies,2026-08-01,,1.00,,"), b)
    assert "row 3 (number)" in str(e.value)


def test_overpayment_is_kept_as_credit_with_a_warning():
    b = base_book()
    r = import_payments(csv_text(PAY_HEAD, "2026-11-01,o-neill,1000.00,,BACS,"), b)
    (p,) = r.records
    assert [(a.invoice, a.amount) for a in p.allocations] == [("INV-3001", D("750.00"))]
    assert p.unallocated == D("250.00")
    assert len(r.warnings) == 1 and "250.00 GBP" in r.warnings[0] and "credit" in r.warnings[0]
    ledger = derive(apply(b, r.records), date(2026, 11, 22))
    assert ledger.position("o-neill", "GBP").balance == D("-250.00")


def test_payment_before_an_invoice_is_issued_is_not_allocated_to_it():
    b = base_book()
    r = import_payments(csv_text(PAY_HEAD, "2026-10-10,o-neill,100.00,,early,"), b)
    assert r.records[0].allocations == () and r.warnings


def test_named_invoices_are_paid_in_order_given():
    b = base_book()
    r = import_payments(csv_text(PAY_HEAD, "2026-11-01,acme-supplies,150.00,GBP,x,INV-1003;INV-1002"), b)
    assert [(a.invoice, a.amount) for a in r.records[0].allocations] == [("INV-1003", D("99.99")), ("INV-1002", D("50.01"))]


@pytest.mark.parametrize("row, words", [
    ("2026-11-01,nobody,10.00,GBP,,", "unknown client"),
    ("2026-11-01,acme-supplies,10.00,GBP,,INV-2001", "no invoice 'INV-2001' for client 'acme-supplies'"),
    ("2026-11-01,muller,10.00,GBP,,INV-2001", "is in EUR"),
    ("2026-11-01,acme-supplies,10.00,GBP,,INV-1001;INV-1001", "named twice"),
    ("2026-11-01,acme-supplies,-10.00,GBP,,", "negative"),
    ("2026-11-01,acme-supplies,10.001,GBP,,", "more decimals"),
    ("2026-11-01,acme-supplies,1_000,GBP,,", "not an amount"),
    ("1/11/2026,acme-supplies,10.00,GBP,,", "YYYY-MM-DD"),
    ("2026-11-01,acme-supplies,10.00,GBX,,", "unknown currency"),
    ("2026-11-01,acme-supplies,10.00,GBP," + "R" * 501 + ",", "reference is 501 characters long"),
])
def test_bad_payment_rows(row, words):
    with pytest.raises(ImportRejected) as e:
        import_payments(csv_text(PAY_HEAD, "2026-11-01,acme-supplies,1.00,GBP,,", row), base_book())
    assert "row 3" in str(e.value) and words in str(e.value)


# -- Xero -------------------------------------------------------------------------------------------------------

def test_xero_multi_line_invoice_with_part_payment():
    r = import_xero(data("xero_invoices.csv"), Book(), today=date(2026, 3, 20))
    clients = [x for x in r.records if isinstance(x, Client)]
    invoices = {x.number: x for x in r.records if isinstance(x, Invoice)}
    payments = [x for x in r.records if isinstance(x, Payment)]
    assert [c.id for c in clients] == ["harbour-sons-cafe", "muller-prazision"]
    assert clients[0].name == "Harbour & Sons Café Ltd" and clients[0].email == "accounts@harbour-sons.example"
    assert clients[0].terms_days == 30 and clients[0].address.startswith("1 Quay Street\nUnit 4\nBristol")
    assert clients[1].name == 'Müller "Präzision" GmbH' and clients[1].currency == "EUR"
    inv = invoices["INV-0101"]
    assert len(inv.lines) == 3
    assert [ln.amount for ln in inv.lines] == [D("950.00"), D("300.00"), D("25.00")]
    assert inv.lines[2].description == "Support hours\n(February)"
    assert inv.lines[1].quantity == D("12") and inv.lines[1].unit_amount == D("25")
    assert inv.amount == D("1530.00") and inv.tax == D("255.00")
    assert inv.issued == date(2026, 2, 3) and inv.due == date(2026, 3, 5) and inv.reference == "PO 7731"
    assert "INV-0104" not in invoices and any("INV-0104" in s for s in r.skipped)  # a draft
    book = apply(Book(), r.records)
    assert check_book(book) == []
    ledger = derive(book, date(2026, 11, 22))
    assert ledger.invoices["INV-0101"].outstanding == D("1030.00")  # = InvoiceAmountDue
    assert ledger.invoices["INV-0101"].status == "part-paid"
    assert ledger.invoices["INV-0103"].status == "paid"
    assert ledger.invoices["INV-0102"].outstanding == D("2400.00")
    assert [p.amount for p in payments] == [D("500.00"), D("120.00")]
    # the export carries no payment dates: dated the day of the import, never the invoice date
    assert [p.date for p in payments] == [date(2026, 3, 20)] * 2


def test_xero_import_is_idempotent_and_matches_clients_by_name():
    first = import_xero(data("xero_invoices.csv"), Book(), today=date(2026, 3, 20))
    book = apply(Book(), first.records)
    again = import_xero(data("xero_invoices.csv"), book, today=date(2026, 3, 20))
    assert again.records == [] and again.updates == [] and again.unchanged == 3


def test_xero_credited_part_becomes_a_credit_note():
    text = data("xero_invoices.csv").decode().replace("1530.00,255.00,500.00,1030.00", "1530.00,255.00,500.00,930.00")
    r = import_xero(text, Book(), today=date(2026, 3, 20))
    (adj,) = [x for x in r.records if isinstance(x, Adjustment)]
    assert adj.kind == "credit_note" and adj.amount == D("100.00") and adj.invoice == "INV-0101"
    ledger = derive(apply(Book(), r.records), date(2026, 11, 22))
    assert ledger.invoices["INV-0101"].outstanding == D("930.00")


def test_xero_missing_required_column_is_named():
    with pytest.raises(DunError) as e:
        import_xero(data("xero_missing_column.csv"), Book(), source="xero_missing_column.csv")
    assert "missing column Total" in str(e.value)


def test_xero_rows_of_one_invoice_must_agree():
    text = data("xero_invoices.csv").decode().splitlines()
    text[2] = text[2].replace("03/02/2026", "04/02/2026")
    with pytest.raises(ImportRejected) as e:
        import_xero("\n".join(text), Book())
    assert "row 3" in str(e.value) and "InvoiceDate" in str(e.value)


def test_xero_changed_lines_update_the_invoice():
    book = apply(Book(), import_xero(data("xero_invoices.csv"), Book()).records)
    text = data("xero_invoices.csv").decode().replace("Hosting, 12 months", "Hosting, 1 year")
    r = import_xero(text, book)
    (inv,) = r.updates[:1]
    assert inv.number == "INV-0101" and inv.lines[1].description == "Hosting, 1 year"
    assert r.updated == ["INV-0101: lines"] and not r.paid


@pytest.mark.parametrize("old, new, words", [
    ("03/02/2026,05/03/2026,1530.00", "2026-02-03,05/03/2026,1530.00", "DD/MM/YYYY"),
    ("03/02/2026,05/03/2026,1530.00", "03/04/2026,05/03/2026,1530.00", "before the invoice date"),
    ("1530.00,255.00,500.00,1030.00", "1530.00,255.00,600.00,1030.00", "more than the total"),
    ("1530.00,255.00,500.00,1030.00", "1,530.00,255.00,500.00,1030.00", "fields"),
    ("1530.00,255.00,500.00,1030.00", "1530.001,255.00,500.00,1030.00", "more decimals"),
])
def test_xero_bad_values(old, new, words):
    text = data("xero_invoices.csv").decode().replace(old, new)
    with pytest.raises(DunError) as e:
        import_xero(text, Book())
    assert words in str(e.value)


# -- property: allocation never loses or invents a penny ---------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=60, deadline=None)
@given(
    invoices=st.lists(st.tuples(st.integers(1, 300), st.integers(0, 60), st.integers(1, 500_000)), min_size=1, max_size=6),
    payments=st.lists(st.tuples(st.integers(0, 400), st.integers(1, 600_000)), min_size=1, max_size=6),
)
def test_payment_rows_allocate_exactly(invoices, payments):
    b = apply(Book(), import_clients(csv_text(CLI_HEAD, "c,C Ltd,,,30,,GBP"), Book()).records)
    start = date(2025, 1, 1)
    inv_rows = [f"I-{k},c,{start + timedelta(days=d)},{start + timedelta(days=d + t)},{D(p) / 100:.2f},,"
                for k, (d, t, p) in enumerate(invoices)]
    b = apply(b, import_invoices(csv_text(INV_HEAD, *inv_rows), b).records)
    pay_rows = [f"{start + timedelta(days=d)},c,{D(p) / 100:.2f},GBP,r{k}," for k, (d, p) in enumerate(payments)]
    r = import_payments(csv_text(PAY_HEAD, *pay_rows), b)
    after = apply(b, r.records)
    assert check_book(after) == []
    total_paid = sum(p.amount for p in r.records)
    total_alloc = sum(a.amount for p in r.records for a in p.allocations)
    credit = sum(p.unallocated for p in r.records)
    assert total_alloc + credit == total_paid and credit >= 0
    ledger = derive(after, date.max)
    invoiced = sum(i.amount for i in after.invoices.values())
    outstanding = sum(s.outstanding for s in ledger.invoices.values())
    assert all(s.outstanding >= 0 for s in ledger.invoices.values())
    assert invoiced - outstanding == total_alloc
    # money is only left as credit when every invoice issued by that day was paid off
    if credit > 0:
        last = max(p.date for p in r.records if p.unallocated > 0)
        issued_by = [n for n, i in after.invoices.items() if i.issued <= last]
        assert all(ledger.invoices[n].outstanding == 0 for n in issued_by)


@settings(max_examples=60, deadline=None)
@given(
    invoices=st.lists(st.tuples(st.integers(1, 300), st.integers(0, 60), st.integers(1, 500_000), st.booleans()),
                      min_size=1, max_size=6),
    payments=st.lists(st.tuples(st.integers(0, 400), st.integers(1, 600_000), st.lists(st.integers(0, 5), max_size=2)),
                      min_size=1, max_size=8, unique_by=lambda t: t[1]),
)
def test_a_file_of_payments_allocates_as_its_rows_imported_one_at_a_time(invoices, payments):
    """The import works each client's ledger out once and counts what earlier rows paid (it
    was worked out again for every row: minutes for a client with many invoices). The same
    file, imported one row at a time into the book each time, gives the same allocations.
    (Rows name invoices issued by their date, and no two rows have one amount: a row naming a
    paid invoice with the amount of a payment in the book on it is refused as that payment.)"""
    from receivables.model import Dispute

    b = apply(Book(), import_clients(csv_text(CLI_HEAD, "c,C Ltd,,,30,,GBP"), Book()).records)
    start = date(2025, 1, 1)
    inv_rows = [f"I-{k},c,{start + timedelta(days=d)},{start + timedelta(days=d + t)},{D(p) / 100:.2f},,"
                for k, (d, t, p, _) in enumerate(invoices)]
    b = apply(b, import_invoices(csv_text(INV_HEAD, *inv_rows), b).records)
    b = apply(b, [Dispute(f"DSP-{k}", f"I-{k}", "c", "query", start) for k, (*_, disputed) in enumerate(invoices)
                  if disputed])
    pay_rows = [f"{start + timedelta(days=d)},c,{D(p) / 100:.2f},GBP,r{k},"
                + ";".join(dict.fromkeys(f"I-{i}" for i in named if i < len(invoices) and invoices[i][0] <= d))
                for k, (d, p, named) in enumerate(payments)]
    whole = import_payments(csv_text(PAY_HEAD, *pay_rows), b).records
    one_by_one, book = [], b
    for row in pay_rows:
        got = import_payments(csv_text(PAY_HEAD, row), book).records
        one_by_one += got
        book = apply(book, got)
    assert [(p.date, p.amount, p.allocations) for p in whole] == [(p.date, p.amount, p.allocations) for p in one_by_one]


def test_header_names_ignore_case_and_order():
    text = csv_text("Name,ID,Currency,Email,Phone,Terms_Days,Credit_Limit", "Acme Ltd,acme,GBP,,,30,")
    (c,) = import_clients(text, Book()).records
    assert c.id == "acme" and c.name == "Acme Ltd" and c.terms_days == 30
    with pytest.raises(DunError) as e:
        import_clients(csv_text("id,name,name,email,phone,terms_days,credit_limit,currency"), Book())
    assert "appears twice" in str(e.value)


@pytest.mark.parametrize("sep, name", [(";", "semicolons"), ("\t", "tabs")])
def test_a_file_with_another_column_separator_says_so(sep, name):
    # what a spreadsheet set to a comma-decimal language saves as "CSV"
    text = csv_text(CLI_HEAD.replace(",", sep), sep.join(["acme", "Acme Ltd", "a@acme.test", "", "30", "", "EUR"]))
    with pytest.raises(DunError) as e:
        import_clients(text, Book(), source="clients.csv")
    message = str(e.value)
    assert f"separates its columns with {name}" in message and "clients.csv row 1" in message
    assert "comma delimited" in message and "missing column" not in message and "\n" not in message


def test_a_one_column_header_that_is_no_known_list_is_still_a_missing_column():
    with pytest.raises(DunError) as e:
        import_clients(csv_text("nom;adresse", "Acme;Paris"), Book(), source="c.csv")
    assert "missing columns id" in str(e.value)


def test_a_client_named_in_the_invoices_file_by_its_name_gets_the_id_in_the_hint():
    """The client column held 'Acme Trading Ltd' (the name, as a spreadsheet has it): the
    import said 'unknown client', with nothing about the id it wanted."""
    from receivables.imports import import_payments

    b = Book(clients={"acme-trading": Client("acme-trading", "Acme Trading Ltd", "GBP", 30)})
    with pytest.raises(DunError) as e:
        import_invoices(csv_text(INV_HEAD, "INV-1,Acme Trading Ltd,2026-01-01,2026-01-31,100.00,GBP,"), b)
    assert "unknown client 'Acme Trading Ltd'" in str(e.value) and "did you mean 'acme-trading'?" in str(e.value)
    with pytest.raises(DunError) as e:
        import_payments(csv_text(PAY_HEAD, "2026-02-01,acme,100.00,GBP,,"), b)
    assert "did you mean 'acme-trading'?" in str(e.value)
    with pytest.raises(DunError) as e:
        import_invoices(csv_text(INV_HEAD, "INV-1,zeta,2026-01-01,2026-01-31,100.00,GBP,"), b)
    assert "import the clients first" in str(e.value)


# -- dates and money that cannot be right (a slip of the year, a payment already in) --------------

TODAY = date(2026, 12, 5)


@pytest.mark.parametrize("importer, head, row, column, its_day", [
    # a payment: the money has not come yet
    (import_payments, PAY_HEAD, "2027-01-04,acme-supplies,1.00,GBP,y,", "date", date(2027, 1, 4)),
    # an invoice: it was added and hidden until 2027, and the owner entered it a second time
    (import_invoices, INV_HEAD, "INV-4001,o-neill,2027-06-01,,1250.00,GBP,", "issued", date(2027, 6, 1)),
], ids=["payment", "invoice"])
def test_a_row_dated_after_today_is_refused(importer, head, row, column, its_day):
    """It would be hidden until that day; on that day it is taken."""
    b = base_book()
    with pytest.raises(ImportRejected) as e:
        importer(csv_text(head, row), b, on=TODAY)
    assert f"row 2 ({column})" in str(e.value) and "after today (2026-12-05)" in str(e.value)
    assert len(importer(csv_text(head, row), b, on=its_day).records) == 1


def test_a_payment_row_dated_before_the_invoice_it_names_is_refused():
    """2016 typed for 2026 put the money on invoices that did not exist yet."""
    b = base_book()
    with pytest.raises(ImportRejected) as e:
        import_payments(csv_text(PAY_HEAD, "2016-10-25,o-neill,750.00,GBP,x,INV-3001"), b, on=TODAY)
    assert "row 2 (date)" in str(e.value) and "before INV-3001 was issued (2026-10-20)" in str(e.value)


def test_a_payment_row_in_a_currency_the_client_is_not_billed_in_is_refused():
    b = base_book()
    with pytest.raises(ImportRejected) as e:
        import_payments(csv_text(PAY_HEAD, "2026-12-04,o-neill,100.00,EUR,BACS,"), b, on=TODAY)
    assert "row 2 (currency)" in str(e.value) and "o-neill is billed in GBP, not EUR" in str(e.value)
    # a client with invoices in a second currency may pay in it
    b2 = apply(b, import_invoices(csv_text(INV_HEAD, "E-1,o-neill,2026-11-01,,50.00,EUR,"), b).records)
    (p,) = import_payments(csv_text(PAY_HEAD, "2026-12-04,o-neill,100.00,EUR,BACS,"), b2, on=TODAY).records
    assert p.allocations[0].invoice == "E-1"


def test_a_row_for_an_invoice_already_paid_by_the_same_amount_is_refused():
    """The same money recorded in the app (no reference) then found in the bank's file (with
    one) was taken as new money, with only a warning that it became credit."""
    b = base_book()
    paid = Payment("PAY-000009", date(2026, 12, 5), "o-neill", D("750.00"), "GBP",
                   allocations=(Allocation("INV-3001", D("750.00")),))
    after = apply(b, [paid])
    with pytest.raises(ImportRejected) as e:
        import_payments(csv_text(PAY_HEAD, "2026-12-05,o-neill,750.00,GBP,BACS ONEILL,INV-3001"), after, on=TODAY)
    assert "row 2 (invoice)" in str(e.value) and "INV-3001 is paid, by PAY-000009 of 2026-12-05" in str(e.value)
    # another amount on the paid invoice is not that money: it is kept as credit, as before
    (p,) = import_payments(csv_text(PAY_HEAD, "2026-12-05,o-neill,75.00,GBP,BACS ONEILL,INV-3001"), after,
                           on=TODAY).records
    assert p.allocations == ()
