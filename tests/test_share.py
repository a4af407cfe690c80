"""The first start's helper process (derived.share): what it sends is taken only when it is
what the app would have worked out itself, and nothing in a book folder runs in it."""
from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import orjson
import pytest

import derived
from derived import codec, share as share_mod
from derived import state as derived_state
from derived.share import SharedDue
from publish.messages import draft_from_day
from receivables import tuning
from receivables.demo import generate
from receivables.engine import PendingDue, derive_client, fold, group_by_client
from receivables.policy import read_policy
from store import init_book, open_book
from tests.conftest import REPO

ON = date(2026, 11, 22)
POLICY = read_policy(REPO / "policy.toml")


@pytest.fixture(autouse=True)
def _share_small_books(monkeypatch):
    monkeypatch.setattr(tuning, "SHARE_CLIENTS", 2)
    monkeypatch.setattr(tuning, "SHARE_BATCH", 3)
    monkeypatch.setattr(derived_state, "FEW_CLIENTS", 3)
    monkeypatch.setattr(share_mod, "cores", lambda: 2)  # (whatever machine runs the tests)
    monkeypatch.setattr(share_mod, "available_memory", lambda: None)


def make(path, clients=10, invoices=160, seed=3):
    init_book(path, book=generate(clients=clients, invoices=invoices, seed=seed, today=ON, policy=POLICY))
    return path


def scratch(path):
    with open_book(path, readonly=True) as repo:
        book, policy = repo.book(), repo.policy()
    return fold({cid: derive_client(g, policy, ON, cid) for cid, g in group_by_client(book).items()}, ON)


def first_start(path, start=derived.start_share):
    """A first start as the app makes it: the helper started before the book is read (and
    done before the worker begins, so every client it sent is there to take)."""
    seen = []
    with open_book(path, readonly=True) as repo:
        policy = repo.policy()
        revisions = repo.client_revisions()
        share = start(repo, policy, ON, revisions)
        assert share is not None
        assert share.wait(120)
        got = derived.current(repo, policy, ON, book=repo.book(), revisions=revisions, early=seen.append,
                              share=share, save=False)
        clients = repo.clients()
    assert share._proc.poll() is not None  # stopped once what is due is known
    assert len(seen) == 1
    return seen[0], got, clients, policy


def test_what_the_helper_sends_equals_what_is_worked_out_here(tmp_path):
    book = make(tmp_path / "b")
    want = scratch(book)
    due, got, clients, policy = first_start(book)
    assert all(isinstance(d, SharedDue) for d in due.days.values())  # every client came from the helper
    assert due.agenda == want.agenda and due.agenda
    assert tuple(due.days[a.client].context_of(a) for a in due.agenda) == want.contexts
    for a in due.agenda:
        assert draft_from_day(a, due.days[a.client], clients[a.client], policy, ON) == \
            draft_from_day(a, want.clients[a.client], clients[a.client], policy, ON)
    assert got.book_day == want  # the rest of the day is worked out here


def test_where_the_worker_meets_the_helper_each_gives_its_part_of_one_queue(tmp_path):
    book = make(tmp_path / "b")
    half = []

    def start(repo, policy, on, revisions):
        share = derived.start_share(repo, policy, on, revisions)
        assert share.wait(120)
        half.extend(list(revisions)[:len(revisions) // 2])
        for cid in half:  # (as when the worker gets there first: the helper works backwards)
            del share._got[cid]
        return share

    due, got, _, _ = first_start(book, start)
    assert [type(d).__name__ for d in due.days.values()] == \
        ["PendingDue"] * len(half) + ["SharedDue"] * (len(due.days) - len(half))
    want = scratch(book)
    assert due.agenda == want.agenda and got.book_day == want


def test_a_book_named_by_a_relative_path_is_the_book_the_helper_reads(tmp_path, monkeypatch):
    """The helper runs in dun's own folder: a book named relative to the app's folder (``dun
    --book b``) is passed to it as a whole path."""
    make(tmp_path / "b")
    monkeypatch.chdir(tmp_path)
    due, _, _, _ = first_start(Path("b"))
    assert all(isinstance(d, SharedDue) for d in due.days.values())


def test_a_line_at_another_revision_is_worked_out_here(tmp_path):
    book = make(tmp_path / "b")
    stale = []

    def start(repo, policy, on, revisions):
        share = derived.start_share(repo, policy, on, revisions)
        stale.append(next(iter(revisions)))
        share._revisions[stale[0]] = "1-0000000000000000"  # as if the client changed since
        return share

    due, got, _, _ = first_start(book, start)
    assert isinstance(due.days[stale[0]], PendingDue)
    assert sum(isinstance(d, SharedDue) for d in due.days.values()) == len(due.days) - 1
    assert due.agenda == scratch(book).agenda


def test_a_helper_under_another_key_is_stopped_and_nothing_it_sent_is_taken(tmp_path):
    book = make(tmp_path / "b")

    def start(repo, policy, on, revisions):
        key = derived.key_of(repo.cache_id, policy, on)
        return share_mod.start(repo, replace(key, policy="0" * 16), revisions)  # (the policy edited meanwhile)

    due, _, _, _ = first_start(book, start)
    assert all(isinstance(d, PendingDue) for d in due.days.values())
    assert due.agenda == scratch(book).agenda


def _boot_printing(lines: list[bytes]) -> str:
    data = b"".join(x + b"\n" for x in lines)
    return f"import sys; sys.stdout.buffer.write({data!r})"


def test_a_helper_that_fails_or_sends_what_is_not_a_clients_due_changes_nothing(tmp_path, monkeypatch):
    book = make(tmp_path / "b")
    want = scratch(book)
    with open_book(book, readonly=True) as repo:
        key = derived.key_of(repo.cache_id, repo.policy(), ON)
        revisions = repo.client_revisions()
    first, second = list(revisions)[:2]
    other = want.clients[second].actions
    assert other
    head = orjson.dumps([key.book_id, key.policy, key.code, key.on.isoformat()])
    for boot in ("raise SystemExit(3)", "import sys; sys.stdout.write('not json\\n')",
                 _boot_printing([head, orjson.dumps([first, revisions[first], codec.encode(other)]),  # another's
                                 orjson.dumps([second, revisions[second], {"@": "Nothing", "f": []}])])):
        monkeypatch.setattr(share_mod, "BOOT", boot)
        due, got, _, _ = first_start(book)
        assert all(isinstance(d, PendingDue) for d in due.days.values())
        assert due.agenda == want.agenda and got.book_day == want


def test_nothing_planted_in_the_book_folder_or_the_environment_runs_in_the_helper(tmp_path, monkeypatch):
    book = make(tmp_path / "b")
    ran = tmp_path / "ran"
    plant = f"open({str(ran)!r}, 'a').write(__name__ + '\\n')\n"
    for name in ("cli", "derived", "receivables", "store"):
        (book / name).mkdir()
        (book / name / "__init__.py").write_text(plant)
    for name in ("sitecustomize.py", "usercustomize.py", "orjson.py", "startup.py"):
        (book / name).write_text(plant)
    (book / "x.pth").write_text(f"import os; {plant}")
    monkeypatch.chdir(book)
    files = sorted((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in book.rglob("*"))
    monkeypatch.setenv("PYTHONPATH", str(book))
    monkeypatch.setenv("PYTHONSTARTUP", str(book / "startup.py"))
    monkeypatch.setenv("PYTHONUSERBASE", str(book))
    due, _, _, _ = first_start(book)
    assert not ran.exists()
    assert sorted((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in book.rglob("*")) == files  # (read-only)
    assert all(isinstance(d, SharedDue) for d in due.days.values())  # it did run: our own code


def test_no_helper_on_a_machine_with_one_core(tmp_path, monkeypatch):
    book = make(tmp_path / "b")
    monkeypatch.setattr(share_mod, "cores", lambda: 1)
    with open_book(book, readonly=True) as repo:
        assert derived.start_share(repo, repo.policy(), ON, repo.client_revisions()) is None
    monkeypatch.setattr(share_mod, "cores", lambda: 2)
    with open_book(book, readonly=True) as repo:
        share = derived.start_share(repo, repo.policy(), ON, repo.client_revisions())
        assert share is not None
        share.close()


def test_no_helper_without_the_memory_for_it_beside_the_app(tmp_path, monkeypatch):
    book = make(tmp_path / "b")
    size = (book / "book.json").stat().st_size
    with open_book(book, readonly=True) as repo:
        policy, revisions = repo.policy(), repo.client_revisions()
        monkeypatch.setattr(share_mod, "available_memory", lambda: tuning.SHARE_MEMORY * size - 1)
        assert derived.start_share(repo, policy, ON, revisions) is None
        monkeypatch.setattr(share_mod, "available_memory", lambda: tuning.SHARE_MEMORY * size)
        share = derived.start_share(repo, policy, ON, revisions)
        assert share is not None
        share.close()


def test_no_helper_for_a_day_kept_already_or_a_small_book(tmp_path, monkeypatch):
    book = make(tmp_path / "b")
    with open_book(book, readonly=True) as repo:
        policy, revisions = repo.policy(), repo.client_revisions()
        derived.current(repo, policy, ON)  # (keeps the day in its file)
        assert derived.start_share(repo, policy, ON, revisions) is None
        monkeypatch.setattr(tuning, "SHARE_CLIENTS", len(revisions) + 1)
        assert derived.start_share(repo, policy, date(2026, 11, 23), revisions) is None


def test_the_apps_first_reading_with_the_helper_equals_one_without(tmp_path, monkeypatch):
    """tui.state.build_state starts the helper on a first start (early given) and stops it."""
    from tui.state import build_state

    book = make(tmp_path / "b")
    started = []
    start = derived.start_share
    monkeypatch.setattr(derived, "start_share", lambda *a: started.append(start(*a)) or started[-1])
    seen = []
    with open_book(book, readonly=True) as repo:
        state = build_state(repo, book, ON, save=False, early=lambda due, clients, policy: seen.append(due))
    assert len(started) == 1 and started[0]._proc.poll() is not None
    assert seen and seen[0].agenda == tuple(state.agenda) == scratch(book).agenda


def test_a_cache_folder_that_cannot_be_looked_at_starts_no_helper_and_stops_nothing(tmp_path, monkeypatch):
    book = make(tmp_path / "b")

    def unreadable(key):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(derived_state, "path_of", unreadable)
    with open_book(book, readonly=True) as repo:
        assert derived.start_share(repo, repo.policy(), ON, repo.client_revisions()) is None
