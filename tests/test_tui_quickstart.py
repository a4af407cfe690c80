"""The next days' queues saved between sessions (tui.quickstart) and the start they allow."""
from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest

from receivables.agenda import build_agenda
from receivables.ledger import index_book
from receivables.model import Activity
from receivables.policy import read_policy
from store import open_book, restore_backup
from tui import quickstart
from tui.app import create_app
from tui.screens.today import TodayScreen

from .tui_support import DAY, async_test, loaded, make_book, reopen, settle, text_of


@pytest.fixture
def demo(tmp_path):
    return make_book(tmp_path / "book")


def engine_queues(book_dir, days=quickstart.DAYS_AHEAD):
    book = reopen(book_dir)
    index = index_book(book)
    policy = read_policy(book_dir / "policy.toml")
    return {DAY + timedelta(days=k): build_agenda(index, policy, DAY + timedelta(days=k)) for k in range(days + 1)}


def test_saved_queues_read_back_exactly_as_the_engine_made_them(demo):
    queues = engine_queues(demo)
    assert any(queues.values()) and any(a.escalate or a.amount for q in queues.values() for a in q)
    stamp = quickstart.book_stamp(demo)
    quickstart.save(demo, stamp, queues)
    for day, q in queues.items():
        got = quickstart.load(demo, day)
        assert got == q  # every field, Decimals and dates included
        assert all(isinstance(a.amount, Decimal) and isinstance(a.invoices, tuple) for a in got)
    assert quickstart.load(demo, DAY + timedelta(days=quickstart.DAYS_AHEAD + 1)) is None  # not saved


def test_the_stamp_follows_commits_policy_edits_and_restores_but_not_checkpoints(demo):
    quickstart.save(demo, quickstart.book_stamp(demo), engine_queues(demo, days=0))
    assert quickstart.load(demo, DAY) is not None

    # a checkpoint rewrites book.json with the same content: still valid
    with open_book(demo, today=DAY) as repo:
        repo.checkpoint()
    assert quickstart.load(demo, DAY) is not None

    # a commit (here from another process's point of view: the CLI) makes it stale
    with open_book(demo, today=DAY) as repo:
        client = next(iter(repo.book().clients))
        repo.log_activity(Activity("", DAY, client, "phone", body="called"))
    assert quickstart.load(demo, DAY) is None
    quickstart.save(demo, quickstart.book_stamp(demo), engine_queues(demo, days=0))
    assert quickstart.load(demo, DAY) is not None

    # an edited policy too
    policy = demo / "policy.toml"
    original = policy.read_bytes()
    policy.write_bytes(original + b"\n# edited\n")
    assert quickstart.load(demo, DAY) is None
    policy.write_bytes(original)
    assert quickstart.load(demo, DAY) is not None

    # a restore brings back other content: it counts as a change of its own
    backups = sorted((demo / "backups").glob("book-*.json"))
    assert backups
    restore_backup(demo, backups[0].name, today=DAY)
    assert quickstart.load(demo, DAY) is None


def test_a_damaged_or_foreign_file_is_an_ordinary_start(demo):
    quickstart.save(demo, quickstart.book_stamp(demo), engine_queues(demo, days=0))
    path = quickstart.cache_path(demo)
    good = path.read_bytes()
    for bad in (good[: len(good) // 2], b"", b"[]", b'{"format": "dun-queues-0"}',
                good.replace(b'"d":"', b'"d":"x', 1)):
        path.write_bytes(bad)
        assert quickstart.load(demo, DAY) is None


@async_test
async def test_the_app_saves_the_queues_and_the_next_start_shows_them_before_the_book_is_read(demo, monkeypatch):
    # first start: no saved queues; once everything is worked out they are saved
    app = create_app(demo, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        await settle(app, pilot)
        engine_queue = list(app.state.agenda)
    assert quickstart.load(demo, DAY) == engine_queue
    assert quickstart.load(demo, DAY + timedelta(days=3)) == engine_queues(demo)[DAY + timedelta(days=3)]

    # next start: hold the book's reading back, as on a large book
    import tui.app as app_mod

    release = threading.Event()
    real_build = app_mod.build_state

    def slow_build(*args, **kwargs):
        release.wait(10)
        return real_build(*args, **kwargs)

    monkeypatch.setattr(app_mod, "build_state", slow_build)
    before = len(reopen(demo).activities)
    app = create_app(demo, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(100):
            await pilot.pause()
            if isinstance(app.screen, TodayScreen) and app.screen.queue:
                break
        screen = app.screen
        assert isinstance(screen, TodayScreen) and app.state is None
        assert screen.queue == engine_queue
        assert screen.query_one("#queue").row_count == len(engine_queue)
        assert "as soon as the book is read" in text_of(screen.query_one("#ctx-queue"))
        assert "reading" in text_of(screen.query_one("#today-head")).lower()
        # nothing is logged from the saved queue: the outcome waits for the book
        await pilot.press("s")
        await pilot.press("2")  # other screens wait too
        await pilot.pause()
        assert isinstance(app.screen, TodayScreen) and not screen.done
        assert len(reopen(demo).activities) == before

        release.set()
        await loaded(app, pilot)
        assert app.screen is screen and screen.queue == list(app.state.agenda) == engine_queue
        first = screen.current
        assert first.client in text_of(screen.query_one("#ctx-queue")) or first.client_name in text_of(
            screen.query_one("#ctx-queue"))
        await pilot.press("s")  # now it is logged
        await settle(app, pilot)
        assert screen.done
    assert len(reopen(demo).activities) == before + 1


@async_test
async def test_a_read_only_window_saves_nothing(demo):
    app = create_app(demo, on=DAY, read_only=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        await settle(app, pilot)
        assert app.state.complete
    assert not quickstart.cache_path(demo).exists()


@async_test
async def test_a_book_that_cannot_be_read_behind_the_saved_queue_says_so(demo):
    quickstart.save(demo, quickstart.book_stamp(demo), engine_queues(demo, days=0))
    raw = (demo / "book.json").read_bytes()
    lines = raw.split(b"\n")
    lines[2] = lines[2][: len(lines[2]) // 2]  # a damaged table; the meta line is intact
    (demo / "book.json").write_bytes(b"\n".join(lines))
    assert quickstart.load(demo, DAY) is not None  # the stamp cannot see it: the store does
    app = create_app(demo, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await settle(app, pilot)
        from tui.screens.loading import LoadingScreen

        assert isinstance(app.screen, LoadingScreen) and app.state is None
        assert "could not be opened" in text_of(app.screen.query_one("#loading-text"))
        assert app.load_error


def test_dun_prepare_saves_the_queues_and_changes_nothing_in_the_book(demo, capsys):
    from cli.main import main

    def files():
        return sorted((p.name, p.read_bytes()) for p in demo.iterdir() if p.is_file())

    before = files()
    assert main(["--book", str(demo), "prepare", "--on", DAY.isoformat()]) == 0
    assert "saved the Today queues" in capsys.readouterr().out
    assert files() == before  # book, journal, lock and policy as they were
    queues = engine_queues(demo)
    for day in (DAY, DAY + timedelta(days=quickstart.DAYS_AHEAD)):
        assert quickstart.load(demo, day) == queues[day]
    # a policy it cannot use: one line, exit 1, nothing saved over
    (demo / "policy.toml").write_text("[ladder\n")
    assert main(["--book", str(demo), "prepare", "--on", DAY.isoformat()]) == 1
    assert "not saved" in capsys.readouterr().err


def test_a_command_that_changes_a_book_used_in_the_app_refreshes_its_queues_in_the_background(demo, monkeypatch, capsys):
    import time
    from datetime import date

    from cli.main import main

    today = date.today()  # the background refresh is for the real today, as the app's start
    assert main(["--book", str(demo), "prepare", "--on", today.isoformat()]) == 0
    assert quickstart.load(demo, today) is not None
    monkeypatch.delenv(quickstart.BACKGROUND_ENV)
    client = next(iter(reopen(demo).clients))
    assert main(["--book", str(demo), "note", client, "rang", "--channel", "phone", "--on", today.isoformat()]) == 0
    assert quickstart.load(demo, today) is None  # stale at once...
    for _ in range(300):  # ...and current again once the background run is done
        time.sleep(0.1)
        if quickstart.load(demo, today) is not None:
            break
    assert quickstart.load(demo, today) is not None
    # a book the app was never used on gets no background run
    other = make_book(demo.parent / "other", clients=3, invoices=20)
    assert main(["--book", str(other), "note", next(iter(reopen(other).clients)), "rang",
                 "--on", today.isoformat()]) == 0
    time.sleep(0.5)
    assert not quickstart.cache_path(other).exists()


def test_quitting_the_app_with_changes_not_yet_worked_out_starts_the_background_refresh(demo, monkeypatch):
    import types

    import tui.app as app_mod

    calls = []
    monkeypatch.setattr(quickstart, "spawn_prepare", lambda path, on: calls.append((path, on)))

    def fake_app(read_only):
        return types.SimpleNamespace(run=lambda: None, load_error="", on=DAY,
                                     repo=types.SimpleNamespace(read_only=read_only))

    for read_only, current, expected in ((False, False, 1), (False, True, 0), (True, False, 0)):
        calls.clear()
        quickstart.cache_path(demo).unlink(missing_ok=True)
        if current:
            quickstart.save(demo, quickstart.book_stamp(demo), engine_queues(demo, days=0))
        monkeypatch.setattr(app_mod, "create_app", lambda *a, ro=read_only, **k: fake_app(ro))
        assert app_mod.run(demo, on=DAY) == 0
        assert len(calls) == expected and all(c == (demo, DAY) for c in calls)


def test_dun_prepare_on_a_folder_it_cannot_write_is_one_line(demo, capsys, monkeypatch):
    from cli.main import main

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(quickstart, "save", refuse)
    assert main(["--book", str(demo), "prepare", "--on", DAY.isoformat()]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "could not save the queues (Permission denied)" in err and "writable" in err


def test_the_background_refresh_never_runs_code_from_the_book_folder(demo, monkeypatch, tmp_path):
    """A received book folder can hold a ``cli`` package (or a ``.pth`` file): the background
    ``dun prepare`` must import dun's own ``cli.main``, never the book's."""
    marker = tmp_path / "ran"
    planted = f"open({str(marker)!r}, 'w').write('planted code ran')\n"
    (demo / "cli").mkdir()
    (demo / "cli" / "__init__.py").write_text(planted)
    (demo / "cli" / "main.py").write_text(planted)
    (demo / "evil.pth").write_text(f"import os; {planted}")
    monkeypatch.delenv(quickstart.BACKGROUND_ENV)
    proc = quickstart.spawn_prepare(demo, DAY)
    assert proc is not None
    assert proc.wait(timeout=120) == 0  # dun's own prepare ran to the end
    assert not marker.exists()
    assert quickstart.load(demo, DAY) is not None
