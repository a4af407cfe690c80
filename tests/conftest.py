"""Shared fixtures: fresh books in temporary folders, fixed dates (never the clock)."""
from __future__ import annotations

import os
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
TODAY = date(2026, 11, 22)

# No test starts a background 'dun prepare' behind the suite's back (tui.quickstart); the
# one test of that path clears this for itself.
os.environ["DUN_NO_BACKGROUND"] = "1"


@pytest.fixture
def book_dir(tmp_path: Path) -> Path:
    from store import init_book

    path = tmp_path / "book"
    init_book(path)
    return path


@pytest.fixture
def repo(book_dir: Path):
    from store import open_book

    r = open_book(book_dir, today=TODAY)
    yield r
    r.close()


@pytest.fixture(autouse=True)
def _own_cache_folder(tmp_path_factory, monkeypatch):
    """Derived files go to a folder of the test's own (never the user's cache folder); the
    CLI run in a subprocess inherits it."""
    monkeypatch.setenv("DUN_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture(autouse=True)
def _queues_saved_at_once(monkeypatch):
    """The app waits a few seconds before saving the next days' queues (tui.quickstart); the
    tests, which wait for every worker, do not."""
    import tui.app

    monkeypatch.setattr(tui.app.DunApp, "QUEUE_SAVE_DELAY", 0.0)


def D(text: str) -> Decimal:
    return Decimal(text)
