"""The payments and activities CSVs (publish.csvdata): each client's rows formatted from its
records alone and joined equal one pass over every record; a republish formats only the
rows of the clients that changed, and equals a full build."""
from __future__ import annotations

import os
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from publish import csvdata
from publish import site as site_mod
from publish.site import publish
from receivables import demo
from receivables.model import Activity, Payment
from store import codec, init_book, open_book

ON = date(2026, 11, 23)
TAG = "templates"


@pytest.fixture(scope="module")
def book():
    return demo.generate(clients=12, invoices=160, seed=11, today=ON)


def _changes(book) -> tuple[tuple, tuple, list[tuple[str, object]]]:
    """New payments and activities tuples, and the records put (in order) to get them."""
    pays, acts = list(book.payments), list(book.activities)
    old_pay = sorted(pays, key=lambda p: (p.date, p.id))
    cur = old_pay[0].currency
    puts: list[tuple[str, object]] = [
        ("payments", Payment("PAY-T1", ON, old_pay[0].client, Decimal("10.00"), cur, "bank", "today")),
        ("payments", Payment("PAY-T2", ON - timedelta(days=200), old_pay[1].client, Decimal("1.50"), cur,
                             reference="=1+1 backdated")),
        ("payments", replace(old_pay[5], reference="edited reference")),  # same id, same date, new text
        ("payments", replace(old_pay[9], date=old_pay[9].date + timedelta(days=30))),  # moves
        ("payments", replace(old_pay[12], date=ON + timedelta(days=3))),  # moves past the date: gone
        ("payments", Payment("PAY-T3", ON + timedelta(days=1), old_pay[2].client, Decimal("5.00"), cur)),  # later
        ("payments", Payment("PAY-T1", ON, old_pay[0].client, Decimal("12.00"), cur, "bank", "today, again")),
        ("activities", Activity("ACT-T1", ON, old_pay[0].client, "email", body='Line one\nsaid "pay", 2nd line',
                                outcome="sent", internal=True)),
        ("activities", replace(sorted(acts, key=lambda a: (a.date, a.id))[3], internal=False, body="now public")),
    ]
    for table, rec in puts:
        rows = pays if table == "payments" else acts
        at = next((i for i, r in enumerate(rows) if r.id == rec.id), None)
        if at is None:
            rows.append(rec)
        else:
            rows[at] = rec
    return tuple(pays), tuple(acts), puts


@pytest.mark.parametrize("show", [True, False])
def test_every_clients_rows_joined_equal_one_pass_over_the_records(book, show):
    """Each client's rows (formatted from its records alone), joined, are byte for byte the
    CSV one pass over every record writes: after edits, moves, backdated, future-dated and
    hostile rows (a line break and quotes in a cell, formula-like text) too."""
    from receivables.engine import group_by_client

    pays, acts, _ = _changes(book)
    after = replace(book, payments=pays, activities=acts)
    for b in (book, after):
        groups = group_by_client(b)
        rows = [csvdata.client_rows(groups[cid], ON, show) for cid in sorted(b.clients)]
        assert csvdata.joined("payments", (r["payments"] for r in rows)) == csvdata.payments_csv(b, ON)
        assert csvdata.joined("activities", (r["activities"] for r in rows)) == csvdata.activities_csv(b, ON, show)
    text = csvdata.payments_csv(after, ON).decode()
    assert "'=1+1 backdated" in text and "PAY-T3" not in text  # neutralised; after the date: not shown


def test_lines_are_cut_as_written():
    rows = [["2026-01-01", "A", 'said "hi"\nthen left', ""], ["2026-01-02", "B", "plain", "x\r\ny"],
            ["2026-01-03", "C", '"', "\n"], ["2026-01-04", "D", "=cmd", "@x"]]
    lines = csvdata.format_lines(["d", "id", "t", "u"], [list(r) for r in rows], {"t", "u"})
    assert lines == [csvdata.csv_fast(["d", "id", "t", "u"], [list(r)], {"t", "u"}, with_header=False).decode()
                     for r in rows]


def _files(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*"))
            if p.is_file() and p.name != site_mod.MANIFEST}


def _republish(book_dir: Path, site: Path, **kw):
    """A build as `dun publish` makes it (a new repository), and the clients whose rows it formatted."""
    formatted: list[str] = []
    real = csvdata.client_rows

    def spy(records, *a):
        formatted.extend(records.clients)
        return real(records, *a)

    csvdata.client_rows = spy
    repo = open_book(book_dir, readonly=True)
    try:
        return publish(repo, None, ON, site, pdf=False, **kw), formatted
    finally:
        repo.close()
        csvdata.client_rows = real


def test_a_republish_formats_only_the_changed_clients_rows(tmp_path, book):
    """A republish in a new process keeps every other client's rows (by revision, in the
    user's cache) and the site equals a full build's."""
    book_dir = init_book(tmp_path / "book", book=book).root
    site, full = tmp_path / "site", tmp_path / "full"
    _, formatted = _republish(book_dir, site)
    assert sorted(formatted) == sorted(book.clients)
    with open_book(book_dir) as repo:
        cid = sorted(repo.clients())[0]
        cur = repo.clients()[cid].currency
        repo.record_payment(Payment("", ON - timedelta(days=90), cid, Decimal("3.00"), cur, reference="late entry"))
        repo.log_activity(Activity("", ON, cid, "phone", body="=call back", outcome="reached", internal=False))
    r, formatted = _republish(book_dir, site)
    assert formatted == [cid]
    assert {"data/payments.csv", "data/activities.csv"} <= set(r.rewritten)
    _, formatted = _republish(book_dir, full, incremental=False)
    assert sorted(formatted) == sorted(book.clients)  # a full build keeps nothing
    assert _files(site) == _files(full)


def test_kept_rows_that_are_damaged_or_of_another_key_count_as_absent(tmp_path, book):
    """The kept rows live in the user's cache as plain JSON: a file that is not what a build
    writes (truncated, edited into another shape) is not used, and the site is still right."""
    from publish import kept

    book_dir = init_book(tmp_path / "book", book=book).root
    site, full = tmp_path / "site", tmp_path / "full"
    _republish(book_dir, site)
    with open_book(book_dir, readonly=True) as repo:
        folder = kept.path_of(repo.cache_id, "x").parent
    (path,) = folder.glob("publish-*.json")
    raw = path.read_bytes()
    for damage, again in ((raw[: len(raw) // 2], True), (raw.replace(b'"payments":[', b'"payments":[7,', 1), True),
                          (raw.replace(b'"clients":{', b'"clients":{"zz":[1,2],', 1), False)):
        path.write_bytes(damage)
        _, formatted = _republish(book_dir, site)
        # formatted again: all (unreadable) or the entry not in shape; a stray entry is ignored
        assert bool(formatted) == again, damage[:40]
        _republish(book_dir, full, incremental=False)
        assert _files(site) == _files(full)


def test_a_book_id_that_is_not_a_plain_name_keeps_nothing(tmp_path, monkeypatch):
    """The book id (from the book's own meta, which a received book may set to anything) names
    a folder in the cache: one that is not a plain name keeps and reads nothing."""
    from publish import kept

    monkeypatch.setenv("DUN_CACHE_DIR", str(tmp_path / "cache" / "dun"))
    data = kept.Kept({"c": ("1-0", {"payments": ([], []), "activities": ([], [])})}, {})
    for bad in ("../../escape", "/abs", "a/b", "", "..", "x" * 65):
        assert not kept.write(bad, "key", data)
        assert kept.read(bad, "key", csvdata.LONG_TABLES) == kept.Kept()
    assert not (tmp_path / "escape").exists() and not (tmp_path / "cache" / "escape").exists()
    assert kept.write("a1b2c3", "key", data) and kept.read("a1b2c3", "key", csvdata.LONG_TABLES) == data


def test_kept_rows_read_back_as_written_and_a_row_with_a_nul_is_not_kept(tmp_path, monkeypatch):
    """The kept rows (each table's keys and lines joined by NUL) read back equal to what was
    kept, lines with quotes and line breaks included; a client whose row holds a NUL is not
    kept (formatted again next time), and an entry whose count does not match is dropped."""
    import orjson

    from publish import kept

    monkeypatch.setenv("DUN_CACHE_DIR", str(tmp_path / "cache"))
    rows = {"payments": (["2026-01-02 P1", "2026-01-03 P2"], ['c,P1,"a ""quoted""\r\nline"\r\n', "c,P2\r\n"]),
            "activities": ([], [])}
    nul = {"payments": (["2026-01-02 P9"], ["c,P9,bad\0note\r\n"]), "activities": ([], [])}
    data = kept.Kept({"c": ("1-0", rows), "n": ("2-0", nul), "d": ("3-0", rows)}, {"x": "<svg/>"})
    assert kept.write("b1", "key", data)
    path = kept.path_of("b1", "key")
    raw = orjson.loads(path.read_bytes())
    raw["clients"]["d"][1]["payments"][0] = 3  # two rows said to be three
    path.write_bytes(orjson.dumps(raw))
    got = kept.read("b1", "key", csvdata.LONG_TABLES)
    assert got.rows == {"c": ("1-0", rows)} and got.charts == {"x": "<svg/>"}


def test_a_carriage_return_in_a_cell_cannot_start_a_row_of_its_own():
    """csv quotes a cell holding "\\n" but not one holding a bare "\\r": a spreadsheet (and
    Python's csv reader) took the text after it as a new row, a formula at its start unguarded
    ("ok\\r=cmd|' /C calc'!A0" in a payment's reference, which a bank statement can carry)."""
    import csv
    import io

    from receivables.csvsafe import write_rows

    evil = "ok\r=2+5+cmd|' /C calc'!A0"
    rows = [["2026-12-04", "PAY-1", evil, "=x\r\n=y"]]
    fast = csvdata.csv_fast(["d", "id", "ref", "note"], [list(r) for r in rows], {"ref", "note"}).decode()
    slow = io.StringIO()
    write_rows(slow, ["d", "id", "ref", "note"], rows)
    for text in (fast, slow.getvalue()):
        got = list(csv.reader(io.StringIO(text, newline="")))
        assert got == [["d", "id", "ref", "note"], ["2026-12-04", "PAY-1", "ok\n=2+5+cmd|' /C calc'!A0", "'=x\n=y"]]
        assert "\r" not in text
    lines = csvdata.format_lines(["d", "id", "ref", "note"], [list(r) for r in rows], {"ref", "note"})
    assert "".join(lines) == fast.split("\n", 1)[1]
