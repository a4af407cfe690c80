"""The payments and activities CSVs in cached blocks (publish.csvdata): brought up to date
from the last build's rows and the documents put since, they equal a build from the whole
book, block for block and byte for byte, and only the blocks that changed are made."""
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


def _write_blocks(folder: Path, longs: list[csvdata.LongCsv], old: dict[str, bytes]) -> dict[str, str]:
    """Lay a build's blocks out as a site's cache holds them; the manifest's files."""
    files = {}
    for c in longs:
        for rel, fp in c.blocks:
            data = c.fresh.get(rel) or old[rel]
            path = folder / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            files[rel] = fp
    return files


def _csv(folder: Path, c: csvdata.LongCsv) -> bytes:
    return csvdata.csv_fast(c.header, [], c.text) + b"".join(
        c.fresh.get(rel) or (folder / rel).read_bytes() for rel, _ in c.blocks)


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
@pytest.mark.parametrize("block", [7, 2000])
def test_an_update_from_the_last_rows_equals_a_build_from_the_records(tmp_path, book, monkeypatch, show, block):
    monkeypatch.setattr(csvdata, "CSV_BLOCK", block)
    before = csvdata.build(csvdata.tables_of_records(book, ON, show), {}, TAG)
    old_files = _write_blocks(tmp_path, before, {})
    pays, acts, puts = _changes(book)
    after_book = replace(book, payments=pays, activities=acts)
    expected = csvdata.build(csvdata.tables_of_records(after_book, ON, show), old_files, TAG)
    for old, want in zip(before, expected):
        docs = [codec.TABLES[t][2](rec) for t, rec in puts if t == old.name]
        got = csvdata.update(old.name, old.rows, docs, ON, show, old_files, str(tmp_path), TAG)
        assert got.blocks == want.blocks
        assert got.rows == want.rows
        assert sorted(got.fresh) == sorted(want.fresh)  # the same blocks made again, no more
        assert got.fresh == want.fresh
        if block == 7:
            assert 0 < len(got.fresh) < len(got.blocks)
    assert _csv(tmp_path, expected[0]) == csvdata.payments_csv(after_book, ON)
    assert _csv(tmp_path, expected[1]) == csvdata.activities_csv(after_book, ON, show)
    text = _csv(tmp_path, expected[0]).decode()
    assert "edited reference" in text and "PAY-T3" not in text and "'=1+1 backdated" in text


def test_nothing_put_keeps_every_block(tmp_path, book):
    before = csvdata.build(csvdata.tables_of_records(book, ON, True), {}, TAG)
    old_files = _write_blocks(tmp_path, before, {})
    for c in before:
        got = csvdata.update(c.name, c.rows, [], ON, True, old_files, str(tmp_path), TAG)
        assert got.blocks == c.blocks and not got.fresh and got.rows == c.rows


def test_an_update_that_needs_a_block_which_is_gone_is_stale(tmp_path, book, monkeypatch):
    monkeypatch.setattr(csvdata, "CSV_BLOCK", 5)
    before = csvdata.build(csvdata.tables_of_records(book, ON, True), {}, TAG)
    old_files = _write_blocks(tmp_path, before, {})
    pays = before[0]
    last_rel = pays.blocks[-1][0]
    (tmp_path / last_rel).write_bytes(b"not,the\nrows,it\nhad\n")
    doc = codec.payment_to_doc(Payment("PAY-T9", ON, sorted(book.clients)[0], Decimal("1.00"), "GBP"))
    with pytest.raises(csvdata.Stale):
        csvdata.update("payments", pays.rows, [doc], ON, True, old_files, str(tmp_path), TAG)
    os.unlink(tmp_path / last_rel)
    with pytest.raises(csvdata.Stale):
        csvdata.update("payments", pays.rows, [doc], ON, True, old_files, str(tmp_path), TAG)


def test_row_digests_cut_from_one_dump_equal_those_of_each_row_alone():
    """The digests of many rows come from one JSON dump cut at the rows' edges: text that looks
    like an edge, line breaks and empty lists inside a row do not move the cuts."""
    keys = [("PAY-1", "2026-01-01", "c", [("INV-1", "1.00"), ("INV-2", "2.00")]),
            ("PAY-2", "2026-01-01", 'x\n  ],\n  [\ny "]"', []),
            ("PAY-3", "2026-01-02", "", [["\n  ]\n]"]]),
            ("ACT-1", "2026-01-02", True, 0, ("a", "b"))]
    alone = [csvdata._digests([k]) for k in keys]
    assert csvdata._digests(keys) == b"".join(alone)
    assert len(set(alone)) == len(keys) and all(len(d) == csvdata.DIGEST for d in alone)
    assert csvdata._digests([keys[0]]) != csvdata._digests([(*keys[0][:3], [("INV-1", "1.00")])])


def test_rows_split_back_as_written():
    rows = [["2026-01-01", "A", 'said "hi"\nthen left', ""], ["2026-01-02", "B", "plain", "x\r\ny"],
            ["2026-01-03", "C", '"', "\n"]]
    data = [csvdata.csv_fast(["d", "id", "t", "u"], [r], {"t", "u"}, with_header=False) for r in rows]
    assert csvdata.split_rows(b"".join(data)) == data


def _files(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*"))
            if p.is_file() and p.name != site_mod.MANIFEST and site_mod.CACHE not in p.parts}


def _republish(book_dir: Path, site: Path, **kw):
    """A build as `dun publish` makes it, and the tables it parsed."""
    from store.repository import Tables

    parsed: set[str] = set()
    real = Tables._parse

    def spy(self, name):
        parsed.add(name)
        return real(self, name)

    Tables._parse = spy
    repo = open_book(book_dir, readonly=True)
    try:
        return publish(repo, None, ON, site, pdf=False, **kw), parsed
    finally:
        repo.close()
        Tables._parse = real


def test_a_republish_after_a_payment_reads_neither_long_table(tmp_path, book, monkeypatch):
    """The long CSVs of a republish in a new process come from the kept rows and the journal:
    the payments and activities tables are not parsed, and the site equals a whole build."""
    monkeypatch.setattr(csvdata, "CSV_BLOCK", 9)
    book_dir = init_book(tmp_path / "book", book=book).root
    site, full = tmp_path / "site", tmp_path / "full"
    _republish(book_dir, site)
    with open_book(book_dir) as repo:
        cid = sorted(repo.clients())[0]
        cur = repo.clients()[cid].currency
        repo.record_payment(Payment("", ON - timedelta(days=90), cid, Decimal("3.00"), cur, reference="late entry"))
        repo.log_activity(Activity("", ON, cid, "phone", body="=call back", outcome="reached", internal=False))
    r, parsed = _republish(book_dir, site)
    assert "kept state" in r.phases
    assert not parsed & {"payments", "activities"}
    assert {"data/payments.csv", "data/activities.csv"} <= set(r.rewritten)
    _republish(book_dir, full, incremental=False)
    assert _files(site) == _files(full)


def test_a_republish_whose_old_block_is_gone_reads_the_tables(tmp_path, book, monkeypatch):
    monkeypatch.setattr(csvdata, "CSV_BLOCK", 9)
    book_dir = init_book(tmp_path / "book", book=book).root
    site, full = tmp_path / "site", tmp_path / "full"
    _republish(book_dir, site)
    for p in (site / site_mod.CACHE / "csv").glob("payments-*"):
        p.unlink()
    with open_book(book_dir) as repo:
        cid = sorted(repo.clients())[1]
        repo.record_payment(Payment("", ON - timedelta(days=300), cid, Decimal("4.00"), repo.clients()[cid].currency))
    r, parsed = _republish(book_dir, site)
    assert "kept state" in r.phases and "payments" in parsed
    _republish(book_dir, full, incremental=False)
    assert _files(site) == _files(full)


def test_a_whole_book_republish_updates_the_kept_rows_instead_of_digesting_every_row(tmp_path, book, monkeypatch):
    """When the app republishes from the whole book (it holds the index; the kept state's
    clients are not used, here because too many changed) with its repository, the long CSVs
    come from the last build's kept rows and the journal, not from every row digested again;
    when those rows cannot be brought up to date, every row is digested here."""
    from publish import fast
    from receivables.ledger import index_book

    monkeypatch.setattr(csvdata, "CSV_BLOCK", 9)
    monkeypatch.setattr(fast, "MAX_CHANGED", 0)
    book_dir = init_book(tmp_path / "book", book=book).root
    site, full = tmp_path / "site", tmp_path / "full"
    _republish(book_dir, site)
    digested = []
    real = site_mod._whole_long_csvs

    def spy(*args):
        digested.append(True)
        return real(*args)

    monkeypatch.setattr(site_mod, "_whole_long_csvs", spy)
    with open_book(book_dir) as repo:  # the app: one repository, its index of the book before the change
        index = index_book(repo.book())
        cid = sorted(repo.clients())[2]
        repo.record_payment(Payment("", ON - timedelta(days=40), cid, Decimal("6.00"), repo.clients()[cid].currency,
                                    reference="+from the app"))
        r = publish(repo, None, ON, site, pdf=False, index=index)
        assert "kept state" not in r.phases and not digested
        assert "data/payments.csv" in r.rewritten
        for p in (site / site_mod.CACHE / "csv").glob("activities-*"):
            p.unlink()  # the kept rows' blocks are gone: digested here after all
        repo.log_activity(Activity("", ON, cid, "email", body="-sent", outcome="sent", internal=False))
        index = index_book(repo.book())
        publish(repo, None, ON, site, pdf=False, index=index)
        assert digested
    _republish(book_dir, full, incremental=False)
    assert _files(site) == _files(full)
