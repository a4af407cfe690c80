"""The app left open past midnight moves to the new day: what is logged afterwards is dated
that day, its backup is taken before its first change, and Today shows that day's queue (the
same as an app opened on it). Not while a dialog is open, and never under ``--on``."""
from __future__ import annotations

from datetime import timedelta

import pytest

from receivables.engine import derive_client, fold, group_by_client
from store import open_book
from tui.app import create_app
from tui.screens.today import TodayScreen

from .tui_support import DAY, async_test, loaded, make_book, reopen, settle, text_of

NEXT = DAY + timedelta(days=1)


@pytest.fixture
def demo(tmp_path):
    return make_book(tmp_path / "book")


class Clock:
    def __init__(self, day):
        self.day = day

    def __call__(self):
        return self.day


def agenda_ids_on(path, day) -> list[str]:
    """The day's agenda derived from scratch from a fresh read of the book."""
    with open_book(path, readonly=True) as repo:
        book, policy = repo.book(), repo.policy()
    days = {cid: derive_client(g, policy, day, cid) for cid, g in group_by_client(book).items()}
    return [a.id for a in fold(days, day).agenda]


async def turned(app, pilot) -> None:
    """Wait for the state of the app's new day (worked out in a worker after the turn)."""
    for _ in range(50):
        await settle(app, pilot)
        if app.state.on == app.on and not app._reloading:
            break
    await settle(app, pilot)


@async_test
async def test_after_midnight_the_app_moves_to_the_new_day(demo):
    clock = Clock(DAY)
    app = create_app(demo, clock=clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        screen = app.screen
        assert isinstance(screen, TodayScreen) and app.on == DAY
        await pilot.press("x")  # one action handled on the first day
        await settle(app, pilot)
        assert screen.done
        app.check_day()  # (the app looks every DAY_CHECK_EVERY seconds)
        await settle(app, pilot)
        assert app.on == DAY  # the clock has not moved
        clock.day = NEXT
        app.check_day()
        await turned(app, pilot)
        assert app.on == NEXT and app.state.on == NEXT
        assert "on 2026-11-24" in app.sub_title
        assert "Tue 24 Nov 2026" in text_of(screen.query_one("#today-head"))
        assert not screen.done and screen.pos == 0
        assert [a.id for a in screen.queue] == [a.id for a in app.state.agenda]
        assert [a.id for a in screen.queue] == agenda_ids_on(demo, NEXT)
        await pilot.press("x")  # the new day's first action
        await settle(app, pilot)
    book = reopen(demo)
    skipped = [a for a in book.activities if a.outcome == "skipped"]
    assert [a.date for a in skipped] == [DAY, NEXT]
    assert (demo / "backups" / f"book-{NEXT.isoformat()}.json").is_file()


@async_test
async def test_the_day_waits_for_an_open_dialog(demo):
    clock = Clock(DAY)
    app = create_app(demo, clock=clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        await pilot.press("n")  # a note, begun before midnight
        await settle(app, pilot)
        clock.day = NEXT
        app.check_day()
        await settle(app, pilot)
        assert app.on == DAY
        await pilot.press("escape")
        await settle(app, pilot)
        app.check_day()
        await turned(app, pilot)
        assert app.on == NEXT and app.state.on == NEXT


@async_test
async def test_an_app_opened_on_a_given_date_stays_on_it(demo):
    app = create_app(demo, on=DAY, clock=lambda: NEXT)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        app.check_day()
        await settle(app, pilot)
        assert app.on == DAY and app.state.on == DAY
