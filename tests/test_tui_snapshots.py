"""Snapshots of every screen at 80x24 and 120x40 (pytest-textual-snapshot).

The book is a deterministic demo book and "today" is fixed, so nothing volatile shows.
After an intended change of the screens: pytest tests/test_tui_snapshots.py --snapshot-update
"""
from __future__ import annotations

import pytest

from tui.app import create_app

from .tui_support import DAY, loaded, make_book, make_empty_book, settle

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]


@pytest.fixture(scope="module")
def snap_book(tmp_path_factory):
    return make_book(tmp_path_factory.mktemp("snap") / "book")


def shot(snap_compare, book, size, *keys, then=None):
    app = create_app(book, on=DAY, read_only=True)  # the book stays as it was for every snapshot

    async def before(pilot):
        await loaded(app, pilot)
        for _ in range(50):  # the whole ledger (Clients, Invoices) is ready
            if app.state.complete:
                break
            await settle(app, pilot)
        for key in keys:
            await pilot.press(key)
            await settle(app, pilot)
        if then is not None:
            await then(app, pilot)
            await settle(app, pilot)

    return snap_compare(app, terminal_size=size, run_before=before)


@pytest.mark.parametrize("size", SIZES)
def test_today_queue(snap_compare, snap_book, size):
    assert shot(snap_compare, snap_book, size)


@pytest.mark.parametrize("size", SIZES)
def test_today_walk_through(snap_compare, snap_book, size):
    async def first_email(app, pilot):  # (this book's day has none: the dispute review, whose notes are drafted)
        screen = app.screen
        i = next(i for i, a in enumerate(screen.queue) if a.channel == "email" or a.kind == "dispute")
        screen.query_one("#queue").move_to(i)
        await pilot.press("enter")

    assert shot(snap_compare, snap_book, size, then=first_email)


@pytest.mark.parametrize("size", SIZES)
def test_today_summary(snap_compare, snap_book, size):
    assert shot(snap_compare, snap_book, size, "u")


@pytest.mark.parametrize("size", SIZES)
def test_clients(snap_compare, snap_book, size):
    assert shot(snap_compare, snap_book, size, "2")


@pytest.mark.parametrize("size", SIZES)
def test_client_detail(snap_compare, snap_book, size):
    assert shot(snap_compare, snap_book, size, "2", "enter")


@pytest.mark.parametrize("size", SIZES)
def test_client_timeline(snap_compare, snap_book, size):
    async def timeline(app, pilot):
        app.screen.query_one("#client-tabs").active = "tab-timeline"

    assert shot(snap_compare, snap_book, size, "2", "enter", then=timeline)


@pytest.mark.parametrize("size", SIZES)
def test_invoices(snap_compare, snap_book, size):
    assert shot(snap_compare, snap_book, size, "3")


@pytest.mark.parametrize("size", SIZES)
def test_reports(snap_compare, snap_book, size):
    async def wait_report(app, pilot):
        for _ in range(100):
            if getattr(app.screen, "report", None) is not None or "not" in str(app.screen.query_one("#report").content):
                break
            await settle(app, pilot)

    assert shot(snap_compare, snap_book, size, "4", then=wait_report)


@pytest.mark.parametrize("size", SIZES)
def test_policy(snap_compare, snap_book, size):
    assert shot(snap_compare, snap_book, size, "5")


@pytest.mark.parametrize("size", SIZES)
def test_help(snap_compare, snap_book, size):
    assert shot(snap_compare, snap_book, size, "question_mark")


@pytest.mark.parametrize("size", SIZES)
def test_payment_form(snap_compare, snap_book, size):
    async def amount(app, pilot):
        app.screen.query_one("#in-amount").value = "1500.00"

    assert shot(snap_compare, snap_book, size, "2", "dollar_sign", then=amount)


@pytest.mark.parametrize("size", SIZES)
def test_note_form(snap_compare, snap_book, size):
    async def body(app, pilot):
        app.screen.query_one("#note-body").load_text("Spoke to **Liam**: pays *Friday*.\n\n- INV ok")

    assert shot(snap_compare, snap_book, size, "2", "n", then=body)


@pytest.mark.parametrize("size", SIZES)
def test_empty_book(snap_compare, tmp_path, size):
    assert shot(snap_compare, make_empty_book(tmp_path / "book"), size)


def test_today_queue_light_theme(snap_compare, snap_book):
    async def light(app, pilot):
        await pilot.press("ctrl+t")

    assert shot(snap_compare, snap_book, (120, 40), then=light)


def test_clients_light_theme(snap_compare, snap_book):
    async def light(app, pilot):
        await pilot.press("ctrl+t")

    assert shot(snap_compare, snap_book, (80, 24), "2", then=light)
