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
    """The arguments are checked before the book is opened: with the book held by the app, a
    bad amount is still the amount's error (exit 1, one line, nothing written); right
    arguments meet the lock; a client id the book must look up meets the lock too."""
    from store import open_book

    from .hostile_support import folder_hash

    holder = open_book(book, command="dun (app)", today=DAY)  # the app has the book open
    try:
        cid = sorted(holder.clients())[0]
        before = folder_hash(book)
        for argv, words in (
            (["pay", cid, "12,00"], ["AMOUNT", "'12,00' is not an amount"]),
            (["pay", cid, "12.00", "--currency", "XYZ"], ["--currency", "unknown currency 'XYZ'"]),
            (["note", cid, "  "], ["TEXT", "the note is empty"]),
            (["promise", cid, "-5", "--by", "2026-12-24"], ["AMOUNT", "is negative"]),
            (["dispute", "INV-1", "--reason", ""], ["--reason", "a dispute needs a reason"]),
            (["plan", cid, "--invoice", "INV-1", "--installments", "0", "--every", "30", "--first", "2026-12-24"],
             ["--installments", "at least one installment"]),
            (["pay", "\u202eevil", "12.00"], ["CLIENT", "control character"]),
            (["pay", cid, "12.00", "--invoice", "INV-1", "--invoice", "INV-1"], ["--invoice", "named twice"]),
        ):
            code, out, err = run(capsys, "--book", str(book), "--on", DAY.isoformat(), *argv)
            assert code == 1 and err.count("\n") == 1 and all(w in err for w in words), (argv, err)
            assert "lock" not in err.lower() and "open for writing" not in err, err
        for argv in (["note", cid, "all good"], ["pay", cid + "x", "12.00"]):  # right, or needing the book
            code, _, err = run(capsys, "--book", str(book), "--on", DAY.isoformat(), *argv)
            assert code == 1 and err.count("\n") == 1 and "open for writing by 'dun (app)'" in err, err
            assert "do it in the app (I imports a file) or close the app" in err and "read-only" not in err, err
        assert folder_hash(book) == before  # nothing was written
    finally:
        holder.close()
    # once the app is closed, the unknown client gets its did-you-mean
    code, _, err = run(capsys, "--book", str(book), "--on", DAY.isoformat(), "pay", cid + "x", "12.00")
    assert code == 1 and "unknown client" in err and f"did you mean '{cid}'" in err



def test_bytes_that_are_not_utf8_on_the_command_line_get_one_line_and_change_nothing(capsys, book):
    """A terminal set to Latin-1 sends 'café' as b'caf\\xe9', which reaches Python as a lone
    surrogate: saving it ended in a traceback (TypeError: str is not valid UTF-8)."""
    from tests.hostile_support import folder_hash

    before = folder_hash(book)
    code, out, _ = run(capsys, "--book", str(book), "client", "list", "--json")
    cid = __import__("json").loads(out)[0]["id"]
    for argv, where in ((["note", cid, "caf\udce9"], "TEXT"), (["pay", cid, "1.00", "--reference", "r\udce9f"], "--reference"),
                        (["dispute", "INV-1", "--reason", "\udcff"], "--reason")):
        code, out, err = run(capsys, "--book", str(book), "--on", DAY.isoformat(), *argv)
        assert code == 1 and err.count("\n") == 1 and "Traceback" not in err, err
        assert f"{where}: '" in err and "is not UTF-8 text" in err, err
    assert folder_hash(book) == before


def test_a_client_typed_as_part_of_its_id_or_name_is_named_in_the_hint(capsys, book):
    """`dun pay parkside 100` said only "see 'dun client list'": the id was
    parkside-dental-practice, too far from 'parkside' for a spelling match."""
    from store import open_book

    with open_book(book, readonly=True, today=DAY) as repo:
        clients = repo.clients()
    cid = max(clients, key=len)  # a long id, whose first word alone is far from it
    first = cid.split("-")[0]
    assert len(first) * 2 < len(cid)
    code, _, err = run(capsys, "--book", str(book), "--on", DAY.isoformat(), "pay", first, "100")
    assert code == 1 and err.count("\n") == 1 and f"'{cid}'" in err and "did you mean" in err
    word = max(clients[cid].name.split(), key=len)  # a word of the name
    code, _, err = run(capsys, "--book", str(book), "--on", DAY.isoformat(), "pay", word.lower(), "100")
    assert code == 1 and f"'{cid}'" in err
