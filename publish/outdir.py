"""The site folder as a whole: one publish at a time, a fresh build folder beside it, the swap.

A build is made in a new folder beside the site (``.SITE-build-XXXX``) and swapped in whole:
the old site is renamed aside (``.SITE-old-XXXX``), the build renamed into place, the old one
removed. A crash between the two renames is undone by the next publish (:func:`recover`).

Only folders dun made are ever renamed or removed: each carries dun's marker file
(:data:`MARKER`, written into the build folder as it is made, so the site and its old copy carry
it too). A folder of the owner's that happens to have such a name is left alone.

Publishes to one site take a lock (``.SITE.dun-publish-lock`` beside it, there only while a
publish runs): a second one waits for the first (at most :data:`LOCK_WAIT` seconds), else says
who holds it. Holding it, a build folder or old copy with the marker is a leftover of a publish
that was killed, and is removed.
"""
from __future__ import annotations

import errno
import fcntl
import os
import re
import shutil
import socket
import stat
import time
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Callable, Iterator

import orjson

from receivables.errors import DunError

MARKER = ".dun-publish"
MARKER_TEXT = b"Made by 'dun publish', which may replace or remove this folder.\n"
LOCK_WAIT = 60.0  # seconds a publish waits for another one to the same site
_POLL = 0.1


def lock_path(out_dir: Path) -> Path:
    return out_dir.with_name(f".{out_dir.name}.dun-publish-lock")


def _holder(fd: int) -> tuple[str, str]:
    """Who holds the lock: in full, and short (for a progress line)."""
    try:
        info = orjson.loads(os.pread(fd, 4096, 0))
        command, pid, host, since = (info["command"], int(info["pid"]), info["host"], info["since"])
        if not all(isinstance(t, str) and t.isprintable() and len(t) < 80 for t in (command, host, since)):
            raise TypeError("not a holder note of ours")
        return f"'{command}' (pid {pid} on {host}, since {since})", f"'{command}' pid {pid}"
    except (OSError, orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return "another dun", "another dun"


def _open_lock(path: Path) -> int:
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
    except OSError as e:
        raise DunError(f"cannot lock the site folder for publishing ({e.strerror or e})", str(path),
                       "check the folder is writable, or publish with --out elsewhere") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):  # pragma: no cover - O_NOFOLLOW refuses links
        os.close(fd)
        raise DunError("is not dun's lock file", str(path), "move it away, then publish again")
    return fd


@contextmanager
def site_lock(out_dir: Path, command: str = "dun publish",
              waiting: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold the lock of ``out_dir`` for one publish (see the module docstring).

    The lock file is removed by its holder, still holding it; a waiter that then gets the lock
    of the removed file tries again, so two publishes never both hold it."""
    path = lock_path(out_dir)
    deadline = time.monotonic() + LOCK_WAIT
    told = False
    while True:
        fd = _open_lock(path)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as e:
            if e.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                os.close(fd)
                raise
            holder, short = _holder(fd)
            os.close(fd)
            if time.monotonic() >= deadline:
                raise DunError(f"is being published by {holder}", str(out_dir),
                               "wait for that to finish, then publish again") from None
            if waiting is not None and not told:
                waiting(f"waiting for {short}")
                told = True
            time.sleep(_POLL)
            continue
        try:
            same = os.stat(path, follow_symlinks=False).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)  # the holder removed this one as we got it: take the new one
    try:
        info = orjson.dumps({"pid": os.getpid(), "host": socket.gethostname(), "command": command,
                             "since": datetime.now().isoformat(timespec="seconds")})
        try:  # who holds it, for a second publish to tell: not worth failing for (a full disk)
            os.ftruncate(fd, 0)
            os.pwrite(fd, info, 0)
        except OSError:
            pass
        yield
    finally:
        try:
            path.unlink()
        except OSError:
            pass
        os.close(fd)  # releases the lock


def is_ours(folder: Path) -> bool:
    """Whether ``folder`` (not a link) carries dun's marker."""
    try:
        if folder.is_symlink() or not folder.is_dir():
            return False
        fd = os.open(folder / MARKER, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return False
    try:  # a plain file holding exactly the marker text (not a link, a pipe or a device)
        return stat.S_ISREG(os.fstat(fd).st_mode) and os.read(fd, len(MARKER_TEXT) + 1) == MARKER_TEXT
    except OSError:
        return False
    finally:
        os.close(fd)


def _siblings(out_dir: Path, kind: str) -> list[Path]:
    """dun's own ``.SITE-build-*`` or ``.SITE-old*`` folders beside ``out_dir``."""
    pattern = re.compile(re.escape(f".{out_dir.name}-{kind}") + r"(-[A-Za-z0-9_]+)?")
    try:
        names = os.listdir(out_dir.parent)
    except OSError:
        return []
    return [out_dir.parent / n for n in names if pattern.fullmatch(n) and is_ours(out_dir.parent / n)]


def recover(out_dir: Path) -> None:
    """Finish or undo a swap that was cut between its two renames, and remove the build
    folders of killed publishes. Call only while holding :func:`site_lock`."""
    old = sorted(_siblings(out_dir, "old"), key=lambda p: p.stat().st_mtime_ns)
    if old and not out_dir.exists():
        os.replace(old.pop(), out_dir)  # the site as it was before the cut swap
    for folder in old + _siblings(out_dir, "build"):
        shutil.rmtree(folder, ignore_errors=True)


def _free_name(out_dir: Path, kind: str) -> Path:
    while True:
        p = out_dir.with_name(f".{out_dir.name}-{kind}-{os.urandom(4).hex()}")
        if not os.path.lexists(p):
            return p


def new_build(out_dir: Path) -> Path:
    """A new, empty build folder beside ``out_dir``, carrying dun's marker, with the mode of the
    folder it will replace, so a site that is shared stays shared. A new site gets the default
    mode under the umask (0755 under the usual 022), and so does a site an older dun made (it
    has no marker): those were left 0700 by mistake."""
    while True:
        tmp = _free_name(out_dir, "build")
        try:
            os.mkdir(tmp, 0o777)  # the umask applies, as for any new folder
            break
        except FileExistsError:
            continue
    try:
        if out_dir.is_dir() and (is_ours(out_dir) or not any(out_dir.iterdir())):
            os.chmod(tmp, stat.S_IMODE(os.stat(out_dir).st_mode))
        _mark(tmp)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return tmp


def swap(tmp: Path, out_dir: Path) -> None:
    """Put the build ``tmp`` in place of ``out_dir`` (see the module docstring)."""
    old = None
    if out_dir.exists():
        if not is_ours(out_dir):  # a site of an older dun, or an empty folder: ours from now on
            _mark(out_dir)
        old = _free_name(out_dir, "old")
        os.rename(out_dir, old)
    os.rename(tmp, out_dir)
    fsync_dir(out_dir.parent)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _mark(folder: Path) -> None:
    """Write dun's marker into ``folder``: never through whatever else has its name there (a
    link planted in a received book's site would take the write to the file it points to)."""
    path = folder / MARKER
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        st = None
    if st is not None:
        if stat.S_ISDIR(st.st_mode):
            raise DunError(f"{MARKER} is a folder, not dun's marker file", str(folder),
                           "move that folder away, then publish again")
        os.unlink(path)  # (a link, or a file of other bytes: dun's from now on)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    try:
        os.write(fd, MARKER_TEXT)
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    """The store's folder fsync; a site that is already swapped in is not undone by its failure."""
    from store.files import fsync_dir as _fsync

    try:
        _fsync(path)
    except OSError:
        pass
