"""Helping a mistyped command line: "did you mean …?" and the argument's own error first.

* :func:`did_you_mean` — the closest known names (``difflib``) to what was typed, as the
  hint of the one error line: for commands, client ids and invoice numbers.
* :func:`argument_error_behind_lock` — a writing command finds the book locked (the app is
  open): the command is run once more against a read-only view of the book, with every write
  refused, so that a mistake in its arguments is reported rather than the lock (the lock
  only matters once the arguments are right). Nothing is written and nothing printed.
"""
from __future__ import annotations

import contextlib
import difflib
import io
from typing import Any, Callable, Iterable

from receivables.errors import DunError


def did_you_mean(typed: str, known: Iterable[str], fallback: str = "") -> str:
    """A hint naming the closest of ``known`` to ``typed`` ("" when none is close)."""
    names = [k for k in known if k]
    close = difflib.get_close_matches(typed, names, n=3, cutoff=0.6)
    if not close:
        low = {k.casefold(): k for k in names}
        close = [low[m] for m in difflib.get_close_matches(typed.casefold(), list(low), n=3, cutoff=0.6)]
    if not close:
        return fallback
    return "did you mean " + " or ".join(repr(c) for c in close) + "?"


def unknown_client(repo: Any, cid: str, where: str = "CLIENT") -> DunError:
    try:
        known = list(repo.clients())
    except (DunError, OSError, AttributeError):
        known = []
    return DunError(f"unknown client {cid!r}", where,
                    did_you_mean(cid, known, "see 'dun client list' for the ids"))


def unknown_invoice(number: str, known: Iterable[str], where: str, client: str | None = None) -> DunError:
    what = f"no invoice {number!r} for client {client!r}" if client else f"unknown invoice {number!r}"
    return DunError(what, where, did_you_mean(number, known, "check the number with 'dun client show'"))


def all_invoice_numbers(repo: Any) -> list[str]:
    try:
        return [d.get("number", "") for d in repo.documents("invoices")]
    except (DunError, OSError, AttributeError):
        return []


# -- the argument's error before the lock's ----------------------------------------------------

WRITES = ("add_", "update_", "record_", "log_", "set_", "open_dispute", "resolve_", "cancel_", "commit",
          "import_", "save_", "restore", "checkpoint", "prepare_writes", "delete_", "remove_")


class _WouldWrite(Exception):
    """The command got as far as writing: its arguments are fine."""


class _NoWrites:
    """A read-only repository that stops the command at its first write."""

    def __init__(self, repo: Any) -> None:
        self._repo = repo
        self.read_only = False  # the command must behave as if it could write

    def __getattr__(self, name: str) -> Any:
        if name.startswith(WRITES):
            def refuse(*args: Any, **kwargs: Any) -> Any:
                raise _WouldWrite(name)
            return refuse
        return getattr(self._repo, name)

    def __enter__(self) -> "_NoWrites":
        return self

    def __exit__(self, *exc: Any) -> None:
        self._repo.close()


def argument_error_behind_lock(handler: Callable[[Any], Any], args: Any) -> DunError | None:
    """The error the command's arguments cause, found without the lock; None when they are fine."""
    import store

    real = store.open_book

    def open_read_only(path, *a: Any, **kw: Any) -> Any:
        kw["readonly"] = True
        kw.pop("command", None)
        return _NoWrites(real(path, *a, **kw))

    store.open_book = open_read_only
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            handler(args)
    except _WouldWrite:
        return None
    except store.BookLocked:
        return None
    except DunError as e:
        return e
    except Exception:
        return None
    finally:
        store.open_book = real
    return None
