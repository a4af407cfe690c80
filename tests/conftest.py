"""Shared fixtures: fresh books in temporary folders, fixed dates (never the clock)."""
from __future__ import annotations

import os
import tempfile
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
TODAY = date(2026, 11, 22)

os.environ["DUN_NO_BACKGROUND"] = "1"  # (for any background work: none runs behind the suite's back)
# The user's cache folder (store.files.user_cache_dir) is the suite's own, never the real one.
os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="dun-test-cache-")
# Never the owner's config folder (their keymap.toml); a fixed path that does not exist (the help
# screen names it, and its snapshots must not change from run to run). Tests of a keymap set
# XDG_CONFIG_HOME to a folder of their own (config_home below).
os.environ["XDG_CONFIG_HOME"] = "/nonexistent/dun-test-config"
# The key that seals the outbox's messages (publish.seal): the suite's own, never the owner's.
os.environ["XDG_DATA_HOME"] = tempfile.mkdtemp(prefix="dun-test-data-")


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


@pytest.fixture
def config_home(tmp_path, monkeypatch) -> Path:
    """The user config folder of this test: where dun reads keymap.toml (``config_home / "dun"``)."""
    path = tmp_path / "config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(path))
    (path / "dun").mkdir(parents=True)
    return path / "dun"


@pytest.fixture(autouse=True)
def _own_cache_folder(tmp_path_factory, monkeypatch):
    """Derived files go to a folder of the test's own (never the user's cache folder); the
    CLI run in a subprocess inherits it."""
    monkeypatch.setenv("DUN_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture(autouse=True)
def _queues_saved_at_once(monkeypatch):
    """The app waits for a quiet moment (a few seconds without a key press) before its
    background work, e.g. keeping the derived state; the tests, which wait for every worker,
    do not."""
    import tui.app

    monkeypatch.setattr(tui.app.DunApp, "QUEUE_SAVE_DELAY", 0.0)


def D(text: str) -> Decimal:
    return Decimal(text)
