"""Issue 18, the command line: --version, did-you-mean for commands, options, client ids and
invoice numbers, the argument's error before the lock's, and each subcommand's own help."""
from __future__ import annotations

import pytest

from cli.main import main

from .tui_support import DAY, make_book


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    return make_book(tmp_path_factory.mktemp("hints") / "book", seed=1)


def run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_version(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("dun ") and out.strip() != "dun"


def test_mistyped_command_and_option(capsys, book):
    code, _, err = run(capsys, "--book", str(book), "agnda")
    assert code == 1 and err.count("\n") == 1
    assert "unknown command 'agnda'" in err and "did you mean 'agenda'" in err and "'dun --help'" in err
    code, _, err = run(capsys, "--book", str(book), "mail", "--sned")
    assert code == 1 and "did you mean '--send'" in err and "'dun mail --help'" in err
    code, _, err = run(capsys, "--book", str(book), "client", "shw", "x")
    assert code == 1 and "did you mean 'show'" in err and "'dun client --help'" in err


def test_mistyped_client_and_invoice(capsys, book):
    from store import open_book

    repo = open_book(book, readonly=True, today=DAY)
    try:
        cid = sorted(repo.clients())[0]
        number = next(d["number"] for d in repo.documents("invoices") if d["client"] == cid)
    finally:
        repo.close()
    code, _, err = run(capsys, "--book", str(book), "--on", DAY.isoformat(), "client", "show", cid[:-1])
    assert code == 1 and f"did you mean '{cid}'" in err
    code, _, err = run(capsys, "--book", str(book), "--on", DAY.isoformat(), "note", cid, "called",
                       "--invoice", number[:-1] + "9" + number[-1:])
    assert code == 1 and f"'{number}'" in err and "did you mean" in err


def test_a_bad_argument_is_reported_before_the_lock(capsys, book):
    from store import open_book

    holder = open_book(book, command="dun (app)", today=DAY)  # the app has the book open
    try:
        cid = sorted(holder.clients())[0]
        before = len(holder.book().activities)
        code, _, err = run(capsys, "--book", str(book), "pay", cid + "x", "12.00")
        assert code == 1 and "unknown client" in err and "did you mean" in err and "lock" not in err.lower()
        code, _, err = run(capsys, "--book", str(book), "pay", cid, "12,00")
        assert code == 1 and "AMOUNT" in err and "lock" not in err.lower()
        code, _, err = run(capsys, "--book", str(book), "note", cid, "all good")  # right: then the lock
        assert code == 1 and ("lock" in err.lower() or "open" in err.lower())
        holder.refresh()
        assert len(holder.book().activities) == before  # nothing was written
    finally:
        holder.close()
