"""The book on disk when things go wrong: backups and safety copies are never overwritten,
a full disk never turns a saved change into a reported failure (issue 16, items 2 and 3)."""
from __future__ import annotations

import json
from datetime import date, datetime

import orjson
import pytest

from receivables.model import Client
from store import list_backups, open_book, restore_backup

from .conftest import REPO, TODAY
from .tui_support import owners_company


def _client_ids(raw: bytes) -> set[str]:
    return {d["id"] for d in orjson.loads(raw).get("clients", {}).values()}


class _FrozenClock(datetime):
    """Every call in the same second, as two restores run back to back by a script are."""

    @classmethod
    def now(cls, tz=None):
        return cls(2026, 11, 22, 9, 30, 0)


def test_two_restores_in_the_same_second_keep_both_safety_copies(book_dir, monkeypatch):
    import store.backups

    monkeypatch.setattr(store.backups, "datetime", _FrozenClock)
    with open_book(book_dir, today=date(2026, 11, 21)) as repo:
        repo.add_client(Client(id="a", name="A", currency="GBP", terms_days=30))
    with open_book(book_dir, today=TODAY) as repo:  # the day's backup holds "a" only
        repo.add_client(Client(id="b", name="B", currency="GBP", terms_days=30))
    first = restore_backup(book_dir, f"book-{TODAY.isoformat()}.json", today=TODAY)
    with open_book(book_dir, today=TODAY) as repo:
        repo.add_client(Client(id="c", name="C", currency="GBP", terms_days=30))
    second = restore_backup(book_dir, f"book-{TODAY.isoformat()}.json", today=TODAY)
    assert first != second
    assert _client_ids(first.read_bytes()) == {"a", "b"}  # not overwritten by the second restore
    assert _client_ids(second.read_bytes()) == {"a", "c"}
    assert {first, second} <= set(list_backups(book_dir))


def test_a_backup_is_never_overwritten_by_a_new_one_of_the_same_name(book_dir):
    """A schema migration keeps the book as it was; a file of that name already there stays."""
    name = f"book-{TODAY.isoformat()}-before-schema-1.json"
    (book_dir / "backups" / name).write_bytes(b"kept by the owner")
    plain = {"clients": {"1": {"id": "old", "name": "Old Co", "currency": "GBP", "terms_days": 30}}}
    (book_dir / "book.json").write_bytes(orjson.dumps(plain))
    with open_book(book_dir, today=TODAY):
        pass
    assert (book_dir / "backups" / name).read_bytes() == b"kept by the owner"
    kept = [p for p in list_backups(book_dir) if "before-schema" in p.name and p.name != name]
    assert len(kept) == 1 and _client_ids(kept[0].read_bytes()) == {"old"}


# -- a full disk (issue 16 item 2) ------------------------------------------------------------------
# The store writes through store.files' os.write; this stands in for a disk with ``free`` bytes
# left: a write that does not fit is cut short, as the kernel does, and the next one to that file
# fails with ENOSPC. (A file that fails is removed, or cut back, so the room stays ``free``.) Tried
# for real on a small tmpfs too; this needs no mount rights.

class _Disk:
    def __init__(self, free: int) -> None:
        import os

        self._os = os
        self.free = free
        self.full: set[int] = set()

    def __getattr__(self, name):
        return getattr(self._os, name)

    def write(self, fd, data):
        import errno

        if fd in self.full or self.free <= 0:
            raise OSError(errno.ENOSPC, "No space left on device")
        if len(data) <= self.free:
            return self._os.write(fd, data)
        self.full.add(fd)
        return self._os.write(fd, bytes(data[:self.free]))

    def close(self, fd):
        self.full.discard(fd)
        return self._os.close(fd)


def _fill(monkeypatch, free: int) -> _Disk:
    import store.files

    disk = _Disk(free)
    monkeypatch.setattr(store.files, "os", disk)
    return disk


def _cli(capsys, *argv) -> tuple[int, str, str]:
    from cli.main import main

    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def _book_files(book) -> dict[str, bytes]:
    return {p.relative_to(book).as_posix(): p.read_bytes() for p in sorted(book.rglob("*"))
            if p.is_file() and p.name != ".lock"}


@pytest.fixture
def owing(book_dir, capsys):
    """A book with a client owing an invoice, the day's backup taken, and a checkpoint due at the
    close of every writer (as when the journal is near its checkpoint size)."""
    code, _, err = _cli(capsys, "demo", book_dir.parent / "demo", "--clients", "3", "--invoices", "12",
                        "--on", TODAY.isoformat())
    assert code == 0, err
    book = book_dir.parent / "demo"
    with open_book(book, today=TODAY) as repo:  # the day's backup, before the disk fills
        repo.log_activity(__import__("receivables.model", fromlist=["Activity"]).Activity(
            "", TODAY, sorted(repo.clients())[0], "other", body="first of the day"))
    return book


def _payments(book, reference: str) -> int:
    with open_book(book, readonly=True) as ro:
        return sum(p.reference == reference for p in ro.book().payments)


def test_a_saved_payment_is_reported_saved_when_the_checkpoint_has_no_room(owing, capsys, monkeypatch):
    import store.repository

    monkeypatch.setattr(store.repository, "CHECKPOINT_BYTES", 100)  # every writer checkpoints
    with open_book(owing, readonly=True) as ro:
        client = sorted(ro.clients())[0]
    disk = _fill(monkeypatch, 4096)  # room for a journal line, not for book.json
    code, out, err = _cli(capsys, "pay", client, "10", "--reference", "R1", "--book", owing,
                          "--on", TODAY.isoformat())
    assert code == 0, err
    assert out.startswith("recorded PAY-")
    disk_lines = [ln for ln in err.splitlines() if "No space left" in ln]
    assert disk_lines == [ln for ln in err.splitlines() if "book" in ln]  # one line about the disk
    assert len(disk_lines) == 1 and disk_lines[0].startswith("dun: warning: could not rewrite book.json")
    assert "Traceback" not in err
    assert _payments(owing, "R1") == 1
    # still full: the next change is saved too (the checkpoint at opening fails quietly first)
    code, out, err = _cli(capsys, "note", client, "called them", "--book", owing, "--on", TODAY.isoformat())
    assert code == 0 and out.startswith("logged ") and "Traceback" not in err
    # space freed: the next writer checkpoints, and everything is in book.json
    disk.free = 10**9
    code, out, err = _cli(capsys, "note", client, "again", "--book", owing, "--on", TODAY.isoformat())
    assert (code, err) == (0, "")
    assert (owing / "book.journal").read_bytes() == b""
    assert _payments(owing, "R1") == 1
    assert _cli(capsys, "check", "--book", owing)[0] == 0


def test_a_change_with_no_room_for_its_journal_line_is_one_line_and_changes_nothing(owing, capsys, monkeypatch):
    with open_book(owing, readonly=True) as ro:
        client = sorted(ro.clients())[0]
    before = _book_files(owing)
    disk = _fill(monkeypatch, 40)  # part of the line fits: it must not stay behind
    code, out, err = _cli(capsys, "pay", client, "10", "--reference", "R2", "--book", owing,
                          "--on", TODAY.isoformat())
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and "could not save (No space left on device); nothing was changed" in err
    assert _book_files(owing) == before
    disk.free = 10**9
    code, out, err = _cli(capsys, "pay", client, "10", "--reference", "R2", "--book", owing,
                          "--on", TODAY.isoformat())
    assert code == 0, err
    assert _payments(owing, "R2") == 1
    assert _cli(capsys, "check", "--book", owing)[0] == 0


def test_a_restore_with_no_room_is_one_line_and_changes_nothing(owing, capsys, monkeypatch):
    backup = f"book-{TODAY.isoformat()}.json"
    assert (owing / "backups" / backup).is_file()
    before = _book_files(owing)
    disk = _fill(monkeypatch, 4096)  # no room for a safety copy, nor for book.json
    code, out, err = _cli(capsys, "restore", backup, "--book", owing, "--on", TODAY.isoformat())
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and "could not restore" in err and "the book was not changed" in err
    assert _book_files(owing) == before
    disk.free = 10**9
    code, out, err = _cli(capsys, "restore", backup, "--book", owing, "--on", TODAY.isoformat())
    assert code == 0 and "restored" in out


def test_a_journal_that_cannot_be_started_afresh_stays_the_journal(book_dir, monkeypatch):
    """The checkpoint wrote book.json but no room was left to start an empty journal: the old one
    stays open for appending (its entries are in book.json, and are skipped when read)."""
    import errno

    import store.files

    real = store.files.atomic_write

    def no_room_for_the_journal(path, data):
        if path.name == "book.journal":
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(path, data)

    with open_book(book_dir, today=TODAY) as repo:
        repo.add_client(Client(id="a", name="A", currency="GBP", terms_days=30))
        monkeypatch.setattr(store.files, "atomic_write", no_room_for_the_journal)
        with pytest.raises(OSError):
            repo.checkpoint()
        repo.add_client(Client(id="b", name="B", currency="GBP", terms_days=30))  # saved all the same
        monkeypatch.setattr(store.files, "atomic_write", real)
    with open_book(book_dir, readonly=True) as ro:
        assert sorted(ro.clients()) == ["a", "b"]
        assert ro.check() == []


def test_a_new_book_with_no_room_is_one_line_and_can_be_made_once_there_is(tmp_path, capsys, monkeypatch):
    disk = _fill(monkeypatch, 2048)
    code, out, err = _cli(capsys, "demo", tmp_path / "new", "--clients", "3", "--invoices", "12",
                          "--on", TODAY.isoformat())
    assert code == 1 and err.count("\n") == 1 and "could not create the book (No space left on device)" in err
    assert not (tmp_path / "new" / "book.json").exists()
    disk.free = 10**9
    code, out, err = _cli(capsys, "demo", tmp_path / "new", "--clients", "3", "--invoices", "12",
                          "--on", TODAY.isoformat())
    assert code == 0, err
    assert _cli(capsys, "check", "--book", tmp_path / "new")[0] == 0


def test_the_days_first_change_with_no_room_for_its_backup_is_refused(owing, capsys, monkeypatch):
    """The day's backup could not be written (a full disk) and the change went ahead; the backup
    taken at the next change, once there was room, already held it while `dun restore` called
    it "the book before the first change" of the day: that change could not be undone."""
    with open_book(owing, readonly=True) as ro:
        client = sorted(ro.clients())[0]
    tomorrow = date.fromordinal(TODAY.toordinal() + 1)
    before = _book_files(owing)
    disk = _fill(monkeypatch, 4096)  # room for a journal line, not for a copy of book.json
    code, out, err = _cli(capsys, "pay", client, "10", "--reference", "FIRST", "--book", owing,
                          "--on", tomorrow.isoformat())
    assert code == 1 and out == "" and err.count("\n") == 1 and "Traceback" not in err
    assert f"could not take the day's backup book-{tomorrow.isoformat()}.json" in err and "nothing was changed" in err
    assert _book_files(owing) == before
    disk.free = 10**9
    code, out, err = _cli(capsys, "pay", client, "10", "--reference", "FIRST", "--book", owing,
                          "--on", tomorrow.isoformat())
    assert code == 0 and "could not" not in err, err
    backup = owing / "backups" / f"book-{tomorrow.isoformat()}.json"
    assert b"FIRST" not in backup.read_bytes() and _payments(owing, "FIRST") == 1


def test_mail_with_no_room_in_the_outbox_names_the_file_and_says_to_free_space(owing, capsys, monkeypatch):
    """dun mail on a full disk said "No space left on device; check that it is a file (not a
    folder) you may read and write": no file named, and advice for another problem."""
    import re

    policy = owing / "policy.toml"
    policy.write_text(owners_company(policy.read_text(encoding="utf-8")), encoding="utf-8")
    before = _book_files(owing)
    _fill(monkeypatch, 2000)  # no room for a message with its statement
    code, out, err = _cli(capsys, "mail", "--book", owing, "--on", TODAY.isoformat())
    assert code == 1 and err.count("\n") == 1 and "Traceback" not in err, err
    assert "No space left on device" in err and "free some space" in err and "not a folder" not in err
    assert err.startswith(f"dun: {str(owing)[:40]}")  # the file being written (a long path is shortened)
    assert {k: v for k, v in _book_files(owing).items() if not k.startswith("outbox/")} == \
        {k: v for k, v in before.items() if not k.startswith("outbox/")}


def test_a_cache_file_that_could_not_be_written_leaves_no_temp_file(tmp_path, monkeypatch):
    """A full cache folder left empty .day-*.tmp and .publish-*.tmp files, never cleaned."""
    import errno

    import store.files
    from store.files import write_cache_file

    class Full:
        """A file that is made, but whose bytes do not fit (a full disk)."""

        def __init__(self, path, mode):
            self.f = open(path, mode)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.f.close()

        def write(self, data):
            raise OSError(errno.ENOSPC, "No space left on device")

        def writelines(self, parts):
            raise OSError(errno.ENOSPC, "No space left on device")

    target = tmp_path / "day-2026-12-04.json"
    write_cache_file(target, b"old")
    monkeypatch.setattr(store.files, "open", Full, raising=False)
    for data in (b"new", iter([b"new", b"\n", b"parts"])):
        with pytest.raises(OSError):
            write_cache_file(target, data)
        assert sorted(p.name for p in tmp_path.iterdir()) == ["day-2026-12-04.json"]
        assert target.read_bytes() == b"old"


def test_a_file_planted_under_the_days_backup_name_does_not_stand_in_for_it(book_dir):
    """The day's backup was skipped whenever a file of its name was there: one planted in a
    book folder someone else prepared (any bytes, or a link) left the day's first change with
    nothing to restore to. It is taken under a free variant of the name instead."""
    with open_book(book_dir, today=date(2026, 11, 21)) as repo:
        repo.add_client(Client(id="a", name="A", currency="GBP", terms_days=30))
    name = f"book-{TODAY.isoformat()}.json"
    planted = book_dir / "backups" / name
    planted.write_bytes(b'{"meta":{"1":{"schema":1}}\n,"clients":{}\n}\n')
    with open_book(book_dir, today=TODAY) as repo:
        repo.add_client(Client(id="b", name="B", currency="GBP", terms_days=30))
    taken = [p for p in list_backups(book_dir) if p.name.startswith(f"book-{TODAY.isoformat()}") and p != planted]
    assert len(taken) == 1 and _client_ids(taken[0].read_bytes()) == {"a"}
    with open_book(book_dir, today=TODAY) as repo:  # the day's backup is taken: not again
        repo.add_client(Client(id="c", name="C", currency="GBP", terms_days=30))
    assert len([p for p in list_backups(book_dir) if p.name.startswith(f"book-{TODAY.isoformat()}")]) == 2


def test_the_days_backup_dun_took_is_not_taken_twice(book_dir):
    with open_book(book_dir, today=TODAY) as repo:
        repo.add_client(Client(id="a", name="A", currency="GBP", terms_days=30))
    with open_book(book_dir, today=TODAY) as repo:
        repo.add_client(Client(id="b", name="B", currency="GBP", terms_days=30))
    assert [p.name for p in list_backups(book_dir)] == [f"book-{TODAY.isoformat()}.json"]


def test_an_older_backup_copied_under_the_days_name_does_not_stand_in_for_it(book_dir):
    """Every backup dun ever wrote has a digest that holds: one of the 2nd copied to the 4th's
    name was taken as the 4th's, no backup was taken, and restoring "the book before the first
    change of the 4th" lost the 3rd's changes."""
    for day, cid in ((2, "a"), (3, "b")):
        with open_book(book_dir, today=date(2026, 11, day)) as repo:
            repo.add_client(Client(id=cid, name=cid.upper(), currency="GBP", terms_days=30))
    folder = book_dir / "backups"
    (folder / "book-2026-11-04.json").write_bytes((folder / "book-2026-11-02.json").read_bytes())
    with open_book(book_dir, today=date(2026, 11, 4)) as repo:
        repo.add_client(Client(id="c", name="C", currency="GBP", terms_days=30))
    taken = [p for p in list_backups(book_dir) if p.name.startswith("book-2026-11-04-")]
    assert len(taken) == 1 and _client_ids(taken[0].read_bytes()) == {"a", "b"}


def test_backup_names_dated_after_today_never_rotate_the_real_ones_away(book_dir):
    """Fourteen empty files named for 2099 were taken for the newest days: every real backup,
    the one just taken too, was deleted at each day's first change."""
    (book_dir / "policy.toml").write_text((REPO / "policy.toml").read_text().replace("keep = 14", "keep = 2"))
    for n in range(1, 4):
        (book_dir / "backups" / f"book-2099-01-0{n}.json").write_bytes(b"")
    for day in (2, 3, 4):
        with open_book(book_dir, today=date(2026, 11, day)) as repo:
            repo.add_client(Client(id=f"c{day}", name="C", currency="GBP", terms_days=30))
    names = sorted(p.name for p in (book_dir / "backups").iterdir() if p.name.startswith("book-20"))
    assert names == ["book-2026-11-03.json", "book-2026-11-04.json",
                     "book-2099-01-01.json", "book-2099-01-02.json", "book-2099-01-03.json"]


@pytest.mark.parametrize("edit", [
    {"schema": "x"}, {"schema": None}, {"schema": -1}, {"schema": 1.5}, {"seq": "abc"}, {"seq": 10 ** 30},
    {"seq": 1.5}, {"seq": -100}, "x", [1],
])
def test_a_hand_edited_meta_is_refused_in_one_line_as_book_json_and_as_a_backup(book_dir, edit):
    """Tracebacks (ValueError, TypeError, KeyError: -1, AttributeError), or a restore that
    took a change number of 1.5 or -100 as it was."""
    from receivables.errors import DunError

    with open_book(book_dir, today=date(2026, 11, 2)) as repo:
        repo.add_client(Client(id="a", name="A", currency="GBP", terms_days=30))
        repo.checkpoint()
    good = (book_dir / "book.json").read_bytes()
    data = orjson.loads(good)
    data["meta"]["1"] = {**data["meta"]["1"], **edit} if isinstance(edit, dict) else edit
    edited = json.dumps(data).encode()  # (orjson writes no number past 64 bits)
    (book_dir / "backups" / "book-2026-10-01.json").write_bytes(edited)
    with pytest.raises(DunError) as e:
        restore_backup(book_dir, "book-2026-10-01.json", today=TODAY)
    assert "meta" in str(e.value) and "\n" not in str(e.value)
    assert (book_dir / "book.json").read_bytes() == good
    (book_dir / "book.json").write_bytes(edited)
    with pytest.raises(DunError, match="meta"):
        open_book(book_dir, readonly=True)


def test_a_backup_with_a_record_dun_cannot_read_is_not_restored(book_dir):
    """It was brought back without a word, and every command then refused the book."""
    from receivables.errors import DunError

    with open_book(book_dir, today=date(2026, 11, 2)) as repo:
        repo.add_client(Client(id="a", name="A", currency="GBP", terms_days=30))
        repo.checkpoint()
    good = (book_dir / "book.json").read_bytes()
    data = orjson.loads(good)
    data["clients"]["1"]["hold"] = "yes"
    (book_dir / "backups" / "book-2026-10-01.json").write_bytes(orjson.dumps(data))
    with pytest.raises(DunError, match="holds a record dun cannot read .*hold"):
        restore_backup(book_dir, "book-2026-10-01.json", today=TODAY)
    assert (book_dir / "book.json").read_bytes() == good


def test_restore_lists_only_files_it_would_restore(book_dir):
    import os

    with open_book(book_dir, today=date(2026, 11, 2)) as repo:
        repo.add_client(Client(id="a", name="A", currency="GBP", terms_days=30))
    folder = book_dir / "backups"
    (folder / "book-2026-01-01.json").symlink_to("/dev/zero")
    os.mkfifo(folder / "book-2026-01-03.json")
    assert [p.name for p in list_backups(book_dir)] == ["book-2026-11-02.json"]
