"""The next days' queues, saved between sessions so a large book shows Today at once.

Reading a 100,000-invoice book and working out its agenda takes seconds. The agenda is a
pure function of the book, the policy and the date, so once the app has it, it also works
out the queues of the next :data:`DAYS_AHEAD` days and saves them in
``BOOK/.cache/queues.json`` under a *stamp* of everything they depend on:

- the number of the book's last commit (every commit raises it, a checkpoint keeps it, a
  restore raises it) and the checksum of that commit's journal line;
- the bytes of ``policy.toml``;
- the code that computes the agenda (the ``receivables`` sources) and the holiday calendar's
  version.

On the next start, if the stamp still matches and the day is among the saved ones, the
Today queue shows from this file while the book is read in the background; the queue the
engine then works out replaces it (it is the same unless the book changed in between). Any
other case (the book changed outside the app, the policy was edited, a week went by, the
file is missing or damaged) is an ordinary start. The file is derived data: deleting it
loses nothing.

Who writes it: the app, once it has the agenda (only a writable window: a read-only one may
hold an older book than the disk) and again after each change it makes; and ``dun prepare``,
which the app starts in the background when it quits with its last changes not yet worked
out, and which every command that changed the book starts too (only for books whose owner
uses the app, i.e. that have this file). The stamp is always taken *before* the book is
read, so a commit in between can only make the saved queues stale, never wrong.
"""
from __future__ import annotations

import hashlib
import os
import zlib
from dataclasses import fields
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterable

import orjson

import receivables
from receivables.agenda import Action

FORMAT = "dun-queues-1"
DAYS_AHEAD = 7  # a long weekend or a week away still opens at once
CACHE_DIR = ".cache"
FILE = "queues.json"
_SOURCES = Path(receivables.__file__).resolve().parent


def cache_path(book_dir: Path) -> Path:
    return Path(book_dir) / CACHE_DIR / FILE


@lru_cache(maxsize=1)
def _code_version() -> str:
    h = hashlib.sha256(FORMAT.encode())
    for p in sorted(_SOURCES.glob("*.py")):
        h.update(p.name.encode())
        h.update(p.read_bytes())
    try:
        from importlib.metadata import version

        h.update(version("holidays").encode())
    except Exception:  # pragma: no cover - an installed holidays always has metadata
        h.update(b"holidays:?")
    return h.hexdigest()


def book_stamp(book_dir: Path) -> str:
    """What the saved queues depend on, as one string ("" if it cannot be told cheaply)."""
    book_dir = Path(book_dir)
    seq = _committed_seq(book_dir)
    if seq is None:
        return ""
    h = hashlib.sha256(_code_version().encode())
    h.update(f"seq:{seq};".encode())
    try:
        h.update((book_dir / "policy.toml").read_bytes())
    except FileNotFoundError:
        h.update(b"policy:none")
    return h.hexdigest()


def _committed_seq(book_dir: Path) -> str | None:
    """The number of the book's last commit, read the cheap way: the ``meta`` line that
    opens ``book.json`` and the last intact line of ``book.journal`` (see :mod:`store`).
    Every commit raises it; a checkpoint keeps it; a restore raises it too."""
    try:
        with open(book_dir / "book.json", "rb") as f:
            first = f.readline(65536)
        if not first.startswith(b'{"meta":') or not first.endswith(b"\n"):
            return None  # not the one-table-per-line layout: no cheap answer
        meta = orjson.loads(first[len(b'{"meta":'):].rstrip().rstrip(b","))
        seq = int(meta["1"]["seq"])
        try:
            journal = (book_dir / "book.journal").read_bytes()
        except FileNotFoundError:
            journal = b""
        tail = ""
        for line in reversed(journal.split(b"\n")[-3:]):
            if len(line) > 9 and line[8:9] == b" " and int(line[:8], 16) == zlib.crc32(line[9:]):
                n = int(orjson.loads(line[9:])["seq"])
                if n >= seq:
                    seq, tail = n, line[:8].decode("ascii")
                break
        return f"{seq}:{tail}"
    except (OSError, ValueError, TypeError, KeyError):
        return None


# -- Action <-> JSON ---------------------------------------------------------------------

_FIELDS = tuple(f.name for f in fields(Action))


def _enc(v: Any) -> Any:
    if isinstance(v, Decimal):
        return {"d": str(v)}
    if isinstance(v, date):
        return {"t": v.isoformat()}
    if isinstance(v, tuple):
        return [_enc(x) for x in v]
    return v


def _dec(v: Any) -> Any:
    if isinstance(v, dict):
        if "d" in v:
            return Decimal(v["d"])
        return date.fromisoformat(v["t"])
    if isinstance(v, list):
        return tuple(_dec(x) for x in v)
    return v


def _action_to_row(a: Action) -> list:
    return [_enc(getattr(a, name)) for name in _FIELDS]


def _action_from_row(row: list) -> Action:
    if len(row) != len(_FIELDS):
        raise ValueError("an action of another shape")
    return Action(*(_dec(v) for v in row))


# -- save and load -------------------------------------------------------------------------

def save(book_dir: Path, stamp: str, queues: dict[date, Iterable[Action]]) -> Path:
    """Write the queues under ``stamp`` (atomically: a reader sees the old file or the new)."""
    from store.files import atomic_write

    path = cache_path(book_dir)
    path.parent.mkdir(exist_ok=True)
    doc = {
        "format": FORMAT,
        "stamp": stamp,
        "fields": list(_FIELDS),
        "days": {d.isoformat(): [_action_to_row(a) for a in q] for d, q in sorted(queues.items())},
    }
    atomic_write(path, orjson.dumps(doc))
    return path


def load(book_dir: Path, on: date, stamp: str | None = None) -> list[Action] | None:
    """The saved queue for ``on`` if it is still exactly what the engine would say; else None.
    ``stamp``: the book's :func:`book_stamp` if the caller has just taken it."""
    try:
        rows = _saved_days(book_dir, stamp).get(on.isoformat())
        return None if rows is None else [_action_from_row(r) for r in rows]
    except (ValueError, TypeError, KeyError, AttributeError, ArithmeticError):
        return None  # damaged: an ordinary start


def _saved_days(book_dir: Path, stamp: str | None = None) -> dict:
    """The saved rows by ISO day, if the file is ours and its stamp still matches; else {}."""
    try:
        raw = cache_path(book_dir).read_bytes()
        doc = orjson.loads(raw)
    except (OSError, ValueError):
        return {}  # missing or damaged
    if (not isinstance(doc, dict) or doc.get("format") != FORMAT or doc.get("stamp") != (stamp or book_stamp(book_dir))
            or doc.get("fields") != list(_FIELDS) or not isinstance(doc.get("days"), dict)):
        return {}
    return doc["days"]


def work_out(agenda_for: Callable[[date], list[Action]], on: date, today: list[Action] | None,
             still_wanted: Callable[[], bool] = lambda: True) -> dict[date, list[Action]] | None:
    """The queues of ``on`` and the next days (``today``: the one already worked out).
    None if ``still_wanted`` turns false on the way (the book changed meanwhile)."""
    queues: dict[date, list[Action]] = {}
    for k in range(DAYS_AHEAD + 1):
        day = on + timedelta(days=k)
        if k == 0 and today is not None:
            queues[day] = list(today)
            continue
        if not still_wanted():
            return None
        queues[day] = list(agenda_for(day))
    return queues


# -- keeping the queues current after the app or a command changed the book ------------------

BACKGROUND_ENV = "DUN_NO_BACKGROUND"  # set (the tests do): never start the background refresh


def is_current(book_dir: Path, on: date) -> bool:
    """True if the saved queues hold ``on`` and still match the book and the policy."""
    return load(book_dir, on) is not None


def prepare(book_dir: Path, on: date, attempts: int = 3) -> bool:
    """Work out and save the queues of ``on`` and the next days from the book on disk (what
    ``dun prepare`` does). Read-only: it takes no write lock and changes nothing in the book.
    If the book changes while this runs, it starts again (up to ``attempts`` times).
    Returns True if the saved queues are current when it ends."""
    import fcntl

    from receivables.agenda import build_agenda
    from receivables.ledger import index_book
    from receivables.policy import load_policy
    from store import open_book

    book_dir = Path(book_dir)
    (book_dir / CACHE_DIR).mkdir(exist_ok=True)
    with open(book_dir / CACHE_DIR / "prepare.lock", "a+b") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False  # another one is at it (and starts again if the book moves on)
        for _ in range(attempts):
            stamp = book_stamp(book_dir)  # before reading: a later commit makes it stale, never wrong
            if not stamp:
                return False
            saved = _saved_days(book_dir, stamp)
            if on.isoformat() in saved and (on + timedelta(days=DAYS_AHEAD)).isoformat() in saved:
                return True
            policy, _problems = load_policy(book_dir / "policy.toml")
            if policy is None:
                return False  # the app shows the policy's problems; there is no agenda to save
            repo = open_book(book_dir, readonly=True, today=on)
            try:
                index = index_book(repo.book())
            finally:
                repo.close()
            queues = work_out(lambda day: build_agenda(index, policy, day), on, None)
            if queues is not None and book_stamp(book_dir) == stamp:
                save(book_dir, stamp, queues)
                return True
        return False


def spawn_prepare(book_dir: Path, on: date):
    """Start :func:`prepare` in a background process of its own (it outlives this one), so
    the next start of the app is quick after a change; nothing waits for it. Returns the
    process, or None if none was started."""
    import subprocess
    import sys
    import tempfile

    if os.environ.get(BACKGROUND_ENV):
        return None
    # Nothing in the book folder may run: a received book can hold a ``cli/`` package or a
    # ``.pth`` file. ``-P`` keeps the working directory off the import path, and the process
    # runs from a neutral folder, so ``cli.main`` is always dun's own.
    try:
        return subprocess.Popen(
            [sys.executable, "-P", "-m", "cli.main", "--book", str(Path(book_dir).resolve()), "prepare",
             "--on", on.isoformat(), "--background"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True, close_fds=True, cwd=tempfile.gettempdir(),
        )
    except OSError:
        return None
