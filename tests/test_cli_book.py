"""The book commands end to end (in-process through cli.main.main): every bad input gets one
line on stderr, exit 1, and leaves book.json and book.journal byte-identical."""
from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest

from cli.main import main

from .conftest import REPO

DATA = REPO / "tests" / "data"
ON = "2026-11-22"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def files(book: Path) -> tuple[bytes, bytes | None]:
    journal = book / "book.journal"
    return (book / "book.json").read_bytes(), journal.read_bytes() if journal.exists() else None


@pytest.fixture
def book(tmp_path: Path, capsys, monkeypatch) -> Path:
    monkeypatch.delenv("DUN_BOOK", raising=False)
    path = tmp_path / "book"
    assert run(capsys, "init", path)[0] == 0
    for kind, name in (("clients", "clients.csv"), ("invoices", "invoices.csv")):
        code, out, err = run(capsys, "import", kind, DATA / name, "--book", path)
        assert code == 0, err
    return path


def one_error(code: int, err: str) -> str:
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("dun: ")
    assert "Traceback" not in err
    return lines[0]


def show(capsys, book: Path, client: str) -> dict:
    code, out, err = run(capsys, "client", "show", client, "--on", ON, "--json", "--book", book)
    assert code == 0, err
    return json.loads(out)


# -- bad input changes nothing ---------------------------------------------------------------------

BAD_AMOUNTS = ["-5.00", "abc", "10.001", "NaN", "Infinity", "1e999999", "1_000", "\u0661\u0660", "12,50", "£10", "0"]


@pytest.mark.parametrize("amount", BAD_AMOUNTS)
def test_pay_bad_amount(book, capsys, amount):
    before = files(book)
    line = one_error(*run(capsys, "pay", "acme-supplies", amount, "--on", ON, "--book", book)[::2])
    assert "AMOUNT" in line
    assert files(book) == before


@pytest.mark.parametrize("argv, words", [
    (["pay", "nobody", "10.00"], "unknown client 'nobody'"),
    (["pay", "acme-supplies", "10.00", "--currency", "XYZ"], "unknown currency"),
    (["pay", "acme-supplies", "10.00", "--invoice", "INV-2001"], "no invoice 'INV-2001'"),
    (["pay", "acme-supplies", "10.00", "--on", "22/11/2026"], "YYYY-MM-DD"),
    (["pay", "acme-supplies", "10.00", "--on", "2026-02-30"], "not a real date"),
    (["note", "nobody", "hello"], "unknown client"),
    (["note", "acme-supplies", "   "], "the note is empty"),
    (["note", "acme-supplies", "hi", "--step", "no-such-step"], "unknown step"),
    (["note", "acme-supplies", "hi", "--channel", "pigeon"], "invalid choice"),
    (["note", "acme-supplies", "hi", "--invoice", "INV-9999"], "no invoice"),
    (["client", "show", "nobody"], "unknown client"),
    (["import", "clients", DATA / "bad_not_utf8.csv"], "not UTF-8"),
    (["import", "invoices", DATA / "bad_missing_column.csv"], "missing column due"),
    (["import", "invoices", DATA / "bad_unknown_column.csv"], "unknown column 'vat'"),
    (["import", "xero", DATA / "xero_missing_column.csv"], "missing column Total"),
    (["import", "invoices", DATA / "no-such-file.csv"], "file not found"),
    (["import", "ledger", DATA / "invoices.csv"], "invalid choice"),
    (["demo", "--clients", "-3"], "not a whole number"),
    (["export", "ledger"], "invalid choice"),
    (["restore", "book-1999-01-01.json"], "no backup named"),
    (["init"], "already exists"),
    (["client"], "show ID or list"),
    (["pay", "acme-supplies"], "required: AMOUNT"),
])
def test_bad_commands(book, capsys, argv, words):
    before = files(book)
    code, _, err = run(capsys, *argv, "--book", book)
    line = one_error(code, err)
    assert words in line
    assert files(book) == before


def _write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    p = tmp_path / name
    p.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return p


@pytest.mark.parametrize("row, words", [
    ("INV-9,nobody,2026-11-01,,10.00,,", "unknown client 'nobody'"),
    ("INV-1001,acme-supplies,2026-08-01,2026-08-31,1200.01,GBP,PO 77", "different amount"),
    ("INV-9,acme-supplies,2026-11-01,2026-10-01,10.00,,", "before the issue date"),
    ("INV-9,acme-supplies,01/11/2026,,10.00,,", "YYYY-MM-DD"),
    ("INV-9,acme-supplies,2026-11-01,,10.00,EURO,", "unknown currency"),
    ("INV-9,acme-supplies,2026-11-01,,NaN,,", "not an amount"),
    ("INV-9,acme-supplies,2026-11-01,,1e999999,,", "not an amount"),
    ("INV-9,acme-supplies,2026-11-01,,10.005,,", "more decimals"),
])
def test_import_bad_row_rejects_the_whole_file(book, capsys, tmp_path, row, words):
    good = "INV-8,acme-supplies,2026-11-01,,10.00,,"
    path = _write(tmp_path, "inv.csv", f"number,client,issued,due,amount,currency,reference\n{good}\n{row}\n")
    before = files(book)
    line = one_error(*run(capsys, "import", "invoices", path, "--book", book)[::2])
    assert "inv.csv row 3" in line and words in line and "nothing was imported" in line
    assert files(book) == before
    assert "INV-8" not in [i["number"] for i in show(capsys, book, "acme-supplies")["invoices"]]


def test_duplicate_invoice_number_in_file(book, capsys, tmp_path):
    path = _write(tmp_path, "dup.csv", "number,client,issued,due,amount,currency,reference\n"
                  "X-1,acme-supplies,2026-11-01,,10.00,,\nX-1,acme-supplies,2026-11-02,,12.00,,\n")
    before = files(book)
    line = one_error(*run(capsys, "import", "invoices", path, "--book", book)[::2])
    assert "duplicate invoice number 'X-1'" in line
    assert files(book) == before


@pytest.mark.parametrize("policy_change, words", [
    (lambda t: t + "\n[surprise]\nkey = 1\n", "unknown table or key"),
    (lambda t: t.replace('id = "call"', 'id = "reminder"'), "duplicate step id"),
    (lambda t: t.replace('id = "call"\n', ""), "every step needs an id"),
])
def test_a_bad_policy_stops_an_import_and_changes_nothing(book, capsys, policy_change, words):
    pol = book / "policy.toml"
    pol.write_text(policy_change(pol.read_text(encoding="utf-8")), encoding="utf-8")
    before = files(book)
    line = one_error(*run(capsys, "import", "payments", DATA / "payments.csv", "--book", book)[::2])
    assert words in line and "policy.toml" in line
    assert files(book) == before


# -- imports -----------------------------------------------------------------------------------------

def test_import_is_idempotent(book, capsys):
    code, out, err = run(capsys, "import", "payments", DATA / "payments.csv", "--book", book)
    assert code == 0 and "added 3 payments" in out
    before = files(book)
    for kind, name in (("clients", "clients.csv"), ("invoices", "invoices.csv"), ("payments", "payments.csv")):
        code, out, err = run(capsys, "import", kind, DATA / name, "--book", book)
        assert code == 0, err
        assert "added nothing new" in out
    assert files(book) == before


def test_xero_import_through_the_store(book, capsys):
    code, out, err = run(capsys, "import", "xero", DATA / "xero_invoices.csv", "--book", book, "--json",
                         "--on", "2026-11-20")
    assert code == 0, err
    got = json.loads(out)
    assert [a.split(" ")[0] for a in got["added"]] == ["INV-0101", "INV-0102", "INV-0103"]
    assert len(got["paid"]) == 2
    assert got["skipped"] and "INV-0104" in got["skipped"][0]
    view = show(capsys, book, "harbour-sons-cafe")
    assert view["name"] == "Harbour & Sons Café Ltd"
    inv = {i["number"]: i for i in view["invoices"]}
    assert inv["INV-0101"]["amount"] == "1530.00" and inv["INV-0101"]["outstanding"] == "1030.00"
    assert inv["INV-0101"]["status"] == "part-paid"
    assert inv["INV-0103"]["status"] == "paid"
    before = files(book)
    code, out, _ = run(capsys, "import", "xero", DATA / "xero_invoices.csv", "--book", book, "--on", "2026-11-20")
    assert code == 0 and "0 added, 0 updated, 0 paid, 0 voided, 0 credited, 1 skipped, 3 unchanged" in out
    assert files(book) == before
    from store import open_book

    with open_book(book, readonly=True) as repo:
        lines = repo.book().invoices["INV-0101"].lines
    assert [ln.description for ln in lines] == ["Website design (fixed fee)", "Hosting, 12 months", "Support hours\n(February)"]


# -- money ------------------------------------------------------------------------------------------------

def test_pay_allocates_oldest_due_first_and_keeps_the_rest_as_credit(book, capsys):
    code, out, err = run(capsys, "pay", "acme-supplies", "1400.00", "--on", "2026-11-01", "--reference", "BACS 1",
                         "--book", book, "--json")
    assert code == 0 and err == ""
    p = json.loads(out)
    assert [(a["invoice"], a["amount"]) for a in p["allocations"]] == [("INV-1001", "1200.00"), ("INV-1002", "200.00")]
    assert p["credit"] == "0.00"
    v = show(capsys, book, "acme-supplies")
    assert v["balance"] == "200.49"  # 100.50 + 99.99
    code, out, err = run(capsys, "pay", "acme-supplies", "500", "--on", "2026-11-02", "--book", book)
    assert code == 0
    assert err.strip() == "dun: warning: 299.51 GBP more than acme-supplies owes is kept as client credit"
    assert "INV-1002 100.50, INV-1003 99.99" in out
    v = show(capsys, book, "acme-supplies")
    assert v["balance"] == "-299.51" and v["credit"] == "299.51"
    assert {i["number"]: i["status"] for i in v["invoices"]} == {"INV-1001": "paid", "INV-1002": "paid", "INV-1003": "paid"}


def test_pay_named_invoice_and_other_currency(book, capsys):
    code, out, err = run(capsys, "pay", "acme-supplies", "50.00", "--invoice", "INV-1003", "--on", ON, "--book", book)
    assert code == 0, err
    assert "INV-1003 50.00" in out
    v = show(capsys, book, "acme-supplies")
    assert {i["number"]: i["outstanding"] for i in v["invoices"]}["INV-1003"] == "49.99"
    code, out, err = run(capsys, "pay", "muller", "100", "--on", ON, "--book", book, "--json")
    assert code == 0 and json.loads(out)["allocations"] == [{"invoice": "INV-2001", "amount": "100.00"}]
    assert show(capsys, book, "muller")["balance"] == "2300.00"


def test_client_show_json_shape_and_interest(book, capsys):
    v = show(capsys, book, "acme-supplies")
    assert {"id", "name", "balance", "hold", "invoices", "interest", "compensation"} <= set(v)
    inv = {i["number"]: i for i in v["invoices"]}
    first = inv["INV-1001"]
    assert {"number", "amount", "outstanding", "due", "days_overdue", "status", "interest", "compensation"} <= set(first)
    assert first["days_overdue"] == 83 and first["status"] == "open"
    # uk-late-payment in the default policy: 8% over the base rate in force on 30 June 2026
    # (3.75% since 18 December 2025) = 11.75%
    assert Decimal(first["interest"]) == (Decimal("1200.00") * Decimal("11.75") / 100 * 83 / 365).quantize(Decimal("0.01"))
    assert first["compensation"] == "70.00"
    total_i = sum(Decimal(i["interest"]) for i in v["invoices"])
    assert Decimal(v["interest"]) == total_i
    assert v["balance"] == "1600.49" and v["hold"] is False


def test_client_list(book, capsys):
    code, out, err = run(capsys, "client", "list", "--on", ON, "--json", "--book", book)
    assert code == 0
    rows = json.loads(out)
    assert {r["id"] for r in rows} == {"acme-supplies", "o-neill", "muller", "cafe"}
    muller = next(r for r in rows if r["id"] == "muller")
    assert muller["currency"] == "EUR" and muller["balance"] == "2400.00" and muller["overdue"] == "2400.00"
    code, out, _ = run(capsys, "client", "list", "--on", ON, "--book", book)
    assert code == 0 and "Café Olé (the one on the harbour)" in out


# -- notes and names: verbatim --------------------------------------------------------------------------------

NASTY = 'Spoke to Zoë <b>Ann</b> & "Bob" — O\'Brien\n\n=SUM(A1:A9)\n<script>alert(1)</script> 日本 👍'


def test_note_is_stored_verbatim_and_exported_safely(book, capsys):
    code, out, err = run(capsys, "note", "o-neill", NASTY, "--channel", "phone", "--outcome", "reached",
                         "--invoice", "INV-3001", "--on", ON, "--book", book, "--json")
    assert code == 0, err
    assert json.loads(out)["body"] == NASTY
    from store import open_book

    with open_book(book, readonly=True) as repo:
        (a,) = repo.book().activities
        assert a.body == NASTY and a.channel == "phone" and a.invoices == ("INV-3001",)
        c = repo.book().clients["o-neill"]
        assert c.name == "O'Neill & Daughters \"Joinery\" <Ltd>"
        assert repo.book().clients["cafe"].name == "Café Olé\n(the one on the harbour)"
    code, out, _ = run(capsys, "export", "activities", "--book", book)
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows[0]["body"] == NASTY  # starts with "S": not a formula
    code, out, _ = run(capsys, "note", "o-neill", "=HYPERLINK(\"http://x\")", "--on", ON, "--book", book)
    code, out, _ = run(capsys, "export", "activities", "--book", book)
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows[1]["body"] == "'=HYPERLINK(\"http://x\")"  # neutralised in the CSV only
    assert show(capsys, book, "o-neill")["name"] == "O'Neill & Daughters \"Joinery\" <Ltd>"


def test_export_to_a_folder_says_to_name_a_file(book, capsys, tmp_path):
    """It said "/tmp/.export-kjhhbzfx: Is a directory", naming a file that was never there."""
    code, _, err = run(capsys, "export", "invoices", "--out", tmp_path, "--book", book)
    assert code == 1 and err.count("\n") == 1 and "is a folder" in err and str(tmp_path / "invoices.csv") in err
    assert not list(tmp_path.glob(".export-*"))


def test_exports_import_back_into_an_empty_book(book, capsys, tmp_path):
    assert run(capsys, "import", "payments", DATA / "payments.csv", "--book", book)[0] == 0
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    for kind in ("clients", "invoices", "payments"):
        code, _, err = run(capsys, "export", kind, "--out", out_dir / f"{kind}.csv", "--book", book)
        assert code == 0, err
    other = tmp_path / "other"
    assert run(capsys, "init", other)[0] == 0
    for kind in ("clients", "invoices", "payments"):
        code, out, err = run(capsys, "import", kind, out_dir / f"{kind}.csv", "--book", other)
        assert code == 0, err
    from store import open_book

    with open_book(book, readonly=True) as a, open_book(other, readonly=True) as b:
        ba, bb = a.book(), b.book()
        assert dict(ba.clients) == dict(bb.clients)
        assert dict(ba.invoices) == dict(bb.invoices)
        strip = lambda ps: [(p.date, p.client, p.amount, p.currency, p.reference, p.allocations) for p in ps]  # noqa: E731
        assert strip(ba.payments) == strip(bb.payments)


# -- note --step, demo, check, restore ----------------------------------------------------------------------------

def test_note_step_covers_the_actions_invoices(book, capsys):
    # INV-1003 (due 2026-10-31) is 22 days overdue on ON: the agenda has its ladder step
    from receivables.agenda import client_actions
    from store import open_book

    with open_book(book, readonly=True) as repo:
        acts = [a for a in client_actions(repo.book(), repo.policy(), "acme-supplies", __import__("datetime").date(2026, 11, 22))
                if a.kind == "step"]
    assert acts
    step, invoices = acts[0].step, acts[0].invoices
    code, out, err = run(capsys, "note", "acme-supplies", "Posted it", "--step", step, "--on", ON, "--book", book, "--json")
    assert code == 0, err
    got = json.loads(out)
    assert got["step"] == step and tuple(got["invoices"]) == tuple(invoices) and got["outcome"] == "done"
    with open_book(book, readonly=True) as repo:
        left = [a for a in client_actions(repo.book(), repo.policy(), "acme-supplies", __import__("datetime").date(2026, 11, 22))
                if a.kind == "step" and a.step == step]
    assert left == []
    before = files(book)
    line = one_error(*run(capsys, "note", "acme-supplies", "again", "--step", step, "--on", ON, "--book", book)[::2])
    assert "no" in line and "action is due" in line
    assert files(book) == before


def test_demo_if_missing_and_check(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("DUN_BOOK", str(tmp_path / "demo"))
    code, out, err = run(capsys, "demo", "--clients", "12", "--invoices", "150", "--on", ON)
    assert code == 0, err
    assert "12 clients, 150 invoices" in out
    before = files(tmp_path / "demo")
    assert run(capsys, "demo", "--if-missing") == (0, "", "")
    line = one_error(*run(capsys, "demo")[::2])
    assert "already exists" in line
    assert files(tmp_path / "demo") == before
    code, out, err = run(capsys, "check")
    assert code == 0 and "no problems" in out
    # (a consistent book, with the template's example company: said, as everywhere else)
    # (and, once the shipped rate tables are six months old, that they may want new entries)
    warnings = err.splitlines()
    assert all(w.startswith("warning: ") for w in warnings)
    assert [w for w in warnings if "[interest.rates." not in w] == [
        next(w for w in warnings if "policy.toml [company] is still the example" in w)]


def test_check_reports_problems_and_exit_1(book, capsys):
    # a hand-edited book whose payment points at a missing invoice
    import orjson

    data = orjson.loads((book / "book.json").read_bytes())
    assert run(capsys, "pay", "acme-supplies", "10", "--on", ON, "--book", book)[0] == 0
    from store import open_book

    with open_book(book) as repo:
        repo.checkpoint()
    data = orjson.loads((book / "book.json").read_bytes())
    (doc,) = data["payments"].values()
    doc["allocations"][0]["invoice"] = "INV-404"
    (book / "book.json").write_bytes(orjson.dumps(data))
    before = files(book)
    code, out, err = run(capsys, "check", "--book", book)
    assert code == 1 and "INV-404" in out
    assert files(book) == before


def test_restore_lists_and_restores(book, capsys):
    import orjson

    code, out, err = run(capsys, "restore", "--book", book, "--on", ON)
    assert code == 0
    names = [ln.split()[0] for ln in out.splitlines() if ln.startswith("book-")]
    assert names, out
    backup = names[0]
    in_backup = {d["id"] for d in orjson.loads((book / "backups" / backup).read_bytes()).get("clients", {}).values()}
    assert run(capsys, "pay", "acme-supplies", "10", "--on", ON, "--book", book)[0] == 0
    code, out, err = run(capsys, "restore", backup, "--book", book, "--on", ON)
    assert code == 0, err
    assert "restored" in out
    code, out, err = run(capsys, "client", "list", "--json", "--on", ON, "--book", book)
    assert {r["id"] for r in json.loads(out)} == in_backup
    code, out, err = run(capsys, "restore", "--book", book, "--on", ON)
    assert "before-restore" in out  # the book as it was is kept
    lines = out.splitlines()  # newest first, each saying what it holds
    assert "before-restore" in lines[0] and lines[0].endswith(f"the book as it was before a restore on {ON}")
    (line,) = [ln for ln in lines if ln.startswith(backup + " ")]
    assert line.endswith(f"the book before the first change of {backup[5:15]}")
    # the list says what the file says it is, not only what its name does: a day's backup copied
    # under another day's name, and one with no day marked inside (an older dun's, or a copy)
    import shutil

    shutil.copy(book / "backups" / backup, book / "backups" / "book-2026-01-02.json")
    data = orjson.loads((book / "backups" / backup).read_bytes())
    del data["meta"]["1"]["backup_of"]
    (book / "backups" / "book-2026-01-03.json").write_bytes(orjson.dumps(data))
    code, out, err = run(capsys, "restore", "--book", book, "--on", ON)
    said = {ln.split()[0]: ln for ln in out.splitlines() if ln.startswith("book-")}
    assert said["book-2026-01-02.json"].endswith(
        f"the book before the first change of {backup[5:15]}, under the name of another day")
    assert said["book-2026-01-03.json"].endswith("the book on 2026-01-03 (no day marked inside: taken by an older dun, "
                                                 "or a copy)")


def test_every_command_has_help(capsys):
    for argv in (["init"], ["demo"], ["import"], ["pay"], ["note"], ["client"], ["client", "show"], ["client", "list"],
                 ["export"], ["check"], ["restore"]):
        with pytest.raises(SystemExit) as e:
            main([*argv, "--help"])
        assert e.value.code == 0
        out = capsys.readouterr().out
        assert "usage: dun" in out and "--book" in out


def test_book_option_before_the_command(book, capsys, monkeypatch):
    monkeypatch.delenv("DUN_BOOK", raising=False)
    code, out, err = run(capsys, "--book", book, "--on", ON, "client", "show", "acme-supplies", "--json")
    assert code == 0, err
    assert json.loads(out)["as_of"] == ON


def test_final_notice_puts_the_client_on_hold_in_client_show(book, capsys):
    assert show(capsys, book, "acme-supplies")["hold"] is False
    code, out, err = run(capsys, "note", "acme-supplies", "Final notice posted", "--step", "final-notice",
                         "--invoice", "INV-1001", "--on", "2026-11-20", "--book", book)
    assert code == 0, err
    assert "final-notice letter" in out  # the step's channel
    v = show(capsys, book, "acme-supplies")
    assert v["hold"] is True and v["hold_reason"]
    assert run(capsys, "pay", "acme-supplies", "1600.49", "--on", "2026-11-21", "--book", book)[0] == 0
    assert show(capsys, book, "acme-supplies")["hold"] is False  # paid up: the hold ends


def test_import_dry_run_writes_nothing(book, capsys):
    before = files(book)
    code, out, err = run(capsys, "import", "payments", DATA / "payments.csv", "--dry-run", "--book", book)
    assert code == 0 and "added 3 payments" in out and "dry run" in out
    assert files(book) == before
    code, out, err = run(capsys, "import", "payments", DATA / "payments.csv", "--book", book)
    assert code == 0 and "added 3 payments" in out
    assert files(book) != before


def test_an_invoice_whose_terms_take_its_due_date_past_the_window_is_refused_in_the_dry_run_too(book, capsys, tmp_path):
    """The dry run said "added 1 invoice"; the import itself refused the file as "record 1",
    naming neither the file nor the row."""
    src = tmp_path / "late.csv"
    src.write_text("number,client,issued,due,amount,currency,reference\nX-2,acme-supplies,2100-12-15,,12.00,GBP,\n",
                   encoding="utf-8")
    for extra in (("--dry-run",), ()):
        code, out, err = run(capsys, "import", "invoices", src, *extra, "--on", "2100-12-15", "--book", book)
        assert code == 1 and "row 2" in err and "due date" in err and "record 1" not in err, err
