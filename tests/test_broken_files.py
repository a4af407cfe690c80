"""Issue 16 item 12: a broken file of the book gives one line, never a traceback. Every file
(policy.toml, book.json, book.journal, .lock, keymap.toml) truncated, garbage, NUL bytes,
empty, of the wrong JSON/TOML types, a folder in its place, unreadable."""
from __future__ import annotations

import os
import shutil

import pytest

from .hostile_support import ON, checkpoint, folder_hash, make_book, one_line_refusal, run


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    """A small book whose journal holds one payment after the last checkpoint."""
    class _Quiet:
        def readouterr(self):
            return "", ""

    import contextlib
    import io

    path = tmp_path_factory.mktemp("pristine") / "book"
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        make_book(_Quiet(), path)
        checkpoint(path)
        from cli.main import main

        assert main(["pay", "acme-supplies", "1.00", "--on", ON, "--book", str(path)]) == 0
    assert (path / "book.journal").stat().st_size > 0
    return path


WRONG_TYPES = {
    "book.json": b'{"meta": [], "clients": {"1": 5}}',
    "book.journal": b'[1, 2, 3]\n{"not": "an entry"}\n',
    "policy.toml": b'[ladder]\nmin_gap_days = "seven"\n[[steps]]\nid = 1\n',
    ".lock": b'[1, 2, 3]',
}


def _break(path, how: str) -> None:
    data = path.read_bytes() if path.is_file() else b""
    if how == "empty":
        path.write_bytes(b"")
    elif how == "truncated":
        path.write_bytes(data[: max(1, len(data) // 2)])
    elif how == "garbage":
        path.write_bytes(bytes((i * 37 + 11) % 256 for i in range(4000)))
    elif how == "nul":
        path.write_bytes(b"\x00" * 512)
    elif how == "not utf-8":
        path.write_bytes(data.replace(b"a", b"\xe9", 3) or b"\xff\xfe")
    elif how == "wrong types":
        path.write_bytes(WRONG_TYPES[path.name])
    elif how == "folder":
        path.unlink(missing_ok=True)
        path.mkdir()
    elif how == "unreadable":
        path.chmod(0)
    else:  # pragma: no cover
        raise AssertionError(how)


FILES = ["policy.toml", "book.json", "book.journal", ".lock"]
HOWS = ["empty", "truncated", "garbage", "nul", "not utf-8", "wrong types", "folder",
        pytest.param("unreadable", marks=pytest.mark.skipif(os.geteuid() == 0, reason="root reads everything"))]
COMMANDS = [["client", "list"], ["agenda"], ["pay", "acme-supplies", "1.00"], ["check"], ["report"]]

# What must be refused outright; anything else may also be read fine (a torn last journal
# line is a write that was never acknowledged; .lock's content is only a note of its holder,
# and only a writer opens it; a command that does not read the policy does not mind it).
def must_refuse(name: str, how: str, command: str) -> bool:
    if name == "book.json":
        return True
    if name == "book.journal":
        return how in ("folder", "unreadable")
    if name == "policy.toml":  # (a write too: nothing is written while the policy cannot be used)
        return how in ("folder", "garbage", "nul", "wrong types", "unreadable")
    return how == "folder" and command == "pay"  # .lock


@pytest.mark.parametrize("name", FILES)
@pytest.mark.parametrize("how", HOWS)
def test_a_broken_file_gives_one_line(pristine, tmp_path, capsys, name, how):
    for argv in COMMANDS:
        book = tmp_path / f"book-{argv[0]}"
        shutil.copytree(pristine, book)
        _break(book / name, how)
        before = folder_hash(book)
        code, out, err = run(capsys, *argv, "--on", ON, "--book", book)
        assert "Traceback" not in err + out, err
        if code != 0:
            line = one_line_refusal(code, out, err) if argv[0] != "check" else err.strip().splitlines()[-1]
            assert line.startswith("dun: ")
            if argv[0] != "check":
                assert folder_hash(book) == before, (name, how, argv)
        if must_refuse(name, how, argv[0]):
            assert code == 1, (name, how, argv, out, err)
        (book / name).chmod(0o755 if (book / name).is_dir() else 0o644)


def test_a_damaged_lock_file_of_a_held_book_names_no_holder_and_no_traceback(pristine, tmp_path, capsys):
    from store.files import WriteLock

    book = tmp_path / "book"
    shutil.copytree(pristine, book)
    lock = WriteLock(book / ".lock")
    lock.acquire("dun test")
    try:
        (book / ".lock").write_bytes(WRONG_TYPES[".lock"])
        line = one_line_refusal(*run(capsys, "pay", "acme-supplies", "1.00", "--on", ON, "--book", book))
        assert "open for writing by another process" in line
    finally:
        lock.release()


@pytest.mark.parametrize("how", ["empty", "garbage", "nul", "not utf-8", "wrong types", "folder", "bad keys"])
def test_a_broken_keymap_is_reported_and_the_app_still_starts(pristine, tmp_path, how, config_home):
    import asyncio

    from tui.app import create_app
    from tui.keymap import load_keymap

    from .tui_support import DAY, settle

    book = tmp_path / "book"
    shutil.copytree(pristine, book)
    path = config_home / "keymap.toml"
    path.write_bytes(b'[keys]\n"nav.today" = "f1"\n')
    if how == "wrong types":
        path.write_bytes(b"keys = 5\n")
    elif how == "bad keys":
        path.write_bytes('[keys]\n"nav.today" = ",,ctrl+,\\u0000"\n"no.such.binding" = "x"\n"today.edit" = 5\n'
                         .encode())
    else:
        _break(path, how)
    keys, problems, where = load_keymap(book)
    if how not in ("empty", "bad keys"):
        assert problems and where == path
    assert all("\n" not in p.line() for p in problems)

    async def start() -> list[str]:
        app = create_app(book, on=DAY)
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(app, pilot)
            return [p.line() for p in app.keymap_problems]

    shown = asyncio.run(start())
    assert shown == [p.line() for p in problems]


# A journal line's checksum is a CRC anyone can compute: a line with a good checksum whose
# JSON is not of the shape dun writes was applied half-way (a traceback) or, worse, applied
# and then written into book.json by checkpoint (a table dun does not know, a new meta).
FORGED = [
    b'{"seq":9,"ops":[["put"]]}',
    b'{"seq":9,"ops":[["put","clients",1,"notadict"]]}',
    b'{"seq":9,"ops":[["put","meta",1,{"schema":3,"seq":0,"book_id":"../../x"}]]}',
    b'{"seq":"9","ops":[]}',
    b'{"seq":true,"ops":[]}',
    b'{"seq":9}',
    b'[1,2,3]',
    b'{"seq":9,"ops":[["put",["x"],1,{}]]}',
    b'{"seq":9,"ops":[["put","clients",1,{"id":"zed","name":"Zed","currency":"GBP","terms_days":30},["x"]]]}',
    b'{"seq":9,"ops":[["put","invoices",99,{"number":"X","client":["x"]}]]}',
    b'{"seq":1e400,"ops":[]}',
    b'{"seq":9,"ops":[["put","evil_table",1,{"id":"x"}]]}',
    b'{"seq":9,"ops":[["put","clients",{"a":1},{"id":"zed","name":"Zed","currency":"GBP","terms_days":30}]]}',
    b'{"seq":9,"ops":[["put","clients","abc",{"id":"zed","name":"Zed","currency":"GBP","terms_days":30}]]}',
    b'{"seq":9,"ops":[["drop","clients",1]]}',
    b'{"seq":9,"ops":[["put","clients","0999",{"id":"zed","name":"Zed","currency":"GBP","terms_days":30}]]}',
]


@pytest.mark.parametrize("body", FORGED, ids=range(len(FORGED)))
def test_a_journal_line_with_a_good_checksum_but_not_of_dun_is_one_line_and_never_checkpointed(
        pristine, tmp_path, capsys, body):
    import zlib

    import orjson

    book = tmp_path / "book"
    shutil.copytree(pristine, book)
    journal = book / "book.journal"
    raw = journal.read_bytes()
    seq = orjson.loads(raw.splitlines()[-1][9:].split(b"\t")[0])["seq"]
    body = body.replace(b'"seq":9', b'"seq":%d' % (seq + 1)).replace(b'"seq":"9"', b'"seq":"%d"' % (seq + 1))
    journal.write_bytes(raw + b"%08x " % zlib.crc32(body) + body + b"\n")
    before = folder_hash(book)
    for argv in (["client", "list", "--on", ON], ["agenda", "--on", ON], ["checkpoint"],
                 ["pay", "acme-supplies", "1.00", "--on", ON]):
        code, out, err = run(capsys, *argv, "--book", book)
        line = one_line_refusal(code, out, err)
        assert "journal" in line and "not a change dun wrote" in line, line
        assert folder_hash(book) == before, argv


@pytest.mark.parametrize("key", ["abc", "01", "", "1.0", "\u00b2", "1\n2", "0", "\u0661"])
def test_a_document_key_that_is_not_a_whole_number_is_one_line_everywhere(pristine, tmp_path, capsys, key):
    """TinyDB numbers documents "1", "2" …; a hand-edited key ("abc") passed dun check and
    every command but publish, which failed with a traceback (int('abc'))."""
    import orjson

    book = tmp_path / "book"
    shutil.copytree(pristine, book)
    checkpoint(book)
    data = orjson.loads((book / "book.json").read_bytes())
    first = next(iter(data["clients"]))
    data["clients"][key] = data["clients"].pop(first)
    (book / "book.json").write_bytes(orjson.dumps(data))
    before = folder_hash(book, skip=("site",))
    for argv in (["check"], ["client", "list", "--on", ON], ["publish", "--no-pdf", "--on", ON],
                 ["pay", "acme-supplies", "1.00", "--on", ON]):
        code, out, err = run(capsys, *argv, "--book", book)
        line = one_line_refusal(code, out, err)
        assert "document key" in line and "clients" in line, line
    assert folder_hash(book, skip=("site",)) == before


@pytest.mark.parametrize("owner", [["x"], {"a": 1}])
def test_an_old_journal_line_over_a_document_of_no_text_client_is_no_traceback(pristine, tmp_path, capsys, owner):
    """A journal line of four items (written before the replaced document's client was kept)
    reads that client from book.json, where a hand edit may have made it a list: the set of
    clients a change touched could not hold it (a traceback for every command). The line
    replaces that document with a whole one, so the book reads."""
    import zlib

    import orjson

    from .hostile_support import edit_book

    book = tmp_path / "book"
    shutil.copytree(pristine, book)
    data = orjson.loads((book / "book.json").read_bytes())  # (before the edit: the document as dun wrote it)
    doc_id, doc = next((k, d) for k, d in data["invoices"].items() if d["client"] == "acme-supplies")

    def change(data: dict) -> None:
        data["invoices"][doc_id]["client"] = owner
    edit_book(book, change)
    seq = orjson.loads((book / "book.json").read_bytes())["meta"]["1"]["seq"]
    body = orjson.dumps({"seq": seq + 1, "ops": [["put", "invoices", int(doc_id), doc]]})
    (book / "book.journal").write_bytes(b"%08x " % zlib.crc32(body) + body + b"\n")
    for argv in (["client", "list", "--on", ON], ["check"], ["checkpoint"]):
        code, out, err = run(capsys, *argv, "--book", book)
        assert "Traceback" not in err, err
        assert code == 0, (argv, err)
    assert "acme-supplies" in run(capsys, "client", "list", "--on", ON, "--book", book)[1]


def _hand_edit(pristine, tmp_path, change):
    import orjson

    book = tmp_path / "book"
    shutil.copytree(pristine, book)
    checkpoint(book)
    data = orjson.loads((book / "book.json").read_bytes())
    change(data)
    (book / "book.json").write_bytes(orjson.dumps(data))
    return book


def _first(data: dict, table: str, **match) -> dict:
    return next(d for d in data[table].values() if all(d.get(k) == v for k, v in match.items()))


@pytest.mark.parametrize("field, value, words", [
    ("hold", "no", "hold is 'no', not true or false"),
    ("hold", "false", "hold is 'false'"),
    ("hold", 1, "hold is 1"),
    ("terms_days", True, "terms_days is True"),
    ("terms_days", 30.5, "terms_days is 30.5"),
])
def test_a_client_flag_or_term_in_another_form_is_refused_not_misread(pristine, tmp_path, capsys, field, value, words):
    """A hand-edited ``"hold": "no"`` put the client on hold (bool("no") is true) and
    ``"terms_days": true`` gave one day's terms, with only ``dun check`` saying so."""
    book = _hand_edit(pristine, tmp_path, lambda data: _first(data, "clients", id="acme-supplies").update({field: value}))
    before = folder_hash(book, skip=("site",))
    for argv in (["client", "list", "--on", ON], ["agenda", "--on", ON], ["pay", "acme-supplies", "1.00", "--on", ON]):
        code, out, err = run(capsys, *argv, "--book", book)
        line = one_line_refusal(code, out, err)
        assert words in line and "Error" not in line, line
    code, out, err = run(capsys, "check", "--book", book)
    assert words in out + err
    assert folder_hash(book, skip=("site",)) == before


def test_an_activitys_invoices_stored_as_text_are_refused_not_read_letter_by_letter(pristine, tmp_path, capsys):
    def change(data):
        _first(data, "activities")["invoices"] = "INV-1001"
    book = _hand_edit(pristine, tmp_path, change)
    code, out, err = run(capsys, "agenda", "--on", ON, "--book", book)
    line = one_line_refusal(code, out, err)
    assert "invoices is 'INV-1001', not a list of invoice numbers" in line, line
    assert "activities: activity '" in line, line  # (which record: the table and its id)


@pytest.mark.parametrize("table", ["payments", "promises"])
def test_a_payment_or_promise_id_found_twice_is_refused_as_an_invoice_number_twice_is(pristine, tmp_path, capsys,
                                                                                       table):
    """Voiding one of two payments with one id voided both; 'dun void' voided one of two
    promises without saying there were two. The refusal names both records' clients."""
    def change(data):
        docs = data[table]
        docs[str(len(docs) + 1)] = dict(next(iter(docs.values())))
    book = _hand_edit(pristine, tmp_path, change)
    for argv in (["client", "list", "--on", ON], ["agenda", "--on", ON]):
        code, out, err = run(capsys, *argv, "--book", book)
        line = one_line_refusal(code, out, err)
        assert f"{table[:-1]} id" in line and "appears twice (clients '" in line, line
    code, out, err = run(capsys, "check", "--book", book)
    assert "appears twice" in out + err


def test_a_record_without_a_field_names_the_field_not_a_python_exception(pristine, tmp_path, capsys):
    def change(data):
        del _first(data, "invoices")["due"]
    book = _hand_edit(pristine, tmp_path, change)
    code, out, err = run(capsys, "agenda", "--on", ON, "--book", book)
    line = one_line_refusal(code, out, err)
    assert "invoice 'INV-1001' cannot be read: no 'due' field" in line and "KeyError" not in line, line
