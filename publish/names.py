"""File names for client ids: safe on every disk, unique even where case does not count.

A client id that is already a tame file name (ASCII letters and digits, ``.``, ``_`` and
single ``-``; not hidden, not reserved on Windows, at most 60 characters) is its own name.
Any other id gets a tame version of itself, ``--`` and a digest of the id. Among a book's
clients, tame ids that differ only in case (``acme`` and ``ACME``) get the digest too. So a
name with ``--`` is never an untouched id, untouched names differ also when case does not
count, and digested names differ by their digests: no two clients share a file, on any disk.
"""
from __future__ import annotations

import hashlib
import re
from collections import Counter
from typing import Iterable

from receivables.errors import DunError

_TAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._]|-(?!-))*")
_UNSAFE = re.compile(r"[^A-Za-z0-9._]+")
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)), *(f"lpt{i}" for i in range(1, 10))}
MAX_BASE = 60


def _digest(client_id: str) -> str:
    return hashlib.sha256(client_id.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def _tame(client_id: str) -> bool:
    return (len(client_id) <= MAX_BASE and _TAME.fullmatch(client_id) is not None and not client_id.endswith(".")
            and client_id.split(".")[0].casefold() not in _RESERVED)


def _digested(client_id: str) -> str:
    base = _UNSAFE.sub("_", client_id).strip("._-")[:MAX_BASE].strip("._-") or "client"
    return f"{base}--{_digest(client_id)}"


def safe_name(client_id: str) -> str:
    """The file name (without extension) for one client id taken alone (see
    :func:`file_names` for a book's clients)."""
    return client_id if _tame(client_id) else _digested(client_id)


def file_names(client_ids: Iterable[str]) -> dict[str, str]:
    """Every client's file name; unique, also on a case-insensitive disk."""
    ids = list(client_ids)
    folded = Counter(cid.casefold() for cid in ids if _tame(cid))
    names = {cid: cid if _tame(cid) and folded[cid.casefold()] == 1 else _digested(cid) for cid in ids}
    seen: dict[str, str] = {}
    for cid, name in names.items():
        other = seen.setdefault(name.casefold(), cid)
        if other != cid:  # two digests alike: no such pair of ids is known
            raise DunError(f"client ids {other!r} and {cid!r} would share the file name {name!r}", "publish",
                           "rename one of the two clients")
    return names
