"""Hostile input on every command that takes user data (issue 16, "Done when").

Each command of cli/ (init, demo, import, export, pay, note, client show/list, check,
prepare, restore, agenda, report, promise, dispute, plan, publish, mail, and --book itself)
gets, in every slot that takes user data, the hostile values below: NaN, 1e999999, non-ASCII
digits, '12,50', '£10', '../../x', NUL bytes, 10,000-character text, RTL overrides, extreme
dates, negatives, empties; imports also get them in every column, and non-UTF-8 files. Each
must give ONE line on stderr, exit 1, no traceback, and leave the book folder byte-identical.
Free-text slots (a note, a reference, a reason) store hostile text verbatim: there only NUL
bytes, over-long text and empties are refused. In-process through cli.main.main, plus a few
real `dun` processes.
"""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from .conftest import REPO
from .hostile_support import DATA, ON, folder_hash, make_book, one_line_refusal, run

HOSTILE = {
    "nan": "NaN",
    "huge": "1e999999",
    "arabic-digits": "\u0661\u0662\u0663",
    "comma": "12,50",
    "pound": "£10",
    "dotdot": "../../x",
    "nul": "a\x00b",
    "long": "x" * 10_000,
    "rtl": "\u202eabc.exe",
    "far-date": "9999-12-31",
    "early-date": "0001-01-01",
    "negative": "-5",
    "empty": "",
}
ALL = frozenset(HOSTILE)

# (id, argv with "{X}" where the hostile value goes, values that must be refused there)
SLOTS = [
    ("pay CLIENT", ["pay", "{X}", "10.00"], ALL),
    ("pay AMOUNT", ["pay", "acme-supplies", "{X}"], ALL),
    ("pay --invoice", ["pay", "acme-supplies", "10.00", "--invoice", "{X}"], ALL),
    ("pay --currency", ["pay", "acme-supplies", "10.00", "--currency", "{X}"], ALL - {"empty"}),
    ("pay --on", ["pay", "acme-supplies", "10.00", "--on", "{X}"], ALL),
    ("pay --reference", ["pay", "acme-supplies", "10.00", "--reference", "{X}"], {"nul", "long"}),
    ("pay --method", ["pay", "acme-supplies", "10.00", "--method", "{X}"], {"nul", "long"}),
    ("note CLIENT", ["note", "{X}", "called"], ALL),
    ("note TEXT", ["note", "acme-supplies", "{X}"], {"nul", "empty"}),
    ("note --invoice", ["note", "acme-supplies", "called", "--invoice", "{X}"], ALL),
    ("note --step", ["note", "acme-supplies", "called", "--step", "{X}"], ALL - {"empty"}),
    ("note --channel", ["note", "acme-supplies", "called", "--channel", "{X}"], ALL),
    ("note --direction", ["note", "acme-supplies", "called", "--direction", "{X}"], ALL),
    ("note --outcome", ["note", "acme-supplies", "called", "--outcome", "{X}"], {"nul", "long"}),
    ("note --on", ["note", "acme-supplies", "called", "--on", "{X}"], ALL),
    ("client show ID", ["client", "show", "{X}"], ALL),
    ("client show --on", ["client", "show", "acme-supplies", "--on", "{X}"], ALL),
    ("client list --on", ["client", "list", "--on", "{X}"], ALL),
    ("promise CLIENT", ["promise", "{X}", "10.00", "--by", "2026-12-20"], ALL),
    ("promise AMOUNT", ["promise", "acme-supplies", "{X}", "--by", "2026-12-20"], ALL),
    ("promise --by", ["promise", "acme-supplies", "10.00", "--by", "{X}"], ALL),
    ("promise --invoice", ["promise", "acme-supplies", "10.00", "--by", "2026-12-20", "--invoice", "{X}"], ALL),
    ("dispute INVOICE", ["dispute", "{X}", "--reason", "damaged"], ALL),
    ("dispute --reason", ["dispute", "INV-1002", "--reason", "{X}"], {"nul", "empty"}),
    ("dispute --on", ["dispute", "INV-1002", "--reason", "damaged", "--on", "{X}"], ALL),
    ("dispute --resolve", ["dispute", "INV-1001", "--resolve", "--reason", "{X}"], {"nul"}),
    ("plan CLIENT", ["plan", "{X}", "--invoice", "INV-1002", "--installments", "2", "--every", "30", "--first", "2026-12-20"], ALL),
    ("plan --invoice", ["plan", "acme-supplies", "--invoice", "{X}", "--installments", "2", "--every", "30", "--first", "2026-12-20"], ALL),
    ("plan --installments", ["plan", "acme-supplies", "--invoice", "INV-1002", "--installments", "{X}", "--every", "30", "--first", "2026-12-20"], ALL),
    ("plan --every", ["plan", "acme-supplies", "--invoice", "INV-1002", "--installments", "2", "--every", "{X}", "--first", "2026-12-20"], ALL),
    ("plan --first", ["plan", "acme-supplies", "--invoice", "INV-1002", "--installments", "2", "--every", "30", "--first", "{X}"], ALL),
    ("agenda --on", ["agenda", "--on", "{X}"], ALL),
    ("report --on", ["report", "--on", "{X}"], ALL),
    ("prepare --on", ["prepare", "--on", "{X}", "--quiet"], ALL),
    ("publish --on", ["publish", "--no-pdf", "--on", "{X}"], ALL),
    ("publish --out", ["publish", "--no-pdf", "--out", "{X}"], {"nul", "long"}),
    ("mail --on", ["mail", "--on", "{X}"], ALL),
    ("restore BACKUP", ["restore", "{X}"], ALL - {"empty"}),
    ("restore --on", ["restore", "book-2026-11-22.json", "--on", "{X}"], ALL),
    ("import KIND", ["import", "{X}", str(DATA / "clients.csv")], ALL),
    ("import FILE", ["import", "clients", "{X}"], ALL),
    ("export KIND", ["export", "{X}"], ALL),
    ("export --out", ["export", "clients", "--out", "{X}"], {"nul", "long"}),
    ("check --book", ["check", "--book", "{X}"], ALL - {"empty"}),
    ("agenda --book", ["agenda", "--book", "{X}"], ALL - {"empty"}),
    ("claim CLIENT", ["claim", "{X}"], ALL),
    ("claim --invoice", ["claim", "acme-supplies", "--invoice", "{X}"], ALL),
    ("claim --on", ["claim", "acme-supplies", "--on", "{X}"], ALL),
    ("receipts ACTION", ["receipts", "{X}"], ALL),
    ("receipts match RECEIPT", ["receipts", "match", "{X}", "acme-supplies"], ALL),
    ("receipts ignore RECEIPT", ["receipts", "ignore", "{X}"], ALL),
    ("import bank FILE", ["import", "bank", "{X}"], ALL),
    ("import xero FILE", ["import", "xero", "{X}"], ALL),
    ("import xero --paid-on", ["import", "xero", str(DATA / "xero_invoices.csv"), "--paid-on", "{X}"], ALL),
    ("checkpoint --book", ["checkpoint", "--book", "{X}"], ALL - {"empty"}),
    ("demo --clients", ["demo", "{NEW}", "--clients", "{X}"], ALL),
    ("demo --invoices", ["demo", "{NEW}", "--invoices", "{X}"], ALL),
    ("demo --seed", ["demo", "{NEW}", "--seed", "{X}"], ALL),
    ("demo --on", ["demo", "{NEW}", "--on", "{X}"], ALL),
    ("demo DIR", ["demo", "{X}", "--clients", "1", "--invoices", "1"], {"nul", "long"}),
    ("init DIR", ["init", "{X}"], {"nul", "long"}),
]

CASES = [pytest.param(argv, name, id=f"{sid} <- {name}")
         for sid, argv, refused in SLOTS for name in HOSTILE if name in refused]


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    import contextlib
    import io

    class _Quiet:
        def readouterr(self):
            return "", ""

    path = tmp_path_factory.mktemp("hostile") / "book"
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        make_book(_Quiet(), path)
        from cli.main import main

        assert main(["dispute", "INV-1001", "--reason", "damaged", "--on", ON, "--book", str(path)]) == 0
    return path


@pytest.fixture(scope="module")
def book(pristine, tmp_path_factory):
    """One copy for the whole module: every case must leave it as it is (checked each time)."""
    import shutil

    path = tmp_path_factory.mktemp("hostile-work") / "book"
    shutil.copytree(pristine, path)
    return path


@pytest.fixture(autouse=True)
def _elsewhere(tmp_path, monkeypatch):
    """Run in an empty folder with no default book, so a relative path lands nowhere that matters."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DUN_BOOK", str(tmp_path / "no-default-book"))


def _argv(template, value, book, new):
    argv = [a.replace("{X}", value) if a == "{X}" else a for a in template]
    argv = [str(new) if a == "{NEW}" else a for a in argv]
    if "--book" not in argv and argv[0] not in ("init",) and not (argv[0] == "demo" and argv[1] == value):
        argv += ["--book", str(book)]
    if "--on" not in argv and argv[0] not in ("init", "export", "check", "import", "restore"):
        argv += ["--on", ON]
    return argv


@pytest.mark.parametrize("template,name", CASES)
def test_hostile_value_is_refused_in_one_line_and_changes_nothing(book, tmp_path, capsys, template, name):
    before = folder_hash(book)
    new = tmp_path / "new-book"
    code, out, err = run(capsys, *_argv(template, HOSTILE[name], book, new))
    line = one_line_refusal(code, out, err)
    assert len(line) < 600, line  # a 10,000-character value is not echoed whole
    assert folder_hash(book) == before
    assert not new.exists()
    assert sorted(os.listdir(tmp_path)) == [], os.listdir(tmp_path)  # nothing made where it ran


# -- the same mistakes with the book held by another writer ------------------------------------------

# The slots whose hostile values are wrong whatever the book holds: each is reported before the
# book is opened (cli.checks), so with the book locked by the app the line is the same as without.
# (A client id or invoice number of the right shape is looked up in the book: that waits for it.)
BEFORE_OPENING = {
    "pay CLIENT": {"nul", "long", "rtl", "empty"},
    "pay AMOUNT": ALL, "pay --currency": ALL, "pay --on": ALL, "pay --reference": ALL, "pay --method": ALL,
    "pay --invoice": {"nul", "long", "empty"},
    "note CLIENT": {"nul", "long", "rtl", "empty"},
    "note TEXT": ALL, "note --channel": ALL, "note --direction": ALL, "note --outcome": ALL, "note --on": ALL,
    "note --invoice": {"nul", "long", "empty"}, "note --step": {"nul", "long"},
    "promise AMOUNT": ALL, "promise --by": ALL, "promise --invoice": {"nul", "long", "empty"},
    "dispute INVOICE": {"nul", "long", "empty"}, "dispute --reason": ALL, "dispute --on": ALL,
    "dispute --resolve": ALL,
    "plan CLIENT": {"nul", "long", "rtl", "empty"}, "plan --invoice": {"nul", "long", "empty"},
    "plan --installments": ALL, "plan --every": ALL, "plan --first": ALL,
    "claim CLIENT": {"nul", "long", "rtl", "empty"}, "claim --invoice": {"nul", "long", "empty"}, "claim --on": ALL,
    "receipts ACTION": ALL, "receipts match RECEIPT": {"nul", "long", "empty"},
    "receipts ignore RECEIPT": {"nul", "long", "empty"},
    "import KIND": ALL, "import xero --paid-on": ALL,
    "import FILE": ALL, "import bank FILE": ALL, "import xero FILE": ALL,  # read before the book is opened
    "restore BACKUP": ALL,  # found before the book is locked
}
LOCKED_CASES = [pytest.param(argv, name, id=f"{sid} <- {name}")
                for sid, argv, refused in SLOTS if sid in BEFORE_OPENING
                for name in sorted(refused & BEFORE_OPENING[sid])]


@pytest.mark.parametrize("template,name", LOCKED_CASES)
def test_a_bad_argument_is_refused_the_same_while_the_app_holds_the_book(book, tmp_path, capsys, template, name):
    from store import open_book

    argv = _argv(template, HOSTILE[name], book, tmp_path / "new-book")
    free = one_line_refusal(*run(capsys, *argv))
    before = folder_hash(book)
    holder = open_book(book, command="dun (app)")
    try:
        locked = one_line_refusal(*run(capsys, *argv))
    finally:
        holder.close()
    assert locked == free, (free, locked)
    assert folder_hash(book) == before


# -- imports: every column of every kind -----------------------------------------------------------

TEMPLATES = {
    "clients": ("id,name,email,phone,terms_days,credit_limit,currency",
                {"id": "newco", "name": "New Co", "email": "a@new.example", "phone": "+44 1",
                 "terms_days": "30", "credit_limit": "100.00", "currency": "GBP"}),
    "invoices": ("number,client,issued,due,amount,currency,reference",
                 {"number": "INV-9001", "client": "acme-supplies", "issued": "2026-11-01", "due": "2026-12-01",
                  "amount": "10.00", "currency": "GBP", "reference": "PO 1"}),
    "payments": ("date,client,amount,currency,reference,invoice",
                 {"date": "2026-11-20", "client": "acme-supplies", "amount": "10.00", "currency": "GBP",
                  "reference": "BACS 9", "invoice": "INV-1003"}),
}
# values a column accepts (free text, an empty optional cell, a value that is a valid id)
ACCEPTED = {
    ("clients", "id"): {"nan", "huge", "far-date", "early-date", "empty"},  # valid ids; empty: made from the name
    ("clients", "name"): ALL - {"nul", "long", "empty"},
    ("clients", "phone"): ALL - {"nul", "long"},
    ("clients", "email"): {"empty"},
    ("clients", "terms_days"): {"empty"},
    ("clients", "credit_limit"): {"empty"},
    ("clients", "currency"): {"empty"},
    ("invoices", "number"): ALL - {"nul", "long", "empty"},
    ("invoices", "due"): {"empty"},
    ("invoices", "currency"): {"empty"},
    ("invoices", "reference"): ALL - {"nul", "long"},
    ("payments", "currency"): {"empty"},
    ("payments", "reference"): ALL - {"nul", "long"},
    ("payments", "invoice"): {"empty"},
}


def _csv_cell(value: str) -> str:
    return '"' + value.replace('"', '""') + '"' if any(c in value for c in ',"\n') else value


IMPORT_CASES = [pytest.param(kind, col, name, id=f"{kind}.{col} <- {name}")
                for kind, (header, row) in TEMPLATES.items() for col in row for name in HOSTILE
                if name not in ACCEPTED.get((kind, col), set())]


@pytest.mark.parametrize("kind,column,name", IMPORT_CASES)
def test_hostile_cell_rejects_the_whole_import(pristine, tmp_path, capsys, kind, column, name):
    import shutil

    book = tmp_path / "book"
    shutil.copytree(pristine, book)
    header, row = TEMPLATES[kind]
    cells = dict(row, **{column: HOSTILE[name]})
    f = tmp_path / "in.csv"
    f.write_bytes((header + "\n" + ",".join(_csv_cell(cells[c]) for c in header.split(",")) + "\n").encode("utf-8"))
    before = folder_hash(book)
    line = one_line_refusal(*run(capsys, "import", kind, f, "--book", book))
    assert "row 2" in line or column in line or "NUL" in line, line
    assert folder_hash(book) == before


@pytest.mark.parametrize("kind", ["clients", "invoices", "payments", "xero"])
@pytest.mark.parametrize("content", [
    pytest.param(b"id,name\n\xff\xfe\xfa,\xe9t\xe9\n", id="latin-1"),
    pytest.param(b"\x00\x01\x02" * 300, id="binary"),
    pytest.param(b"", id="empty"),
    pytest.param("number,client\n\u202e,x\n".encode("utf-16"), id="utf-16"),
    pytest.param(b"a" * 200_000 + b"\n", id="one-huge-line"),
])
def test_a_file_that_is_not_a_utf8_csv_is_refused(book, tmp_path, capsys, kind, content):
    f = tmp_path / "in.csv"
    f.write_bytes(content)
    before = folder_hash(book)
    one_line_refusal(*run(capsys, "import", kind, f, "--book", book))
    assert folder_hash(book) == before


@pytest.mark.parametrize("column,value", [("Total", "NaN"), ("Total", "1e999999"), ("InvoiceDate", "31/12/9999"),
                                          ("Quantity", "\u0661"), ("Currency", "£"), ("InvoiceNumber", "a\x00b"),
                                          ("ContactName", "x" * 10_000), ("DueDate", "01/01/0001")])
def test_a_hostile_xero_cell_rejects_the_file(book, tmp_path, capsys, column, value):
    lines = (DATA / "xero_invoices.csv").read_text(encoding="utf-8").splitlines()
    header = [h.lstrip("*") for h in lines[0].split(",")]
    import csv
    import io

    rows = list(csv.reader(io.StringIO("\n".join(lines))))
    col = header.index(column)
    rows[1][col] = value
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    f = tmp_path / "xero.csv"
    f.write_text(buf.getvalue(), encoding="utf-8")
    before = folder_hash(book)
    one_line_refusal(*run(capsys, "import", "xero", f, "--book", book))
    assert folder_hash(book) == before


# -- free text is stored verbatim --------------------------------------------------------------------

@pytest.mark.parametrize("name", ["rtl", "dotdot", "nan", "arabic-digits"])
def test_hostile_free_text_is_stored_verbatim(pristine, tmp_path, capsys, name):
    import json
    import shutil

    book = tmp_path / "book"
    shutil.copytree(pristine, book)
    text = HOSTILE[name] + " \x1b[2J"
    code, out, err = run(capsys, "note", "acme-supplies", text, "--on", ON, "--json", "--book", book)
    assert code == 0, err
    assert json.loads(out)["body"] == text


# -- a few real processes --------------------------------------------------------------------------------

@pytest.mark.parametrize("argv", [
    ["pay", "acme-supplies", "1e999999"],
    ["promise", "acme-supplies", "10.00", "--by", "9999-12-31"],
    ["client", "show", "../../x"],
    ["note", "acme-supplies", "x", "--outcome", "y" * 10_000],
    ["agenda", "--on", "\u0662\u0660\u0662\u0666-01-01"],
])
def test_a_real_dun_process_refuses_in_one_line(book, tmp_path, argv):
    before = folder_hash(book)
    env = {**os.environ, "PYTHONPATH": str(REPO), "DUN_BOOK": str(book), "DUN_NO_BACKGROUND": "1"}
    proc = subprocess.run([sys.executable, "-m", "cli.main", *argv, "--on", ON] if "--on" not in argv
                          else [sys.executable, "-m", "cli.main", *argv],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dun: ") and "Traceback" not in proc.stderr, proc.stderr
    assert folder_hash(book) == before


def test_the_agenda_table_shows_control_characters_as_escapes_like_every_other_output():
    """The agenda's table showed them as '?' (Evil?[2J?]0;owned?Co) where README and every
    other command say \\uXXXX."""
    from cli.collect_cmds import _one_line

    assert _one_line("Evil\x1b[2J\x07\u202eCo\u200b", 80) == "Evil\\u001b[2J\\u0007\\u202eCo\\u200b"
    assert _one_line("two\r\nlines\tand  gaps", 80) == "two lines and gaps"
    assert _one_line("x" * 10, 5) == "xxxx…"
