"""What a derived entry is checked against besides its revision: the book's id, the policy's
digest, the code's version and the date (:class:`Key`; see :mod:`derived.state`)."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from receivables.policy import Policy

_CODE: list[str] = []


def code_version() -> str:
    """One digest of the engine's code (every module of ``receivables``) and of this layer's."""
    if not _CODE:
        h = hashlib.sha256()
        here = Path(__file__).resolve().parent
        for folder in (here.parent / "receivables", here):
            for path in sorted(folder.rglob("*.py")):
                h.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
        _CODE.append(h.hexdigest()[:16])
    return _CODE[0]


def policy_digest(policy: Policy) -> str:
    """The policy's rules (not where its file lies)."""
    return hashlib.sha256(repr(replace(policy, source="")).encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class Key:
    book_id: str | None  # the book's cache id (store: Reads.cache_id): its id and its folder
    policy: str
    code: str
    on: date

    def name(self) -> str:
        return f"day-{self.on.isoformat()}-{self.policy}-{self.code}.json"


def key_of(book_id: str | None, policy: Policy, on: date) -> Key:
    return Key(book_id, policy_digest(policy), code_version(), on)
