"""The app and the derived state: a live Today queue, an at-once start, no CLI behind its back."""
from __future__ import annotations

import subprocess
import threading
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

import derived
from receivables.ledger import propose_allocation
from receivables.model import Invoice, Payment
from store import open_book
from tui.app import create_app
from tui.screens.today import TodayScreen

from .tui_support import DAY, async_test, loaded, make_book, settle, text_of

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def demo(tmp_path):
    return make_book(tmp_path / "book", seed=1)  # (a day with ladder steps to do)


async def changed(app, pilot, write) -> None:
    """A change made through the app's repository, then the app's own reload (tui.actions)."""
    write(app.repo)
    app.reload()
    for _ in range(50):
        await settle(app, pilot)
        if not app._reloading:
            break
    await settle(app, pilot)


@async_test
async def test_the_today_queue_the_panel_and_the_count_follow_a_payment_and_a_new_invoice(demo):
    app = create_app(demo, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        screen = app.screen
        assert isinstance(screen, TodayScreen)
        first = app.state
        a = next(x for x in screen.queue if x.kind == "step" and x.invoices)
        total = len(screen.queue)
        screen.query_one("#queue").move_to(screen.queue.index(a))
        await settle(app, pilot)
        assert f"0 of {total} done" in text_of(screen.query_one("#today-head"))

        def pay(repo):  # everything the action covers, paid in full
            ledger = app.state.ledger_for(a.client)
            allocs, _ = propose_allocation(ledger, a.client, a.currency, a.amount, list(a.invoices))
            repo.record_payment(Payment("", DAY, a.client, a.amount, a.currency, "bank", "in full", allocs))

        await changed(app, pilot, pay)
        assert app.state is not first and app.state.derived.worked_out == {a.client}
        assert a.id not in [x.id for x in app.state.agenda] and a.id not in [x.id for x in screen.queue]
        assert len(screen.queue) < total
        assert f"0 of {len(screen.queue)} done" in text_of(screen.query_one("#today-head"))
        status = app.state.status(a.client)
        assert not any(n in status.handed_over for n in a.invoices)

        quiet = next(c for c in sorted(app.state.book.clients) if not any(x.client == c for x in screen.queue))
        currency = app.state.book.clients[quiet].currency

        def invoice(repo):  # long overdue: the ladder's steps are due at once
            repo.add_invoice(Invoice("INV-LIVE-1", quiet, DAY - timedelta(days=90), DAY - timedelta(days=60),
                                     currency, Decimal("4321.00")))

        await changed(app, pilot, invoice)
        assert app.state.derived.worked_out == {quiet}
        new = [x for x in screen.queue if x.client == quiet]
        assert new and "INV-LIVE-1" in new[0].invoices
        screen.query_one("#queue").move_to(screen.queue.index(new[0]))
        await settle(app, pilot)
        assert "INV-LIVE-1" in text_of(screen.query_one("#ctx-queue"))  # the client panel shows it


@async_test
async def test_the_next_start_shows_today_from_the_kept_state_before_the_book_is_read(demo, monkeypatch):
    app = create_app(demo, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        queue = [a.id for a in app.state.agenda]
        app.save_derived(app.state)

    import tui.app as app_mod

    release = threading.Event()
    real_build = app_mod.build_state

    def slow_build(*args, **kwargs):
        release.wait(10)
        return real_build(*args, **kwargs)

    monkeypatch.setattr(app_mod, "build_state", slow_build)
    app = create_app(demo, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(600):  # up to 30 s on a busy machine; the build waits for release meanwhile
            await pilot.pause(0.05)
            if isinstance(app.screen, TodayScreen) and app.screen.queue:
                break
        screen = app.screen
        assert isinstance(screen, TodayScreen) and app.state is None
        assert [a.id for a in screen.queue] == queue
        assert "reading the book" in text_of(screen.query_one("#today-head"))
        # the drafts are there before the book is read: made from the contexts kept with each day
        early = [screen._draft(k) for k in range(len(screen.queue))]
        assert all(not t.startswith("(") for t in early), early[:3]
        release.set()
        await loaded(app, pilot)
        assert app.state.derived.worked_out == frozenset()  # every client's day came from the kept state
        screen.drafts.clear()
        assert [screen._draft(k) for k in range(len(screen.queue))] == early  # the same drafts from the book


@async_test
async def test_the_kept_queue_counts_what_is_left_to_do_as_the_book_will(demo, monkeypatch):
    """Before the book is read, what was handled today is not known: the head says how many
    actions are left to do (not "0 of n done", which jumped to "1 of n + 1" a moment later),
    the same number the head gives once the book is read."""
    app = create_app(demo, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        await pilot.press("x")  # skipped: handled, not done
        await settle(app, pilot)
        await pilot.press("s")  # sent / done
        await settle(app, pilot)
        app.save_derived(app.state)

    import tui.app as app_mod

    release = threading.Event()
    real_build = app_mod.build_state

    def slow_build(*args, **kwargs):
        release.wait(10)
        return real_build(*args, **kwargs)

    monkeypatch.setattr(app_mod, "build_state", slow_build)
    app = create_app(demo, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(600):
            await pilot.pause(0.05)
            if isinstance(app.screen, TodayScreen) and app.screen.queue:
                break
        screen = app.screen
        assert isinstance(screen, TodayScreen) and app.state is None
        before = text_of(screen.query_one("#today-head"))
        left = len(screen.queue)
        assert f"{left} to do" in before and " done" not in before, before
        release.set()
        await loaded(app, pilot)
        after = text_of(screen.query_one("#today-head"))
        # one done and one skipped earlier today: the same number left to do
        assert f"1 of {left + 2} done" in after and "1 skipped" in after, after


@async_test
async def test_a_first_start_shows_today_from_what_is_due_before_the_rest_of_the_day(demo, monkeypatch):
    """With no derived file (a first start, a new day) the queue and its drafts are on screen
    once what is due is known, while every client's share of the report is still worked out."""
    import derived.state as derived_state

    monkeypatch.setattr(derived_state, "FEW_CLIENTS", 2)
    release = threading.Event()
    finish = derived_state.finish_client

    def slow_finish(*args):
        release.wait(10)
        return finish(*args)

    monkeypatch.setattr(derived_state, "finish_client", slow_finish)
    app = create_app(demo, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(600):  # up to 30 s on a busy machine; the rest of the day waits meanwhile
            await pilot.pause(0.05)
            if isinstance(app.screen, TodayScreen) and app.screen.queue:
                break
        screen = app.screen
        assert isinstance(screen, TodayScreen) and app.state is None
        queue = [a.id for a in screen.queue]
        early = [screen._draft(k) for k in range(len(screen.queue))]
        assert queue and all(not t.startswith("(") for t in early), early[:3]
        release.set()
        await loaded(app, pilot)
        assert [a.id for a in app.state.agenda] == queue
        assert app.state.derived.worked_out == set(app.state.derived.days)
        screen.drafts.clear()
        assert [screen._draft(k) for k in range(len(screen.queue))] == early  # the same drafts from the book


@async_test
async def test_a_first_start_shows_today_before_it_writes_the_derived_file(demo):
    """The file is written in the first quiet moment or at quit (what the owner waits for at a
    first start is Today, not the file for the next one)."""
    app = create_app(demo, on=DAY)
    seen = []
    shown = app._loaded

    def loaded_state(state, first=False):  # the first state reaches the screens
        seen.append((first, derived.state.path_of(state.derived.key).exists()))
        shown(state, first)

    app._loaded = loaded_state
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        app.save_derived(app.state)  # (as the app does at quit, tui.app.run, if no quiet moment came)
        assert derived.state.path_of(app.state.derived.key).exists()
    assert seen[0] == (True, False)
    with open_book(demo, readonly=True) as repo:
        kept = derived.kept(repo, repo.policy(), DAY)
    assert kept is not None and [a.id for a in kept.agenda] == [a.id for a in app.state.agenda]


@async_test
async def test_a_hand_edited_book_is_an_ordinary_start(demo):
    app = create_app(demo, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        app.save_derived(app.state)

    with open_book(demo, today=DAY) as repo:
        repo.checkpoint()
    raw = (demo / "book.json").read_bytes()
    (demo / "book.json").write_bytes(raw.replace(b'"terms_days":30', b'"terms_days":31', 1))
    with open_book(demo, readonly=True) as repo:
        assert derived.kept(repo, repo.policy(), DAY) is None


def test_the_app_never_starts_the_cli(demo, monkeypatch, tmp_path):
    """No subprocess runs from the app (a received book folder with a cli/ package or a .pth
    file in it must never run): neither while it works nor when it quits with changes."""
    import tui.app as app_mod

    marker = tmp_path / "ran"
    planted = f"open({str(marker)!r}, 'w').write('planted code ran')\n"
    (demo / "cli").mkdir()
    (demo / "cli" / "__init__.py").write_text(planted)
    (demo / "cli" / "main.py").write_text(planted)
    (demo / "evil.pth").write_text(f"import os; {planted}")

    started = []
    monkeypatch.setattr(subprocess, "Popen", lambda *a, **k: started.append(a) or pytest.fail("a subprocess"))

    class Quick(app_mod.DunApp):
        async def on_mount(self) -> None:
            super().on_mount()
            self.set_timer(0.1, self._write_then_quit)

        def _write_then_quit(self) -> None:
            if self.state is None:
                self.set_timer(0.1, self._write_then_quit)
                return
            from receivables.model import Activity

            self.repo.log_activity(Activity("", DAY, next(iter(self.state.book.clients)), "phone", body="x"))
            self.exit(0)

    monkeypatch.setattr(app_mod, "create_app", lambda *a, **k: Quick(Path(a[0]), on=k.get("on")))
    app_mod.run(demo, on=DAY)
    assert started == [] and not marker.exists()
    sources = "\n".join(p.read_text() for p in (ROOT / "tui").rglob("*.py"))
    assert "subprocess" not in sources and "cli.main" not in sources


def test_dun_prepare_keeps_the_days_state_and_changes_nothing_in_the_book(demo, capsys):
    from cli.main import main

    before = {p.name: p.read_bytes() for p in demo.iterdir() if p.is_file() and p.name != ".lock"}
    assert main(["--book", str(demo), "--on", DAY.isoformat(), "prepare"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("worked out 20 of 20 clients")
    assert main(["--book", str(demo), "--on", DAY.isoformat(), "prepare"]) == 0
    assert capsys.readouterr().out.startswith("worked out 0 of 20 clients")
    after = {p.name: p.read_bytes() for p in demo.iterdir() if p.is_file() and p.name != ".lock"}
    assert after == before and not (demo / ".cache").exists()


@async_test
async def test_the_apps_first_quiet_moment_keeps_each_clients_records_for_the_next_command(demo):
    """In the app's first quiet moment the store keeps every client's records grouped by client
    (in the user's cache folder, never the book's), so a command run after the app (dun pay)
    reads its client without parsing the tables."""
    from store import open_book

    with open_book(demo, readonly=True) as repo:
        assert not repo.client_docs_usable()
    app = create_app(demo, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        assert app._session_prepared
    with open_book(demo, readonly=True) as repo:
        assert repo.client_docs_usable()
        cid = sorted(repo.clients())[0]
        assert repo.client_book(cid) == repo.book().only(cid)
    assert not (demo / ".cache").exists()


@async_test
async def test_in_quiet_moments_the_app_works_out_the_days_ahead_for_the_next_start(tmp_path, monkeypatch):
    """The morning's first start is a new day: without the days ahead, every client is worked
    out again. The app following the clock works out, in quiet moments, the next day and the
    next business day (after a Friday: Saturday and Monday), and again after a change for the
    clients it touched: a start on either day reads every client's day from its file,
    equal to a derivation from scratch."""
    from .test_derived import scratch

    friday = DAY + timedelta(days=4)
    book = make_book(tmp_path / "book", on=friday)
    ahead = [friday + timedelta(days=1), friday + timedelta(days=3)]
    app = create_app(book, on=friday)
    app.prepares_ahead = True  # (as when no --on is given: the app follows the clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        for _ in range(200):
            await settle(app, pilot)
            if sorted(day for day, _ in app._ahead) == ahead:
                break
        assert sorted(day for day, _ in app._ahead) == ahead
        a = next(x for x in app.state.agenda if x.kind == "step" and x.invoices)

        def pay(repo):
            ledger = app.state.ledger_for(a.client)
            allocs, _ = propose_allocation(ledger, a.client, a.currency, a.amount, list(a.invoices))
            repo.record_payment(Payment("", friday, a.client, a.amount, a.currency, "bank", "in full", allocs))

        worked = []
        real = derived.state.derive_clients
        monkeypatch.setattr(derived.state, "derive_clients", lambda *x, **k: worked.append(x[3]) or real(*x, **k))
        await changed(app, pilot, pay)
        for _ in range(200):
            await settle(app, pilot)
            if all(revs == app.state.derived.revisions for revs in app._ahead.values()):
                break
        assert worked == [[a.client]] * 3  # for the day, then for each day ahead: the payer alone
        # an edited policy: the days ahead are worked out again under it
        policy = book / "policy.toml"
        policy.write_text(policy.read_text().replace('tolerance = "5.00"', 'tolerance = "7.00"', 1))
        await changed(app, pilot, lambda repo: None)
        new_rules = derived.policy_digest(app.state.policy)
        for _ in range(200):
            await settle(app, pilot)
            if sorted(day for day, rules in app._ahead if rules == new_rules) == ahead:
                break
        assert sorted(day for day, rules in app._ahead if rules == new_rules) == ahead
    for day in ahead:
        with open_book(book, readonly=True) as repo:
            got = derived.current(repo, repo.policy(), day)
        assert got.worked_out == frozenset()  # every client's day was in the file
        assert got.book_day == scratch(book, day)


@async_test
async def test_an_app_on_a_given_date_works_nothing_out_ahead(demo):
    app = create_app(demo, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        app.save_derived(app.state)
        await settle(app, pilot)
        assert app._ahead == {}
    assert [p.name[4:14] for p in derived.cache_root().rglob("day-*.json")] == [DAY.isoformat()]
