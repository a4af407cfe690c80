"""A first start's work shared with a second process (the machine's other core).

When every client of a large book is to be worked out afresh before the queue can be shown
(the app's first start, a new day with nothing worked out ahead), the app's worker reads the
whole book and works out what is due from each client in the store's order. A helper
process (:func:`start`, before the book is read) reads the same book and works out what is
due from each client (its actions) from the *last* client backwards, sending them a few
clients at a time. The worker stops where the two meet and takes the rest from the helper
(:meth:`Share.take`). Everything else is still worked out in the app's own process: each
message context when a draft first asks for it (:class:`SharedDue`), and every client's
whole day behind the queue, so the helper only brings the first queue forward.

Nothing the helper says is trusted that is not checked: its first line names the key it
worked under (the book's id, the policy's digest, the code version, the date) and must be
the app's own; each client's line carries the client's revision, which must equal the
revision the app read from the store; each line must decode (:mod:`derived.codec`, never
pickle) to actions of that client. Anything else is worked out in the app as if there were
no helper, which is also what happens when the helper fails, is slow, or cannot start.

The helper is our own code, started as ``python -I``: isolated from the environment
(``PYTHONPATH``, ``PYTHONSTARTUP`` and the like), the user's site folder and the current
folder, with this package's folder alone put first on its path, so nothing in a book folder
(a ``cli/`` or ``derived/`` package, a ``sitecustomize.py``, a ``.pth`` file) is imported.
It reads the book read-only, writes nothing but its lines, and is killed once the queue is
known. It earns its place in ``benchmarks/derived.py`` (the cold start with and without it).
"""
from __future__ import annotations

import os
import subprocess
import sys
import threading
from datetime import date
from pathlib import Path
from typing import Any, Callable

import orjson

from receivables.engine import PendingDue
from receivables.engine.records import Action
from receivables import tuning
from receivables.tuning import quiet_gc

from . import codec
from .key import Key, key_of

# the package's own folder: the only folder the helper imports from besides the interpreter's
ROOT = Path(__file__).resolve().parent.parent
BOOT = "import sys; sys.path.insert(0, sys.argv[1]); from derived.share import serve; serve()"


def _key_fields(key: Key) -> list:
    return [key.book_id, key.policy, key.code, key.on.isoformat()]


class Share:
    """The helper process, seen from the app: what it has sent so far, by client."""

    def __init__(self, proc: subprocess.Popen, key: Key, revisions: dict[str, str]) -> None:
        self._proc = proc
        self._key = _key_fields(key)
        self._revisions = revisions
        self._got: dict[str, tuple[str, Any]] = {}  # client -> (revision, encoded actions), as sent
        self._reader = threading.Thread(target=self._read, name="dun-share", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        try:
            out = self._proc.stdout
            head = out.readline()
            if orjson.loads(head) != self._key:  # (another key: none of its lines count)
                self._proc.kill()
                return
            for line in out:
                cid, rev, due = orjson.loads(line)
                if type(cid) is str:
                    self._got[cid] = (rev, due)
        except (OSError, ValueError, TypeError):  # (a helper that failed: what it sent still counts)
            return

    def has(self, cid: str) -> bool:
        """Whether the helper has sent ``cid``'s actions (then also every client's after it in
        the store's order: it works backwards)."""
        return cid in self._got

    def take(self, cid: str) -> tuple[Action, ...] | None:
        """``cid``'s actions as the helper sent them, when worked out from the records at the
        client's revision in the store (on the date: the key), and they decode; else None."""
        got = self._got.get(cid)
        if got is None or got[0] != self._revisions.get(cid):
            return None
        try:
            actions = codec.decode(got[1])
        except (codec.Undecodable, TypeError, ValueError):
            return None
        if not isinstance(actions, tuple) or not all(
                type(a) is Action and a.client == cid for a in actions):
            return None
        return actions

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until the helper has sent everything (or stopped); whether it has."""
        self._reader.join(timeout)
        return not self._reader.is_alive()

    def close(self) -> None:
        """Stop the helper (its work is no longer wanted) and let go of what it sent."""
        proc = self._proc
        if proc.poll() is None:
            proc.kill()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:  # (killed: it cannot outlive this for long)
            pass
        self._reader.join(5)  # (the pipe is at its end once the helper is gone)
        if not self._reader.is_alive() and proc.stdout is not None:
            proc.stdout.close()
        self._got = {}


def cores() -> int:
    """The processor cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # (not on Linux)
        return os.cpu_count() or 1


def available_memory() -> int | None:
    """The bytes of memory the system can give without swapping (Linux's MemAvailable), or
    None where that is not known."""
    try:
        with open("/proc/meminfo", "rb") as f:
            for line in f:
                if line.startswith(b"MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _room_for(repo: Any) -> bool:
    """Whether the machine has the memory for the helper beside the app, both reading the
    whole book at once (each holds several times the file's size)."""
    free = available_memory()
    if free is None:
        return True
    try:
        size = os.stat(repo.paths.book).st_size
    except OSError:
        return False
    return free >= tuning.SHARE_MEMORY * size


def start(repo: Any, key: Key, revisions: dict[str, str]) -> Share | None:
    """A helper for working out every client of ``repo`` on ``key``'s date, or None when the
    book has too few clients for it to be worth a process, there is no second core for it
    (it would only take turns with the app's own work) or not the memory (swapping would
    make the start slower, not faster), or it cannot be started."""
    if len(revisions) < tuning.SHARE_CLIENTS or key.book_id is None or cores() < 2 or not _room_for(repo):
        return None
    try:
        # (the book's folder as a whole path: the helper runs in another folder)
        argv = [sys.executable, "-I", "-c", BOOT, str(ROOT), os.path.realpath(repo.paths.root), key.on.isoformat()]
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                cwd=ROOT)
    except OSError:
        return None
    return Share(proc, key, dict(revisions))


class SharedDue:
    """A client's actions as the helper sent them, standing in for its
    :class:`~receivables.engine.PendingDue` in the first queue: their message contexts are
    worked out here when a draft first asks (``begin(client)``: the client's PendingDue,
    worked out in this process; an action it does not have has no context)."""

    __slots__ = ("client", "on", "actions", "_begin", "_pending", "_lock")

    def __init__(self, client: str, on: date, actions: tuple[Action, ...],
                 begin: Callable[[str], PendingDue]) -> None:
        self.client, self.on, self.actions = client, on, actions
        self._begin = begin
        self._pending: PendingDue | None = None
        self._lock = threading.Lock()

    def _own(self) -> PendingDue:
        with self._lock:
            if self._pending is None:
                self._pending = self._begin(self.client)
            return self._pending

    def context_of(self, action: Action) -> dict | None:
        return self._own().context_of(action) if action in self.actions else None


def serve() -> None:
    """The helper's side: the book's folder and the date from its arguments, the lines to
    stdout (see the module)."""
    import store
    from receivables.engine.client import begin_client, client_index

    out = sys.stdout.buffer
    try:
        book, on = Path(sys.argv[2]), date.fromisoformat(sys.argv[3])
        with quiet_gc():
            repo = store.open_book(book, readonly=True, today=on)
            policy = repo.policy()
            revisions = repo.client_revisions()
            out.write(orjson.dumps(_key_fields(key_of(repo.cache_id, policy, on))) + b"\n")
            out.flush()
            last = list(revisions)[::-1]  # (the app's worker starts from the first)
            batch: list[bytes] = []
            for cid, records in repo.client_books(last):
                due = begin_client(records, policy, on, cid, client_index(records))
                batch.append(orjson.dumps([cid, revisions[cid], codec.encode(due.actions)]))
                if len(batch) == tuning.SHARE_BATCH or cid == last[-1]:
                    out.write(b"\n".join(batch) + b"\n")
                    out.flush()
                    batch = []
    except BaseException:  # (the app has what it wanted or is gone, or the book is one the app
        pass  # refuses with its own message: nothing to add)
    finally:
        # (at once: tearing down the heap of a large book would take longer than the work)
        os._exit(0)
