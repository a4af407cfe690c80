"""Durable file primitives: atomic replace, the append-only journal, the single-writer lock.

Atomic replace: write a temp file in the same folder, flush, fsync, ``os.replace`` over the
target, fsync the folder. A crash at any instant leaves the old file or the new one.

The journal (``book.journal``) holds one committed change per line:
``<crc32 as 8 hex digits> <json>\\t<mac>\\n`` where the JSON is ``{"seq": n, "ops": [...]}``,
the mac is an HMAC of the JSON and of the state it was written over under a key kept outside
every book (store.userkey: what tells an entry this user's dun wrote, over this state, from any
other) and the CRC covers both.
A line without the mac (no key, an older dun) is read too, and believed less. A commit
is acknowledged only after its line is written and fsynced. A torn last line (a crash
mid-append: no newline at its end) is ignored: that change was never acknowledged. A whole
line that fails its checksum is damage (a line-ending conversion, an edit) and is refused,
never skipped silently: the next write would drop an acknowledged change.
"""
from __future__ import annotations

import errno
import fcntl
import hashlib
import hmac
import os
import re
import socket
import stat
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Iterable

import orjson

from receivables.errors import DunError

from . import userkey

TMP_MARK = ".tmp-"


def user_cache_dir() -> Path:
    """The user's own cache folder for dun (``$XDG_CACHE_HOME/dun`` on Linux). Derived files
    that are not plain data live here, never in a book or site folder: a folder someone
    else prepared can hold any file, and nothing read from it may run."""
    from platformdirs import user_cache_dir as _dir

    return Path(_dir("dun", appauthor=False))


def cache_root() -> Path:
    """Where derived files live: ``DUN_CACHE_DIR`` if set, else :func:`user_cache_dir`; a
    book's files in a folder named by its id."""
    got = os.environ.get("DUN_CACHE_DIR")
    return Path(got) if got else user_cache_dir()


_BOOK_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


def is_book_id(value: object) -> bool:
    """Whether ``value`` can be a book's id: a plain name, since it names the book's folder in
    :func:`cache_root` (a received book's meta may say anything, ``../..`` included)."""
    return isinstance(value, str) and _BOOK_ID.fullmatch(value) is not None


def open_plain(path: Path, flags: int, mode: int = 0o644) -> int:
    """Open one of a book's own files (book.json, book.journal, .lock; a message in its
    outbox): never through a link, and only a plain file. A book folder someone else
    prepared may hold a link there (a write would land on what it points to) or a device or
    a pipe (a read would never end): refused with one line."""
    try:
        fd = os.open(path, flags | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, mode)
    except OSError as e:
        if e.errno in (errno.ELOOP, errno.ENXIO):  # a link; a pipe nobody reads
            raise not_plain(path) from None
        raise
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise not_plain(path)
    return fd


def read_plain(path: Path, at_most: int = -1) -> bytes:
    """The bytes of one of a book's own files, opened as :func:`open_plain` does (with
    ``at_most``, no more than that many)."""
    with os.fdopen(open_plain(path, os.O_RDONLY), "rb") as f:
        return f.read(at_most)


def not_plain(path: Path) -> DunError:
    what = "a link" if path.is_symlink() else "not a plain file"
    return DunError(f"{path.name} is {what}", str(path.parent),
                    "a book's own files are never links, devices or pipes: put the file itself there "
                    "(dun makes .lock and book.journal again when they are missing)")


def check_folder(folder: Path) -> None:
    """A folder of the book that dun writes into (backups/, outbox/): never a link, which would
    take the writes (and the pruning of old backups) somewhere else."""
    if folder.is_symlink():
        raise DunError(f"{folder.name}/ is a link", str(folder.parent),
                       "a book's folders are never links: put the folder itself there, or remove the link")
    if folder.exists() and not folder.is_dir():
        raise DunError(f"{folder.name} is not a folder", str(folder.parent), "move that file away")


def fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so that a crash leaves the old or the new content."""
    folder = path.parent
    tmp = folder / f".{path.name}{TMP_MARK}{os.getpid()}-{os.urandom(4).hex()}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        view = memoryview(data)
        while view:
            n = os.write(fd, view)
            view = view[n:]
        os.fsync(fd)
    except OSError as e:
        os.close(fd)
        tmp.unlink(missing_ok=True)
        if e.filename is None:  # (os.write names no file: the message names the one being written)
            raise OSError(e.errno, e.strerror, str(path)) from None
        raise
    except BaseException:
        os.close(fd)
        tmp.unlink(missing_ok=True)
        raise
    os.close(fd)
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(folder)


def write_cache_file(path: Path, data: bytes | Iterable[bytes]) -> None:
    """Replace a derived file in the cache folder with ``data`` (bytes, or its parts in order:
    a large file is never joined in memory): atomic, so a reader sees the old or the new
    bytes, but not made durable (a cache lost in a crash is derived again), and a temp file
    that could not be written (a full disk) is removed, not left behind."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{os.urandom(4).hex()}.tmp")
    try:
        with open(tmp, "wb") as f:
            if isinstance(data, (bytes, bytearray, memoryview)):
                f.write(data)
            else:
                f.writelines(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def create_new(path: Path, data: bytes) -> Path:
    """Write ``data`` to a new file named ``path``, or ``stem-2.json``, ``stem-3.json``... if that
    name is taken: never over an existing file (a backup or safety copy is never overwritten).
    The bytes are written and fsynced under a temp name first, then linked to the free name
    (``link`` fails on an existing name, as ``O_EXCL`` does): a crash leaves the whole file or
    none. Returns the path written."""
    folder = path.parent
    tmp = folder / f".{path.name}{TMP_MARK}{os.getpid()}-{os.urandom(4).hex()}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        try:
            view = memoryview(data)
            while view:
                n = os.write(fd, view)
                view = view[n:]
            os.fsync(fd)
        finally:
            os.close(fd)
        n = 1
        while True:
            target = path if n == 1 else path.with_name(f"{path.stem}-{n}{path.suffix}")
            try:
                os.link(tmp, target)
                break
            except FileExistsError:
                n += 1
    finally:
        tmp.unlink(missing_ok=True)
    fsync_dir(folder)
    return target


def clean_temp_files(folder: Path) -> list[Path]:
    """Remove temp files a killed writer left behind (call only while holding the lock)."""
    removed = []
    for p in folder.glob(f".*{TMP_MARK}*"):
        try:
            p.unlink()
            removed.append(p)
        except FileNotFoundError:
            pass
    return removed


# -- journal ------------------------------------------------------------------------------

def entry_token(body: bytes) -> str:
    """What names a journal entry's content in a client's revision: a SHA-256, not the line's
    CRC, which an edit can be made to keep (store.revisions)."""
    return hashlib.sha256(body).hexdigest()[:16]


MAC_CHARS = 32


def _mac_of(key: bytes, chain: str, body: bytes) -> bytes:
    return userkey.mac(key, (chain.encode(), body))[:MAC_CHARS].encode()


def encode_entry(seq: int, ops: list, chain: str | None = None) -> bytes:
    """A journal line of change ``seq``. ``chain`` is the state the change was made over (the
    book's revision chain before it, store.revisions.Revisions.chain): the mac covers it with
    the entry, so a line this user's dun wrote over one state is not believed over another (a
    line of another copy of the book, or of a timeline a restore went back from). None: no mac."""
    body = orjson.dumps({"seq": seq, "ops": ops})
    key = userkey.book_key() if chain is not None else None
    if key is not None:
        body += b"\t" + _mac_of(key, chain, body)
    return b"%08x " % zlib.crc32(body) + body + b"\n"


def split_entry(rest: bytes) -> tuple[bytes, bytes | None]:
    """A journal line after its CRC: (the entry's JSON, its mac or None)."""
    tab = rest.rfind(b"\t")  # (JSON as orjson writes it has no raw tab)
    if tab < 0:
        return rest, None
    return rest[:tab], rest[tab + 1:]


def mac_holds(key: bytes | None, chain: str, body: bytes, mac: bytes | None) -> bool:
    """Whether ``mac`` is this user's dun's over ``body`` written over the state ``chain``."""
    if key is None or mac is None:
        return False
    return hmac.compare_digest(_mac_of(key, chain, body), mac)


@dataclass
class JournalRead:
    entries: list[dict]
    good_bytes: int  # length of the intact prefix
    torn_tail: bool
    tokens: list[str] = field(default_factory=list)  # each entry's content hash (entry_token)
    bodies: list[bytes] = field(default_factory=list)  # each entry's JSON, as the mac covers it
    macs: list[bytes | None] = field(default_factory=list)  # each entry's mac (files.mac_holds)


def read_journal(data: bytes, source: str) -> JournalRead:
    entries: list[dict] = []
    tokens: list[str] = []
    bodies: list[bytes] = []
    macs: list[bytes | None] = []
    pos = 0
    n = len(data)
    line_no = 0
    while pos < n:
        end = data.find(b"\n", pos)
        line_no += 1
        if end == -1:  # no newline: a torn append
            return JournalRead(entries, pos, True, tokens, bodies, macs)
        line = data[pos:end]
        ok = False
        crc = -1
        if len(line) > 9 and line[8:9] == b" ":
            rest = line[9:]
            try:
                crc = int(line[:8], 16)
                ok = crc == zlib.crc32(rest)
            except ValueError:
                ok = False
        if not ok:  # (a whole line: a torn append never ends in its newline)
            fix = "restore a backup with 'dun restore'; the damaged file is left as it is"
            if end + 1 >= n:
                fix = "restore a backup with 'dun restore', or delete that line to drop the one change it holds"
            raise DunError(f"the journal is damaged at line {line_no}", source, fix)
        body, mac = split_entry(rest)
        try:
            entries.append(orjson.loads(body))
        except orjson.JSONDecodeError:  # (a checksum anyone can compute over what is no JSON dun writes)
            raise DunError(f"line {line_no} of the journal is not a change dun wrote (not JSON it can read)",
                           source, "restore a backup with 'dun restore'; the journal is left as it is") from None
        tokens.append(entry_token(body))
        bodies.append(body)
        macs.append(mac)
        pos = end + 1
    return JournalRead(entries, pos, False, tokens, bodies, macs)


class Journal:
    """Append-only, fsynced change log. Only the lock holder opens it for appending."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd: int | None = None

    def open_for_append(self, good_bytes: int) -> None:
        fd = open_plain(self.path, os.O_WRONLY | os.O_CREAT)
        size = os.fstat(fd).st_size
        if size != good_bytes:  # drop a torn tail left by a crash
            os.ftruncate(fd, good_bytes)
            os.fsync(fd)
        os.lseek(fd, 0, os.SEEK_END)
        self.fd = fd
        fsync_dir(self.path.parent)

    def append(self, line: bytes) -> None:
        if self.fd is None:
            raise OSError(errno.EBADF, "the journal is not open for writing")
        start = os.lseek(self.fd, 0, os.SEEK_END)
        try:
            view = memoryview(line)
            while view:
                w = os.write(self.fd, view)
                view = view[w:]
            os.fsync(self.fd)
        except BaseException:
            # leave no half line behind for this process to append after
            try:
                os.ftruncate(self.fd, start)
            except OSError:
                pass
            raise

    def reset(self) -> None:
        """Start an empty journal (after a checkpoint): a new file swapped in atomically,
        so a reader holding the old one still sees every entry it held. If that fails (a full
        disk) the old journal stays open: its entries are in book.json now, and are skipped."""
        atomic_write(self.path, b"")
        old, self.fd = self.fd, None  # never append to the old file once the new one is in place
        if old is not None:
            os.close(old)
        self.fd = open_plain(self.path, os.O_WRONLY)

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


# -- lock ---------------------------------------------------------------------------------

class BookLocked(DunError):
    """Another process holds the book's write lock."""


class WriteLock:
    """An exclusive ``flock`` on BOOK/.lock; released by the kernel if the holder dies."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd: int | None = None

    def acquire(self, command: str) -> None:
        fd = open_plain(self.path, os.O_RDWR | os.O_CREAT)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as e:
            os.close(fd)
            if e.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                holder = self.holder()
                raise BookLocked(
                    f"the book is open for writing by {holder}",
                    str(self.path.parent),
                    "do it in the app (I imports a file) or close the app, then try again" if "(app)" in holder
                    else "close it there (or wait for it to finish), then try again",
                ) from None
            raise
        info = orjson.dumps({
            "pid": os.getpid(), "host": socket.gethostname(), "command": command,
            "since": datetime.now().isoformat(timespec="seconds"),
        })
        try:  # who holds it, for the message above: not worth failing for (a full disk)
            os.ftruncate(fd, 0)
            os.pwrite(fd, info, 0)
        except OSError:
            pass
        self.fd = fd

    def holder(self) -> str:
        try:
            info = orjson.loads(self.path.read_bytes())
            if not isinstance(info, dict):  # a hand-edited or damaged .lock: its holder is unknown
                return "another process"
            return f"'{info.get('command', 'dun')}' (pid {info.get('pid')} on {info.get('host')}, since {info.get('since')})"
        except (OSError, orjson.JSONDecodeError):
            return "another process"

    def release(self) -> None:
        if self.fd is not None:
            try:
                os.ftruncate(self.fd, 0)
            except OSError:
                pass
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None
