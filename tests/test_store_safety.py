"""The book on disk when things go wrong: backups and safety copies are never overwritten,
a full disk never turns a saved change into a reported failure (issue 16, items 2 and 3)."""
from __future__ import annotations

from datetime import date, datetime

import orjson
import pytest

from receivables.model import Client
from store import list_backups, open_book, restore_backup

from .conftest import TODAY


def _client_ids(raw: bytes) -> set[str]:
    return {d["id"] for d in orjson.loads(raw).get("clients", {}).values()}


class _FrozenClock(datetime):
    """Every call in the same second, as two restores run back to back by a script are."""

    @classmethod
    def now(cls, tz=None):
        return cls(2026, 11, 22, 9, 30, 0)


def test_two_restores_in_the_same_second_keep_both_safety_copies(book_dir, monkeypatch):
    import store.repository

    monkeypatch.setattr(store.repository, "datetime", _FrozenClock)
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
