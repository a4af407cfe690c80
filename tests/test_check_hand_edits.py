"""`dun check` flags everything the engine would choke on (issue 16, "Done when"): book.json
is hand-edited into each bad state; `dun check` names the problem, and every other command
gives one line (exit 1, no traceback, nothing written) instead of failing deep inside."""
from __future__ import annotations

import shutil

import pytest

from .hostile_support import ON, edit_book, first, folder_hash, make_book, one_line_refusal, run


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    import contextlib
    import io

    class _Quiet:
        def readouterr(self):
            return "", ""

    path = tmp_path_factory.mktemp("pristine") / "book"
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        make_book(_Quiet(), path)
        from cli.main import main

        for argv in (["dispute", "INV-1001", "--reason", "damaged"],
                     ["plan", "acme-supplies", "--invoice", "INV-1002", "--installments", "2", "--every", "30",
                      "--first", "2026-12-01"],
                     ["note", "acme-supplies", "left a message", "--channel", "phone"]):
            assert main([*argv, "--on", ON, "--book", str(path)]) == 0
    return path


def setter(table: str, field: str, value, **match):
    def change(data):
        first(data, table, **match)[field] = value
    return change


def deleter(table: str, field: str, **match):
    def change(data):
        del first(data, table, **match)[field]
    return change


ACME = {"id": "acme-supplies"}
INV = {"number": "INV-1001"}
# (what, the edit, words `dun check` must say)
BAD_STATES = [
    ("client name is a number", setter("clients", "name", 5, **ACME), "name must be text"),
    ("client name is a list", setter("clients", "name", ["x"], **ACME), "name must be text"),
    ("client name of 10,000 characters", setter("clients", "name", "N" * 10_000, **ACME), "10,000 characters"),
    ("client name with a NUL", setter("clients", "name", "Acme\x00Ltd", **ACME), "NUL"),
    ("client id is a list", setter("clients", "id", ["acme"], **ACME), "id must be text"),
    ("client id is a number", setter("clients", "id", 7, **ACME), "id must be text"),
    ("client without a name", deleter("clients", "name", **ACME), "cannot be read"),
    ("terms of a billion days", setter("clients", "terms_days", 10**9, **ACME), "from 0 to 3650"),
    ("terms of minus five days", setter("clients", "terms_days", -5, **ACME), "from 0 to 3650"),
    ("terms that are text", setter("clients", "terms_days", "thirty", **ACME), "cannot be read"),
    ("a contact that is a number", setter("clients", "contacts", [5], **ACME), "cannot be read"),
    ("credit limit is a float", setter("clients", "credit_limit", 1.5, **ACME), "bad stored amount"),
    ("invoice amount 1E+30", setter("invoices", "amount", "1E+30", **INV), "bad stored amount"),
    ("invoice amount of 20 digits", setter("invoices", "amount", "100000000000000000000", **INV), "too large"),
    ("invoice amount NaN", setter("invoices", "amount", "NaN", **INV), "bad stored amount"),
    ("invoice amount a JSON number", setter("invoices", "amount", 120.5, **INV), "bad stored amount"),
    ("invoice amount negative", setter("invoices", "amount", "-5.00", **INV), "greater than zero"),
    ("invoice number is a number", setter("invoices", "number", 1001, **INV), "must be text"),
    ("invoice of an unknown client", setter("invoices", "client", "nobody", **INV), "unknown client"),
    ("invoice client is a list", setter("invoices", "client", ["acme-supplies"], **INV), "client must be text"),
    ("invoice currency unknown", setter("invoices", "currency", "XXX", **INV), "bad stored amount"),
    ("invoice due 9999-12-31", setter("invoices", "due", "9999-12-31", **INV), "outside the dates"),
    ("invoice issued 0001-01-01", setter("invoices", "issued", "0001-01-01", **INV), "outside the dates"),
    ("invoice due is not a date", setter("invoices", "due", "soon", **INV), "cannot be read"),
    ("invoice reference is a dict", setter("invoices", "reference", {"a": 1}, **INV), "reference must be text"),
    ("invoice line quantity 1E+999999", lambda d: first(d, "invoices", **INV).__setitem__(
        "lines", [{"description": "x", "quantity": "1E+999999", "unit_amount": "1", "amount": "1200.00"}]),
     "line 1 quantity"),
    ("payment allocated to an unknown invoice", lambda d: first(d, "payments", reference="BACS 1")["allocations"]
     .__setitem__(0, {"invoice": "INV-404", "amount": "10.00"}) if first(d, "payments", reference="BACS 1").get("allocations")
     else first(d, "payments", reference="BACS 1").__setitem__("allocations", [{"invoice": "INV-404", "amount": "10.00"}]),
     "INV-404"),
    ("payment over-allocated", lambda d: first(d, "payments", reference="BACS 1").__setitem__(
        "allocations", [{"invoice": "INV-1001", "amount": "5000.00"}]), "allocations of 5000.00 exceed"),
    ("payment date is a number", setter("payments", "date", 20260920, reference="BACS 1"), "cannot be read"),
    ("payment id is a list", setter("payments", "id", [1], reference="BACS 1"), "id must be text"),
    ("promise by 9999-12-31", setter("promises", "by", "9999-12-31"), "outside the dates"),
    ("promise client is a number", setter("promises", "client", 3), "client must be text"),
    ("promise invoices are numbers", setter("promises", "invoices", [1, 2]), "invoices item 1 must be text"),
    ("plan installment due 9999-12-31", lambda d: first(d, "plans")["installments"][0].__setitem__("due", "9999-12-31"),
     "outside the dates"),
    ("plan with no installments", setter("plans", "installments", []), "has no installments"),
    ("activity id is a number", setter("activities", "id", 12), "id must be text"),
    ("activity channel unknown", setter("activities", "channel", "pigeon"), "unknown channel"),
    ("activity body is a list", setter("activities", "body", ["x"]), "body must be text"),
    ("activity invoices are numbers", setter("activities", "invoices", [1]), "not a list of invoice numbers"),
    ("activity snoozed to 9999-12-31", setter("activities", "snooze_until", "9999-12-31"), "outside the dates"),
    ("dispute reason is a number", setter("disputes", "reason", 4), "reason must be text"),
    ("dispute on an unknown invoice", setter("disputes", "invoice", "INV-404"), "unknown invoice"),
    ("a table that is a list", lambda d: d.__setitem__("payments", []), "not a dun book"),
    ("a document that is a number", lambda d: d["payments"].__setitem__("99", 5), ""),
]

COMMANDS = [["client", "list"], ["client", "show", "acme-supplies"], ["agenda"], ["report"],
            ["pay", "acme-supplies", "1.00"], ["publish", "--no-pdf"], ["mail"], ["export", "invoices"]]


@pytest.mark.parametrize("what,edit,words", BAD_STATES, ids=[b[0] for b in BAD_STATES])
def test_check_flags_it_and_no_command_fails_deep_inside(pristine, tmp_path, capsys, what, edit, words):
    book = tmp_path / "book"
    shutil.copytree(pristine, book)
    edit_book(book, edit)
    before = folder_hash(book)
    code, out, err = run(capsys, "check", "--book", book)
    assert "Traceback" not in out + err
    assert code == 1, out + err
    assert words in out + err, out + err
    assert folder_hash(book) == before
    for k, argv in enumerate(COMMANDS):
        copy = tmp_path / f"copy-{k}"
        shutil.copytree(book, copy)
        code, out, err = run(capsys, *argv, "--on", ON, "--book", copy)
        assert "Traceback" not in out + err
        if code != 0:  # a command may not need the broken record; one that does says so, changing nothing
            one_line_refusal(code, out, err)
            # (a publish may have saved its derived copy of the records in BOOK/.cache first:
            # derived, safe to delete, and not the book)
            assert folder_hash(copy, skip=(".cache",)) == folder_hash(book, skip=(".cache",)), argv


def test_the_pristine_book_is_consistent(pristine, capsys):
    code, out, err = run(capsys, "check", "--book", pristine)
    assert code == 0, out + err


def _dup_client(d):
    docs = d["clients"]
    k = next(k for k, v in docs.items() if v["id"] == "acme-supplies")
    docs[str(max(map(int, docs)) + 1)] = {**docs[k], "name": "Dup"}


def _dup_invoice(d, number="INV-1001"):
    docs = d["invoices"]
    k = next(k for k, v in docs.items() if v["number"] == "INV-1001")
    docs[str(max(map(int, docs)) + 1)] = {**docs[k], "number": number}


# A book these edits made was used by every command but check without a word: the later of
# two clients replaced the earlier, an invoice was owed twice (or once, unseen), a payment
# put on invoices for more than it is gave a negative credit on the client's statement.
SILENT = [
    ("client id twice", _dup_client, "id 'acme-supplies' appears twice"),
    ("invoice number twice", _dup_invoice, "number 'INV-1001' appears twice"),
    ("invoice numbers differing in case", lambda d: _dup_invoice(d, "inv-1001"), "differs only in case"),
    ("allocations over the payment", lambda d: first(d, "payments", reference="BACS 1").__setitem__(
        "allocations", [{"invoice": "INV-1001", "amount": "5000.00"}]), "exceed the payment"),
    ("a negative allocation", lambda d: first(d, "payments", reference="BACS 1").__setitem__(
        "allocations", [{"invoice": "INV-1001", "amount": "10.00"}, {"invoice": "INV-1002", "amount": "-5.00"}]),
     "is not positive"),
]


@pytest.mark.parametrize("what,edit,words", SILENT, ids=[s[0] for s in SILENT])
def test_a_book_whose_figures_would_be_wrong_is_refused_by_every_command_that_works_them_out(
        pristine, tmp_path, capsys, what, edit, words):
    book = tmp_path / "book"
    shutil.copytree(pristine, book)
    edit_book(book, edit)
    code, out, err = run(capsys, "check", "--book", book)
    assert code == 1 and words in out + err, out + err
    for k, argv in enumerate([["client", "list"], ["client", "show", "acme-supplies"], ["agenda"], ["report"],
                              ["publish", "--no-pdf"], ["mail"]]):
        copy = tmp_path / f"copy-{k}"
        shutil.copytree(book, copy)
        code, out, err = run(capsys, *argv, "--on", ON, "--book", copy)
        line = one_line_refusal(code, out, err)
        assert "dun check" in line, (argv, line)


def test_a_hand_edited_contact_e_mail_that_is_not_one_address_is_flagged_and_never_mailed(tmp_path, capsys):
    """"a@x.example, b@evil.example\\r\\nBcc: c@evil.example" passed dun check, and dun mail sent
    to the first address of it without a word. Now check names it and mail makes the letter."""
    from datetime import date
    from decimal import Decimal

    from receivables.model import Book, Client, Contact, Invoice
    from store import init_book, open_book

    book = tmp_path / "book"
    good = Client("acme", "Acme Ltd", "GBP", 30, contacts=(Contact("Ann", "ap@acme.example"),))
    init_book(book, book=Book(clients={"acme": good}, invoices={"A-1": Invoice(
        "A-1", "acme", date(2026, 10, 1), date(2026, 10, 31), "GBP", Decimal("100.00"))}))
    day = "2026-11-03"  # (a friendly reminder by e-mail is due)
    code, out, err = run(capsys, "agenda", "--on", day, "--book", book)
    assert "email" in out, out
    bad = "ap@acme.example, b@evil.example\r\nBcc: c@evil.example"
    edit_book(book, lambda d: first(d, "clients", id="acme").__setitem__("contacts", [{"name": "Ann", "email": bad}]))
    code, out, err = run(capsys, "check", "--book", book)
    assert code == 1 and "is not one plain address" in out + err, out + err
    with open_book(book, readonly=True) as ro:
        client = ro.book().clients["acme"]
        assert client.email == "" and client.bad_emails == (bad,)
    code, out, err = run(capsys, "agenda", "--on", day, "--book", book)
    assert "is not one plain address" in out, out
    code, out, err = run(capsys, "mail", "--on", day, "--book", book)
    assert code == 0, err
    assert "is not one plain address" in out + err, out + err
    assert not list((book / "outbox").glob("*.eml"))
    assert any("acme" in p.name for p in (book / "outbox").glob("*.pdf"))


@pytest.mark.parametrize("bad", ["=?utf-8?q?x=40evil.example=2C_y?=@x.example", "a@ex\u0430mple.com", "a\x00@x.example",
                                 "Ann <a@x.example>", "a@x"])
def test_an_e_mail_the_mail_library_would_read_as_other_recipients_is_not_an_address(bad):
    """An RFC 2047 encoded word passed as an address, and the message went to
    x@evil.example and y@x.example; a Cyrillic letter made dun mail stop with a traceback."""
    from receivables.model import Client, Contact, is_email

    assert not is_email(bad)
    assert Client("c", "C", "GBP", 30, contacts=(Contact(email=bad),)).email == ""
    assert is_email("ann.o'neil+ar@acme-ltd.co.uk")
