"""The Repository: the only door to a book on disk.

Reads: ``book.json`` (a TinyDB document, parsed with orjson) plus the committed changes
in ``book.journal``. Writes: each change is validated, then appended to the journal as
one checksummed line and fsynced before it counts (whatever the size of the book);
``book.json`` is rewritten atomically now and then (a checkpoint) so the journal stays
short. TinyDB holds the documents in memory through :class:`store.loading.BookStorage`;
its own whole-state writes, if anything makes one, are full atomic checkpoints.

``Repository`` is one class in parts, each in its own module (a part imports only from
the modules below it; this one puts them together):

- store/bookfile.py   book.json's paths, schema, layout and tables (no Repository part)
- store/loading.py    reading book.json plus the journal; TinyDB over the documents
- store/reads.py      :class:`~store.reads.Reads`: the book, one client's records, changes since
- store/keptdocs.py   :class:`~store.keptdocs.KeptClientDocs`: the copy kept grouped by client
- store/commits.py    :class:`~store.commits.Commits`: keys, ids and the one commit path
- store/writes.py     :class:`~store.writes.Writes`: the write operations
- here                opening, locking, reloading, checkpoints, the day's backup, closing;
                      ``init_book`` and ``open_book``
"""
from __future__ import annotations

import os
import re
import sys
import threading
from datetime import date
from pathlib import Path
from typing import Any

from receivables import validate as v
from receivables.errors import DunError
from receivables.model import Book, Client
from receivables.policy import load_policy
from receivables.tuning import CHECKPOINT_BYTES, CHECKPOINT_ENTRIES, quiet_gc

from . import codec
from .bookfile import (  # noqa: F401  (Tables: importable from here too)
    SCHEMA, BookPaths, Tables, check_own_files, dump_book,
)
from .commits import Commits, ReadOnlyBook
from .files import (
    BookLocked,
    Journal,
    WriteLock,
    atomic_write,
    clean_temp_files,
    create_new,
    read_plain,
)
from .keptdocs import KeptClientDocs
from .loading import BookDB, BookStorage, _load
from .reads import Reads
from .revisions import Revisions, meta_written_here, new_book_id
from .writes import Writes, _followed_up  # noqa: F401  (_followed_up: importable from here too)

__all__ = ["BookLocked", "BookPaths", "ReadOnlyBook", "Repository", "init_book", "open_book", "SCHEMA"]

DEFAULT_POLICY = Path(__file__).resolve().parent.parent / "policy.toml"


def warn_on_stderr(text: str) -> None:
    print(f"dun: warning: {text}", file=sys.stderr)


def _no_room(e: OSError) -> str:
    return e.strerror or str(e)


# -- the repository --------------------------------------------------------------------------

class Repository(Reads, KeptClientDocs, Writes, Commits):
    """A book opened for reading, or for writing under its lock. Its parts: :class:`Reads`,
    :class:`KeptClientDocs`, :class:`Writes`, :class:`Commits` (each in its own module); here
    the opening, reloading, checkpoints, the day's backup and closing."""

    def __init__(self, paths: BookPaths, readonly: bool, command: str = "dun", today: date | None = None) -> None:
        self.paths = paths
        self.read_only = readonly
        # writes come from one thread (the app's) but prepare_writes may run in another
        self._mutex = threading.RLock()
        self._lock: WriteLock | None = None
        self._journal: Journal | None = None
        self._backup_due: date | None = None
        # what went wrong after a change was saved (a checkpoint or the day's backup that could
        # not be written: retried later); told through ``warn`` at close if a change was saved
        self.warn = warn_on_stderr
        self._warnings: list[str] = []
        self._saved = False
        self._policy_read: tuple | None = None  # the policy file as last read without problems
        if not paths.book.is_file():
            _load(paths)  # raises the one-line reason: no folder, no book.json
        check_own_files(paths)
        if not readonly:
            lock = WriteLock(paths.lock)
            lock.acquire(command)
            self._lock = lock
        try:
            self._open(today)
        except BaseException:
            self.close()
            raise

    # opening and reloading
    def _open(self, today: date | None) -> None:
        if not self.read_only:
            clean_temp_files(self.paths.root)
        with quiet_gc():
            tables, seq, good, torn, migrated = _load(self.paths)
        self._tables = tables
        self._seq = seq
        self._stamp = self._file_stamp()
        self._reset_caches()
        self.db = BookDB(storage=BookStorage, repo=self)
        if not self.read_only:
            journal = Journal(self.paths.journal)
            journal.open_for_append(good)
            self._journal = journal
            self._journal_bytes = good
            self._journal_entries = 0
            if migrated:
                try:
                    self._backup_file(f"book-{(today or date.today()).isoformat()}-before-schema-{SCHEMA}.json")
                except OSError as e:
                    raise DunError(f"could not keep a copy of the book before upgrading it ({_no_room(e)}); "
                                   "nothing was changed", str(self.paths.backups),
                                   "check the disk has space and the folder is writable") from None
            if migrated or good > CHECKPOINT_BYTES:
                self._checkpoint_or_note()
            # the day's backup is taken just before the day's first change (opening for
            # writing stays quick; a day without changes needs no new backup)
            self._backup_due = today or date.today()

    def begin_day(self, today: date) -> None:
        """A new day in a session that stays open (the app left running overnight): that day's
        backup is taken before its first change, as at opening."""
        if not self.read_only:
            self._backup_due = today

    def _file_stamp(self) -> tuple:
        out = []
        for p in (self.paths.book, self.paths.journal):
            try:
                st = p.stat()
                out.append((st.st_ino, st.st_size, st.st_mtime_ns))
            except FileNotFoundError:
                out.append(None)
        return tuple(out)

    def _reset_caches(self) -> None:
        self._book: Book | None = None
        self._keys: dict[str, dict[str, int]] = {}
        self._next_doc: dict[str, int] = {}
        self._next_id: dict[str, int] = {}
        self._clients: dict[str, Client] | None = None
        self._by_client: dict[str, dict[str, list[str]]] = {}
        self._scoped: dict[str, Book] = {}
        self._scoped_reads = 0

    def refresh(self) -> bool:
        """Re-read the book if another process committed since; True if it changed."""
        if self._stamp == self._file_stamp():
            return False
        if not self.read_only:
            return False  # we are the only writer
        with quiet_gc():
            tables, seq, *_ = _load(self.paths)
        self._tables, self._seq = tables, seq
        self._stamp = self._file_stamp()
        self._reset_caches()
        return True

    # checkpoints and backups
    def checkpoint(self) -> None:
        """Rewrite book.json with everything committed, then start an empty journal."""
        with self._mutex:
            self._writable()
            self._tables.validate_all()  # a damaged table is never written back as if it were fine
            self._tables.get("meta")["1"] = self._meta_now()
            atomic_write(self.paths.book, self._tables.dump())
            self._tables.revisions.rebase(self._seq)  # (as a reading of the new file starts)
            self._journal.reset()
            self._journal_bytes = 0
            self._journal_entries = 0
            self._stamp = self._file_stamp()

    def _meta_now(self, **more) -> dict:
        """The meta record of the book as this process holds it (what a checkpoint or the day's
        backup writes): the schema, the change number and the revisions in use, never those a
        hand-edited meta kept and the digest did not bless; ``backup_of`` only where ``more``
        says so (only the day's backup is one)."""
        meta = {k: v for k, v in self._tables.get("meta")["1"].items() if k != "backup_of"}
        return {**meta, "schema": SCHEMA, "seq": self._seq, **self._tables.revisions.to_meta(), **more}

    def _checkpoint_or_note(self) -> bool:
        """A checkpoint that may fail (a full disk): every change stays saved in the journal, and
        the checkpoint is tried again later (at the next opening for writing, or close)."""
        try:
            self.checkpoint()
            return True
        except OSError as e:
            self._note(f"could not rewrite {self.paths.book.name} ({_no_room(e)}); every change is saved in "
                       f"{self.paths.journal.name} and the rewrite will be tried again at the next change "
                       f"(free some space in {self.paths.root})")
            return False
        except DunError as e:  # a table damaged by hand since it was read: the journal keeps every change
            self._note(f"{e}; every change is saved in {self.paths.journal.name}, and {self.paths.book.name} "
                       "is left as it is")
            return False

    def _note(self, text: str) -> None:
        if text not in self._warnings:
            self._warnings.append(text)

    def _after_external_write(self) -> None:
        self._reset_caches()
        self.checkpoint()

    def _check_policy(self) -> None:
        """A change is written only while the book's policy.toml can be used (README: a file of
        the book that cannot be used gets one line, and nothing is written); read again only
        when the file changed."""
        try:
            st = os.stat(self.paths.policy)
            stamp: tuple | None = (st.st_ino, st.st_size, st.st_mtime_ns)
        except OSError:
            stamp = None
        if stamp is None or stamp != self._policy_read:
            policy, problems = load_policy(self.paths.policy)
            if policy is None:
                first = problems[0]
                raise DunError(f"{first.message}; nothing was changed", first.where, first.hint)
            self._policy_read = stamp

    def _backup_file(self, name: str, data: bytes | None = None) -> Path:
        """Write ``data`` (default: book.json's bytes) into the backups as ``name`` (or a free
        variant of it: never over a file)."""
        self.paths.backups.mkdir(exist_ok=True)
        return create_new(self.paths.backups / name, self.paths.book.read_bytes() if data is None else data)

    def _is_backup_taken(self, day: str) -> bool:
        """Whether the backup of ``day`` is one this user's dun took that day of this book: the
        day and the book id are in its meta, under its digest. A file planted under that name
        (any other content, a link, an older backup or another book's copied over) must not
        stand in for it; the backup is then taken under a free variant of the name."""
        for path in self.paths.backups.glob(f"book-{day}*.json"):
            if re.fullmatch(rf"book-{day}(-\d+)?\.json", path.name):
                try:
                    raw = read_plain(path)
                except (OSError, DunError):  # (a link, a device: not one dun took)
                    continue
                meta = meta_written_here(raw)
                if meta is not None and meta.get("backup_of") == day and meta.get("book_id") == self.book_id:
                    return True
        return False

    def _daily_backup(self, today: date) -> None:
        """Take the day's backup before the day's first change. One that cannot be written (a full
        disk) refuses the change: it could not be undone with ``dun restore``, and a backup taken
        at a later change would already hold it while saying "before the first change"."""
        day = today.isoformat()
        name = f"book-{day}.json"
        if self._is_backup_taken(day):
            return
        self._tables.validate_all()  # never rotate a damaged book into the backups
        try:
            if self._journal_bytes:  # the book as it is, journal and all
                self.checkpoint()
            self._backup_file(name, self._tables.dump(meta=self._meta_now(backup_of=day)))
        except OSError as e:
            raise DunError(f"could not take the day's backup {name} before its first change ({_no_room(e)}); "
                           "nothing was changed", str(self.paths.backups),
                           f"free some space in {self.paths.root}, then try again") from None
        policy, _ = load_policy(self.paths.policy)
        keep = policy.backup.keep if policy else 14
        daily = [(m.group(1), p) for p in self.paths.backups.glob("book-*.json")
                 if (m := re.fullmatch(r"book-(\d{4}-\d{2}-\d{2})(-\d+)?\.json", p.name)) and m.group(1) <= day]
        days = sorted({d for d, _ in daily})[-keep:]  # the last ``keep`` days' backups, this one's the newest
        for d, old in daily:  # (a name dated after today is not dun's: left alone, never counted)
            if d < days[0]:
                old.unlink(missing_ok=True)

    def close(self) -> None:
        with self._mutex:
            self._close()

    def _close(self) -> None:
        if self._journal is not None:
            try:
                if self._journal_bytes > CHECKPOINT_BYTES or self._journal_entries > CHECKPOINT_ENTRIES:
                    self._checkpoint_or_note()
            finally:
                self._journal.close()
                self._journal = None
        if self._lock is not None:
            self._lock.release()
            self._lock = None
        if self._saved:  # what could not be done after a saved change (else: nothing to tell)
            for text in self._warnings:
                self.warn(text)
        self._warnings = []

    def __enter__(self) -> "Repository":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# -- module functions ---------------------------------------------------------------------------

def book_to_data(book: Book, seq: int = 0) -> dict:
    """The stored document tree of a whole book (tables of documents keyed by doc id)."""
    data: dict[str, Any] = {"meta": {"1": {"schema": SCHEMA, "seq": seq}}}
    for name, (_, _, to_doc, _) in codec.TABLES.items():
        records = getattr(book, name)
        values = records.values() if hasattr(records, "values") else records
        data[name] = {str(i): to_doc(r) for i, r in enumerate(values, start=1)}
    return data


def init_book(path: Path | str, policy_source: Path | None = None, book: Book | None = None) -> BookPaths:
    """Create a new book with a copy of the default policy: empty, or holding ``book``
    (validated whole with ``dun check``'s rules first; used by ``dun demo``)."""
    paths = BookPaths(Path(path).expanduser())
    if paths.book.exists():
        raise DunError("a book already exists here", str(paths.root), "open it, or choose another folder")
    if paths.root.exists() and not paths.root.is_dir():
        raise DunError("is a file, not a folder", str(paths.root), "choose a folder for the book")
    if book is not None:
        problems = v.check_book(book)
        if problems:
            first = problems[0]
            raise DunError(f"{first.message} ({len(problems)} problem(s) in all)", first.where, first.hint)
    try:
        paths.root.mkdir(parents=True, exist_ok=True)
        for sub in (paths.backups, paths.site, paths.outbox):
            sub.mkdir(exist_ok=True)
        if not paths.policy.exists():
            atomic_write(paths.policy, Path(policy_source or DEFAULT_POLICY).read_bytes())
        data = book_to_data(book or Book())
        data["meta"]["1"].update(book_id=new_book_id(), **Revisions.fresh().to_meta())
        atomic_write(paths.book, dump_book(data))  # last: a book only once whole
    except OSError as e:
        raise DunError(f"could not create the book ({e.strerror or e})", str(paths.root),
                       "check the disk has space and the folder is writable, then try again") from None
    return paths


def open_book(path: Path | str, readonly: bool = False, command: str = "dun", today: date | None = None) -> Repository:
    """Open a book. A writer takes the lock; ``BookLocked`` names the holder if taken."""
    return Repository(BookPaths(Path(path).expanduser()), readonly, command, today)
