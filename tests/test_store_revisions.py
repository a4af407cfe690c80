"""The book's id and the per-client revisions derived state is checked against."""
from __future__ import annotations

import shutil
import zlib
from datetime import date
from decimal import Decimal

import orjson

from receivables.model import Activity, Client, Invoice, Payment
from store import open_book

from .conftest import TODAY


def client(cid: str) -> Client:
    return Client(id=cid, name=cid.title(), currency="GBP", terms_days=30)


def setup_two(repo) -> None:
    repo.add_client(client("acme"))
    repo.add_client(client("brook"))
    repo.add_invoice(Invoice("A-1", "acme", date(2026, 9, 1), date(2026, 10, 1), "GBP", Decimal("100.00")))
    repo.add_invoice(Invoice("B-1", "brook", date(2026, 9, 1), date(2026, 10, 1), "GBP", Decimal("50.00")))


def note(repo, cid: str, body: str = "called") -> None:
    repo.log_activity(Activity("", date(2026, 10, 5), cid, "phone", body=body))


def revisions(book_dir) -> dict[str, str]:
    with open_book(book_dir, readonly=True) as ro:
        return ro.client_revisions()


def test_a_new_book_has_an_id_that_stays(book_dir):
    with open_book(book_dir, readonly=True) as ro:
        first = ro.book_id
    assert first and len(first) >= 16
    with open_book(book_dir, today=TODAY) as repo:
        setup_two(repo)
        repo.checkpoint()
        assert repo.book_id == first
    assert revisions(book_dir) and open_book(book_dir, readonly=True).book_id == first


def test_a_change_moves_only_its_clients_revision_through_checkpoints_and_reopening(book_dir):
    with open_book(book_dir, today=TODAY) as repo:
        setup_two(repo)
        before = repo.client_revisions()
        note(repo, "acme")
        after = repo.client_revisions()
        assert after["acme"] != before["acme"] and after["brook"] == before["brook"]
        assert repo.revision_of("acme") == after["acme"]
    assert revisions(book_dir) == after  # from the journal
    with open_book(book_dir, today=TODAY) as repo:
        repo.checkpoint()
    assert revisions(book_dir) == after  # from book.json's meta
    with open_book(book_dir, today=TODAY) as repo:
        repo.record_payment(Payment("", date(2026, 10, 6), "brook", Decimal("50.00"), "GBP", "bank", "x", ()))
        again = repo.client_revisions()
    assert again["acme"] == after["acme"] and again["brook"] != after["brook"]
    assert revisions(book_dir) == again


def test_an_older_book_without_an_id_reads_and_gets_one_at_its_first_write(book_dir):
    with open_book(book_dir, today=TODAY) as repo:
        setup_two(repo)
        repo.checkpoint()
    path = book_dir / "book.json"
    data = orjson.loads(path.read_bytes())
    data["meta"]["1"] = {"schema": 1, "seq": data["meta"]["1"]["seq"]}  # as older dun wrote it
    path.write_bytes(orjson.dumps(data))
    with open_book(book_dir, readonly=True) as ro:
        assert ro.book_id is None
        old = ro.client_revisions()
        assert set(old) == {"acme", "brook"}
    assert revisions(book_dir) == old  # the same file, the same revisions
    with open_book(book_dir, today=TODAY) as repo:
        note(repo, "acme")
        made = repo.book_id
        assert made
        now = repo.client_revisions()
    assert now["brook"] == old["brook"] and now["acme"] != old["acme"]
    with open_book(book_dir, readonly=True) as ro:
        assert ro.book_id == made and ro.client_revisions() == now


def test_a_hand_edited_book_json_is_not_mistaken_for_the_unchanged_one(book_dir):
    with open_book(book_dir, today=TODAY) as repo:
        setup_two(repo)
        repo.checkpoint()
    before = revisions(book_dir)
    path = book_dir / "book.json"
    raw = path.read_bytes()
    assert b'"50.00"' in raw
    path.write_bytes(raw.replace(b'"50.00"', b'"55.00"'))  # the meta line is left as it was
    edited = revisions(book_dir)
    assert all(edited[c] != before[c] for c in before)
    assert revisions(book_dir) == edited  # one reading of one file: stable


def test_a_book_json_rewritten_by_another_program_is_not_mistaken_either(book_dir):
    with open_book(book_dir, today=TODAY) as repo:
        setup_two(repo)
        repo.checkpoint()
    before = revisions(book_dir)
    path = book_dir / "book.json"
    path.write_bytes(orjson.dumps(orjson.loads(path.read_bytes()), option=orjson.OPT_INDENT_2))
    assert all(revisions(book_dir)[c] != before[c] for c in before)


def test_a_hand_copied_older_book_json_has_the_older_revisions(book_dir, tmp_path):
    with open_book(book_dir, today=TODAY) as repo:
        setup_two(repo)
        repo.checkpoint()
    old_bytes = (book_dir / "book.json").read_bytes()
    old = revisions(book_dir)
    with open_book(book_dir, today=TODAY) as repo:
        note(repo, "acme")
        repo.checkpoint()
    new = revisions(book_dir)
    assert new["acme"] != old["acme"]
    (book_dir / "book.json").write_bytes(old_bytes)  # copied back by hand
    assert revisions(book_dir) == old


def test_two_copies_of_a_book_that_went_separate_ways_never_share_a_revision(book_dir, tmp_path):
    with open_book(book_dir, today=TODAY) as repo:
        setup_two(repo)
    other = tmp_path / "copy"
    shutil.copytree(book_dir, other)
    (other / ".lock").unlink(missing_ok=True)
    with open_book(book_dir, today=TODAY) as repo:
        note(repo, "acme", "spoke to Ann")
    with open_book(other, today=TODAY) as repo:
        note(repo, "acme", "left a voicemail")
    a, b = revisions(book_dir), revisions(other)
    assert open_book(other, readonly=True).book_id == open_book(book_dir, readonly=True).book_id
    assert a["acme"] != b["acme"] and a["brook"] == b["brook"]


def test_a_book_id_that_is_not_a_plain_name_names_no_cache_folder(tmp_path, monkeypatch):
    """A received book's meta may say anything: an id like '../../x' would put (and prune)
    derived files outside the cache folder. It counts as no id; the first write gives a new one."""
    import derived
    from store import init_book

    cache = tmp_path / "cache" / "dun"
    monkeypatch.setenv("DUN_CACHE_DIR", str(cache))
    path = tmp_path / "book"
    init_book(path)
    with open_book(path, today=TODAY) as repo:
        setup_two(repo)
        repo.checkpoint()
    raw = (path / "book.json").read_bytes()
    with open_book(path, readonly=True) as repo:
        good = repo.book_id.encode()
    for bad in ("../../escaped", "/tmp/abs", "a/b", "", "x" * 65):
        (path / "book.json").write_bytes(raw.replace(b'"book_id":"' + good + b'"', b'"book_id":' + orjson.dumps(bad), 1))
        with open_book(path, readonly=True) as repo:
            assert repo.book_id is None
            derived.current(repo, repo.policy(), TODAY)
        assert not (tmp_path / "escaped").exists() and not (cache.parent / "escaped").exists()
        assert not any(cache.rglob("*")) if cache.exists() else True
    with open_book(path, today=TODAY) as repo:
        note(repo, "acme")
        assert repo.book_id and "/" not in repo.book_id and ".." not in repo.book_id


def _meta_and_tables(raw: bytes) -> tuple[dict, bytes]:
    nl = raw.index(b"\n")
    return orjson.loads(raw[len(b'{"meta":'):nl]), raw[nl + 1:]


def test_an_edited_book_json_whose_digest_was_recomputed_is_still_not_believed(book_dir):
    """Whoever edits book.json can recompute any digest that needs no secret (a CRC, a plain
    hash): the digest is an HMAC under a key that lives outside the book."""
    import hashlib
    with open_book(book_dir, today=TODAY) as repo:
        setup_two(repo)
        repo.checkpoint()
    before = revisions(book_dir)
    path = book_dir / "book.json"
    meta, tables = _meta_and_tables(path.read_bytes())
    tables = tables.replace(b'"50.00"', b'"55.00"')
    for forged in (f"{zlib.crc32(tables):08x}-{len(tables)}",
                   f"{hashlib.sha256(tables).hexdigest()[:32]}-{len(tables)}"):
        meta["1"]["digest"] = forged
        path.write_bytes(b'{"meta":' + orjson.dumps(meta) + b"\n" + tables)
        assert all(revisions(book_dir)[c] != before[c] for c in before)


def test_a_book_json_written_under_another_key_is_not_believed(book_dir, monkeypatch, tmp_path):
    """The same bytes written by dun for another user (another key: another machine, a book
    sent back) have revisions this user's derived state never saw."""
    with open_book(book_dir, today=TODAY) as repo:
        setup_two(repo)
        repo.checkpoint()
    mine = revisions(book_dir)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "another-user"))
    theirs = revisions(book_dir)
    assert all(theirs[c] != mine[c] for c in mine)


def _crc_forged(prefix: bytes, target: int) -> bytes:
    """``prefix`` plus four bytes that make its CRC32 ``target`` (CRC32 is linear: anyone
    can make any file's CRC come out as they like)."""
    table = _crc_table()
    top = {t >> 24: i for i, t in enumerate(table)}
    back, idx = target ^ 0xFFFFFFFF, []
    for _ in range(4):
        i = top[back >> 24]
        idx.insert(0, i)
        back = ((back ^ table[i]) << 8) & 0xFFFFFFFF
    state, out = zlib.crc32(prefix) ^ 0xFFFFFFFF, bytearray()
    for i in idx:
        b = (state ^ i) & 0xFF
        out.append(b)
        state = (state >> 8) ^ table[(state ^ b) & 0xFF]
    return prefix + bytes(out)


def test_a_book_not_believed_gets_a_token_no_crc_matching_edit_can_reproduce():
    """Without kept revisions, the token is a collision-resistant hash of the file: an edit
    that keeps the file's CRC32 and size still gives another token."""
    from store.revisions import Revisions
    raw = b'{"clients":{"1":{"id":"acme","name":"Acme"}},"invoices":{"1":{"amount":"50.00"}}}'
    forged = _crc_forged(raw[:-4].replace(b"50.00", b"95.00"), zlib.crc32(raw))
    assert zlib.crc32(forged) == zlib.crc32(raw) and len(forged) == len(raw) and forged != raw
    assert Revisions({}, forged).of("acme") != Revisions({}, raw).of("acme")


def _crc_table():
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0xEDB88320 if c & 1 else c >> 1
        table.append(c)
    return table


def _same_crc_with(body: bytes, old: bytes, start: bytes) -> bytes | None:
    """``body`` with ``old`` replaced by ``start`` and four bytes that keep the CRC32 of the
    whole, or None when those bytes are not plain printable text (another ``start`` will do)."""
    table = _crc_table()
    top = {t >> 24: i for i, t in enumerate(table)}
    i = body.index(old)
    prefix, suffix = body[:i] + start, body[i + len(old):]
    assert len(start) + 4 == len(old)
    state = zlib.crc32(body) ^ 0xFFFFFFFF  # run the CRC back through the suffix
    for b in reversed(suffix):
        k = top[state >> 24]
        state = (((state ^ table[k]) << 8) & 0xFFFFFFFF) | (k ^ b)
    forged = _crc_forged(prefix, state ^ 0xFFFFFFFF) + suffix
    middle = forged[len(prefix):len(prefix) + 4]
    ok = all(0x20 <= c < 0x7F and c not in b'"\\' for c in middle)
    return forged if ok else None


def test_a_journal_line_rewritten_to_keep_its_crc_gives_a_new_revision(book_dir):
    """A client's revision named its last change by the journal line's CRC: a line rewritten
    with other content and the same CRC (four printable characters chosen) kept the
    revision, so derived state of the old content was taken for the new."""
    with open_book(book_dir, today=TODAY) as repo:
        setup_two(repo)
        repo.checkpoint()
        note(repo, "acme", "called about A-1")
    before = revisions(book_dir)
    journal = book_dir / "book.journal"
    raw = journal.read_bytes()
    line = raw.splitlines()[-1]
    body = line[9:]
    forged = next(f for k in range(100000)
                  if (f := _same_crc_with(body, b"called about A-1", b"paid %07d" % k)) is not None)
    assert zlib.crc32(forged) == zlib.crc32(body) and forged != body
    journal.write_bytes(raw[:len(raw) - len(line) - 1] + line[:9] + forged + b"\n")
    with open_book(book_dir, readonly=True) as ro:
        assert any(a.body.startswith("paid ") for a in ro.book().activities)
        after = ro.client_revisions()
    assert after["acme"] != before["acme"] and after["brook"] == before["brook"]


def test_a_meta_edited_to_keep_revisions_after_a_journal_line_was_deleted_is_not_believed(book_dir):
    """The digest covered book.json's tables but not its meta line: deleting the journal's
    last change and writing that change's revision into the meta made the client's derived
    state of the deleted change pass for current."""
    with open_book(book_dir, today=TODAY) as repo:
        setup_two(repo)
        repo.checkpoint()
        note(repo, "acme", "promised to pay")
    after = revisions(book_dir)
    (book_dir / "book.journal").write_bytes(b"")  # the change is gone ...
    path = book_dir / "book.json"
    meta, tables = _meta_and_tables(path.read_bytes())
    meta["1"]["revisions"] = {**meta["1"].get("revisions", {}), "acme": after["acme"]}  # ... its revision kept
    path.write_bytes(b'{"meta":' + orjson.dumps(meta) + b"\n" + tables)
    with open_book(book_dir, readonly=True) as ro:
        assert not ro.book().activities
        assert ro.client_revisions()["acme"] != after["acme"]


def _journal_line(entry: dict) -> bytes:
    body = orjson.dumps(entry)
    return b"%08x " % zlib.crc32(body) + body + b"\n"


def test_a_journal_line_naming_the_wrong_previous_owner_still_changes_the_real_ones_revision(book_dir):
    """Each journal operation names the client its document belonged to, so opening a book
    need not parse the table. A line written by anything but this user's dun could name the
    wrong one: an invoice moved from acme to brook left acme's revision (and its derived state,
    with the invoice) as it was."""
    with open_book(book_dir, today=TODAY) as repo:
        setup_two(repo)
        repo.checkpoint()
        doc_id, seq = repo._key_map("invoices")["A-1"], repo._seq
        doc = dict(repo._table("invoices")[str(doc_id)])
    before = revisions(book_dir)
    moved = {**doc, "client": "brook"}
    with open(book_dir / "book.journal", "ab") as f:
        f.write(_journal_line({"seq": seq + 1, "ops": [["put", "invoices", doc_id, moved, "brook"]]}))
    with open_book(book_dir, readonly=True) as ro:
        assert "A-1" not in ro.client_book("acme").invoices
        after = ro.client_revisions()
    assert after["acme"] != before["acme"] and after["brook"] != before["brook"]


def test_the_owners_own_journal_lines_are_believed_without_reading_the_tables(book_dir):
    """What the mac on each line is for: opening a book whose journal this user's dun wrote
    parses no table the journal touched, and a change still moves only its clients' revisions."""
    with open_book(book_dir, today=TODAY) as repo:
        setup_two(repo)
        repo.checkpoint()
        before = repo.client_revisions()
        repo.record_payment(Payment("", date(2026, 10, 6), "brook", Decimal("50.00"), "GBP", "bank", "x", ()))
    with open_book(book_dir, readonly=True) as ro:
        assert set(ro._tables.parsed) == {"meta"}
        after = ro.client_revisions()
    assert after["acme"] == before["acme"] and after["brook"] != before["brook"]


def test_a_signed_line_replayed_over_another_copy_of_the_book_names_another_state(book_dir, tmp_path):
    """Two copies of a book that went separate ways, one user: a line one copy's dun wrote,
    appended to the other copy's journal, is authentic, but the records it leaves are not the
    ones its revision was first given to."""
    with open_book(book_dir, today=TODAY) as repo:
        setup_two(repo)
        repo.checkpoint()
    other = tmp_path / "copy"
    shutil.copytree(book_dir, other)
    (other / ".lock").unlink(missing_ok=True)
    with open_book(other, today=TODAY) as repo:
        repo.update_invoice(Invoice("A-1", "acme", date(2026, 9, 1), date(2026, 10, 1), "GBP", Decimal("90.00")))
        repo.checkpoint()
    with open_book(book_dir, today=TODAY) as repo:
        repo.update_invoice(Invoice("A-1", "acme", date(2026, 9, 1), date(2026, 10, 1), "GBP", Decimal("70.00")))
        note(repo, "acme")
    mine = revisions(book_dir)
    line = (book_dir / "book.journal").read_bytes().splitlines(keepends=True)[-1]
    (other / "book.journal").write_bytes(line)  # (change 6 after a book.json of change 5, as in mine)
    with open_book(other, readonly=True) as ro:
        assert ro.client_book("acme").invoices["A-1"].amount == Decimal("90.00")
        assert ro.client_revisions()["acme"] != mine["acme"]


def test_restoring_a_backup_edited_by_hand_does_not_bless_the_revisions_in_its_meta(book_dir):
    """``dun restore`` writes the backup as the new book.json, with a digest of its own: a
    backup planted in the folder with the current meta and other figures was taken for the
    book the derived state was made from."""
    from store import restore_backup

    with open_book(book_dir, today=TODAY) as repo:
        setup_two(repo)
        repo.checkpoint()
    before = revisions(book_dir)
    raw = (book_dir / "book.json").read_bytes()
    (book_dir / "backups").mkdir(exist_ok=True)
    (book_dir / "backups" / "book-2026-10-01.json").write_bytes(raw.replace(b'"100.00"', b'"900.00"'))
    restore_backup(book_dir, "book-2026-10-01.json", today=TODAY)
    with open_book(book_dir, readonly=True) as ro:
        assert ro.client_book("acme").invoices["A-1"].amount == Decimal("900.00")
        after = ro.client_revisions()
    assert after["acme"] != before["acme"]


def test_restoring_a_backup_dun_wrote_keeps_its_revisions(book_dir):
    """The other side: a backup this user's dun took holds the records its kept revisions were
    given to, and derived state of that time still serves it."""
    from store import restore_backup

    with open_book(book_dir, today=TODAY) as repo:
        setup_two(repo)
        repo.checkpoint()
    old = revisions(book_dir)
    (book_dir / "backups").mkdir(exist_ok=True)
    (book_dir / "backups" / "book-2026-10-01.json").write_bytes((book_dir / "book.json").read_bytes())
    with open_book(book_dir, today=TODAY) as repo:
        note(repo, "acme")
    restore_backup(book_dir, "book-2026-10-01.json", today=TODAY)
    assert revisions(book_dir) == old


def _same_crc_line(body: bytes, crc: int) -> bytes:
    """A journal line of ``body`` and a junk mac whose CRC-32 is ``crc``: CRC-32 is linear, so
    four free bytes pick any checksum, and no key is needed."""
    pad = body + b"\tjunk"
    base = zlib.crc32(pad + bytes(4))
    cols = [zlib.crc32(pad + (1 << i).to_bytes(4, "little")) ^ base for i in range(32)]
    basis: list[tuple[int, int]] = []
    for i, col in enumerate(cols):  # Gaussian elimination over GF(2)
        combo = 1 << i
        for vec, got in basis:
            if col ^ vec < col:
                col, combo = col ^ vec, combo ^ got
        if col:
            basis = sorted([*basis, (col, combo)], reverse=True)
    want, combo = crc ^ base, 0
    for vec, got in basis:
        if want ^ vec < want:
            want, combo = want ^ vec, combo ^ got
    rest = pad + combo.to_bytes(4, "little")
    assert want == 0 and zlib.crc32(rest) == crc and b"\n" not in rest
    return b"%08x " % crc + rest + b"\n"


def test_a_journal_line_rewritten_to_the_same_checksum_does_not_keep_the_kept_client_documents(book_dir):
    """The kept copy of the client documents is named by the changes since book.json: a line
    whose content differs under the same CRC named the same state, so the old documents (the
    payment of 10.00, not 40.00) were served, and a write was checked against them."""
    with open_book(book_dir, today=TODAY) as repo:
        setup_two(repo)
        repo.checkpoint()
        repo.record_payment(Payment("", date(2026, 10, 6), "acme", Decimal("10.00"), "GBP", "bank", "r1", ()))
    with open_book(book_dir, readonly=True) as reader:
        assert reader.save_client_docs() and reader.client_docs_usable()
    journal = book_dir / "book.journal"
    line = journal.read_bytes()
    body = line[9:line.rindex(b"\t")]
    journal.write_bytes(_same_crc_line(body.replace(b'"10.00"', b'"40.00"'), int(line[:8], 16)))
    with open_book(book_dir, readonly=True) as ro:
        assert [p.amount for p in ro.client_book("acme").payments] == [Decimal("40.00")]


def test_the_owners_signed_line_replayed_after_another_state_is_not_believed(book_dir, tmp_path):
    """Two books of one user, each with a document 3 in payments: the line of one (the payment
    is brook's, it replaced nothing) appended to the other, where document 3 was acme's. Its
    mac held, so its "was" was believed and acme's revision, and derived state, stayed."""
    other = tmp_path / "other"
    shutil.copytree(book_dir, other)
    for path, who in ((book_dir, "acme"), (other, "brook")):
        with open_book(path, today=TODAY) as repo:
            setup_two(repo)
            if path == other:
                note(repo, "brook")  # (its payment is change 6, the next change of the other)
            repo.record_payment(Payment("", date(2026, 10, 6), who, Decimal("10.00"), "GBP", "bank", "r1", ()))
            if path == book_dir:
                repo.checkpoint()
    before = revisions(book_dir)
    (book_dir / "book.journal").write_bytes((other / "book.journal").read_bytes().splitlines(keepends=True)[-1])
    with open_book(book_dir, readonly=True) as ro:
        assert not ro.client_book("acme").payments
        assert ro.client_revisions()["acme"] != before["acme"]


def test_a_journal_that_repeats_a_change_number_is_refused(book_dir):
    """An entry put before the owner's entry of the same number replaced it without a word,
    and the next checkpoint dropped the owner's for good."""
    import pytest

    from receivables.errors import DunError

    with open_book(book_dir, today=TODAY) as repo:
        setup_two(repo)
        repo.checkpoint()
        note(repo, "acme")
    journal = book_dir / "book.journal"
    line = journal.read_bytes()
    forged = _journal_line(orjson.loads(line[9:line.rindex(b"\t")]))
    journal.write_bytes(forged + line)
    with pytest.raises(DunError, match="the journal repeats change"):
        open_book(book_dir, readonly=True)


def test_a_whole_last_line_that_fails_its_checksum_is_damage_not_a_torn_write(book_dir):
    """A line-ending conversion (a sync tool, an editor) made the last, acknowledged change
    fail its CRC: it was taken for a torn append, left out, and the next write cut it off."""
    import pytest

    from receivables.errors import DunError

    with open_book(book_dir, today=TODAY) as repo:
        setup_two(repo)
    journal = book_dir / "book.journal"
    journal.write_bytes(journal.read_bytes()[:-1] + b"\r\n")  # (the last line only)
    before = journal.read_bytes()
    with pytest.raises(DunError, match="journal is damaged at line 4"):
        open_book(book_dir, readonly=True)
    with pytest.raises(DunError, match="journal is damaged"):
        open_book(book_dir, today=TODAY)
    assert journal.read_bytes() == before


def test_an_unsigned_journal_line_cannot_give_another_clients_payment_id_or_invoice_number(book_dir):
    """A command that works out only the changed client never sees the two records side by
    side: the warm cache accepted a payment id (and an invoice number, in another case) twice,
    and 'dun void' then voided one of them without a word. A whole read refused it."""
    import pytest

    from receivables.errors import DunError

    with open_book(book_dir, today=TODAY) as repo:
        setup_two(repo)
        repo.record_payment(Payment("", date(2026, 10, 6), "brook", Decimal("10.00"), "GBP", "bank", "r1", ()))
        repo.checkpoint()
        seq = repo._seq
        pay = dict(repo._table("payments")["1"])
        inv = dict(repo._table("invoices")["2"])
    journal = book_dir / "book.journal"
    for table, doc in (("payments", {**pay, "client": "acme", "amount": "700.00"}),
                       ("invoices", {**inv, "client": "acme", "number": "b-1"})):
        journal.write_bytes(_journal_line({"seq": seq + 1, "ops": [["put", table, 9, doc, None]]}))
        with pytest.raises(DunError, match=r"line 1 of the journal gives .* which document \d of "):
            open_book(book_dir, readonly=True)
    # the same record changed in place (a document keeps its own key) still reads
    journal.write_bytes(_journal_line({"seq": seq + 1, "ops": [["put", "payments", 1, {**pay, "reference": "r2"}]]}))
    with open_book(book_dir, readonly=True) as ro:
        assert [p.reference for p in ro.client_book("brook").payments] == ["r2"]


def test_the_days_backup_of_a_hand_edited_book_does_not_bless_its_revisions(book_dir):
    """Report 39a N1: the day's backup was written with the meta as read, under a new digest,
    so a restore of it believed the revisions a hand edit of book.json had kept."""
    from store import restore_backup

    with open_book(book_dir, today=date(2026, 10, 1)) as repo:
        setup_two(repo)
        repo.checkpoint()
    before = revisions(book_dir)
    raw = (book_dir / "book.json").read_bytes()
    (book_dir / "book.json").write_bytes(raw.replace(b'"100.00"', b'"900.00"'))
    with open_book(book_dir, today=TODAY) as repo:  # the day's first change takes the backup
        note(repo, "brook")
    name = f"book-{TODAY.isoformat()}.json"
    restore_backup(book_dir, name, today=TODAY)
    with open_book(book_dir, readonly=True) as ro:
        assert ro.client_book("acme").invoices["A-1"].amount == Decimal("900.00")
        assert ro.client_revisions()["acme"] != before["acme"]
