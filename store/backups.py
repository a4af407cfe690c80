"""Backups: listing them, and bringing one back (``dun restore``).

The day's backup and the copy before a schema upgrade are taken by the repository as it writes
(:meth:`store.repository.Repository._daily_backup`); every backup and safety copy is written
under a free name (:func:`store.files.create_new`), never over another.
"""
from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

import orjson

from receivables.errors import DunError

from . import codec
from .bookfile import SCHEMA, BookPaths, check_own_files, dump_book, migrate, parse_book_bytes
from .files import WriteLock, atomic_write, clean_temp_files, create_new, read_plain
from .loading import _load
from .revisions import Revisions


def list_backups(path: Path | str) -> list[Path]:
    folder = BookPaths(Path(path).expanduser()).backups
    if not folder.is_dir():
        return []
    found = [p for p in folder.glob("book-*.json") if p.is_file() and not p.is_symlink()]  # (not a link, a pipe)
    return sorted(found, key=lambda p: (_mtime(p), p.name), reverse=True)  # newest first


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


_DAILY = re.compile(r"book-(\d{4}-\d{2}-\d{2})(?:-\d+)?\.json")
_BEFORE_RESTORE = re.compile(r"book-(\d{4}-\d{2}-\d{2})-before-restore-\d{8}-\d{6}(?:-\d+)?\.json")
_BEFORE_SCHEMA = re.compile(r"book-(\d{4}-\d{2}-\d{2})-before-schema-\d+(?:-\d+)?\.json")


def what_backup(path: Path) -> str:
    """What a backup holds, from its name (the names this store gives them) and, for a day's
    backup, the day its meta says it was taken for (unverified here: ``dun restore`` checks
    what it brings back): a copy under another day's name, or one with no day marked inside
    (taken by an older dun, or not by dun), is said to be so."""
    name = path.name
    if m := _DAILY.fullmatch(name):
        marked = _backup_of(path)
        if marked == m.group(1):
            return f"the book before the first change of {marked}"
        if marked:
            return f"the book before the first change of {marked}, under the name of another day"
        return f"the book on {m.group(1)} (no day marked inside: taken by an older dun, or a copy)"
    if m := _BEFORE_RESTORE.fullmatch(name):
        return f"the book as it was before a restore on {m.group(1)}"
    if m := _BEFORE_SCHEMA.fullmatch(name):
        return f"the book before this version of dun upgraded it on {m.group(1)}"
    return "a backup"


_META_LINE_MAX = 1 << 20  # the meta line of a book.json is short; a file whose first MB has none is no backup of ours


def _backup_of(path: Path) -> str | None:
    """The day the backup's meta says it was taken for (``backup_of``), or None."""
    try:
        with open(path, "rb") as f:
            head = f.read(_META_LINE_MAX)
        line = head[:head.index(b"\n")]
        if not line.startswith(b'{"meta":'):
            return None
        meta = orjson.loads(line[len(b'{"meta":'):])
        got = meta["1"]["backup_of"]
    except (OSError, ValueError, KeyError, TypeError, orjson.JSONDecodeError):
        return None
    return got if isinstance(got, str) and _DAY.fullmatch(got) else None


_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def restore_backup(path: Path | str, name: str, today: date | None = None) -> Path:
    """Bring back a backup. The current book is saved as a backup first, so this is undoable.
    Returns the path of that safety copy."""
    paths = BookPaths(Path(path).expanduser())
    check_own_files(paths)
    source = paths.backups / Path(name).name
    if not source.is_file():
        raise DunError(f"no backup named {name!r}", str(paths.backups), "list them with 'dun restore'")
    raw = read_plain(source)
    candidate = parse_book_bytes(raw, str(source))
    believed = isinstance(candidate.get("meta"), dict) and Revisions(candidate["meta"], raw).believed
    del raw
    candidate, migrated = migrate(candidate, str(source))  # (refuses a meta it cannot read)
    for table in codec.TABLES:  # a book every command would then refuse is not brought back
        if problems := codec.undecodable(table, candidate.get(table, {}), str(source)):
            raise DunError(f"holds a record dun cannot read ({problems[0].message}); the book was not changed",
                           str(source), "restore another backup, or correct that one by hand first")
    first = candidate["meta"]["1"]
    first.pop("backup_of", None)  # (the day's backup is marked as such; the book it becomes is not)
    if migrated or not believed:  # the revisions its meta keeps name no records this user's dun saw
        first.pop("base", None)
        first.pop("revisions", None)
    lock = WriteLock(paths.lock)
    lock.acquire("dun restore")
    try:
        clean_temp_files(paths.root)
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        safety = paths.backups / f"book-{(today or date.today()).isoformat()}-before-restore-{stamp}.json"
        seq, made = 0, None
        try:
            try:
                tables, seq, *_ = _load(paths)
                tables.validate_all()
                paths.backups.mkdir(exist_ok=True)
                tables.get("meta")["1"] = {**tables.get("meta")["1"], "schema": SCHEMA, "seq": seq,
                                           **tables.revisions.to_meta()}
                safety = made = create_new(safety, tables.dump())  # two restores in one second: two copies
            except DunError:
                # the current book is unreadable: keep its bytes as they are
                if paths.book.exists():
                    paths.backups.mkdir(exist_ok=True)
                    safety = made = create_new(safety, read_plain(paths.book))  # (never a device)
            # the restore is a change of its own: the restored snapshot takes the next change
            # number, so journal entries written before it can never be replayed on top of it and
            # anything derived from the book as it was (the app's saved queues) no longer matches
            first["seq"] = max(seq, first.get("seq", 0)) + 1  # (whole numbers: bookfile._schema_of)
            atomic_write(paths.book, dump_book(candidate))
        except OSError as e:  # a full disk: the book as it was, and no copy of it made for nothing
            if made is not None:
                made.unlink(missing_ok=True)
            raise DunError(f"could not restore {source.name} ({e.strerror or e}); the book was not changed",
                           str(paths.root), "check the disk has space and the folder is writable") from None
        try:
            atomic_write(paths.journal, b"")
        except OSError:
            pass  # its entries are numbered below the restored book's: they are never replayed
        return safety
    finally:
        lock.release()
