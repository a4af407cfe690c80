"""The app shell: read-only when another process writes, keymap, palette, themes, screens."""
from __future__ import annotations

import pytest

from tui.app import create_app
from tui.commands import DunCommands

from .tui_support import DAY, async_test, loaded, make_book, make_empty_book, reopen, settle, text_of


@pytest.fixture
def demo(tmp_path):
    return make_book(tmp_path / "book")


@async_test
async def test_second_instance_opens_read_only_and_refuses_writes(demo):
    from store import open_book

    writer = open_book(demo, today=DAY)  # another dun holds the write lock
    try:
        before = reopen(demo)
        app = create_app(demo, on=DAY)
        async with app.run_test(size=(120, 40)) as pilot:
            await loaded(app, pilot)
            assert app.repo.read_only
            assert "READ-ONLY" in app.sub_title and "open for writing by" in app.sub_title
            assert "try again" not in app.sub_title and "--read-only" not in app.sub_title  # (it is read-only)
            await pilot.press("x")  # skip: refused
            await settle(app, pilot)
            assert not app.screen.done
            assert any("read-only" in n.message for n in app._notifications)
            await pilot.press("2", "a")  # add a client: refused before the form opens
            await settle(app, pilot)
            assert type(app.screen).__name__ == "ClientsScreen"
            await pilot.press("n")  # the note form opens, but saving is refused and the text kept
            await settle(app, pilot)
            form = app.screen
            form.query_one("#note-body").focus()
            await pilot.press(*"keep me")
            await pilot.press("ctrl+s")
            await settle(app, pilot)
            assert app.screen is form
            assert "read-only" in text_of(form.query_one("#form-error"))
            assert form.query_one("#note-body").text == "keep me"
        assert reopen(demo) == before
    finally:
        writer.close()


@async_test
async def test_read_only_flag(demo):
    app = create_app(demo, on=DAY, read_only=True)
    async with app.run_test() as pilot:
        await loaded(app, pilot)
        assert app.repo.read_only and "READ-ONLY" in app.sub_title


@async_test
async def test_missing_book_says_how_to_start(tmp_path):
    app = create_app(tmp_path / "nowhere", on=DAY)
    async with app.run_test() as pilot:
        for _ in range(20):
            await settle(app, pilot)
            if app.load_error:
                break
        assert app.load_error
        text = text_of(app.screen.query_one("#loading-text"))
        assert "could not be opened" in text and "demo" in text


@async_test
async def test_a_book_that_cannot_be_read_points_to_check_and_restore_not_init(demo):
    """A damaged record is not a missing book: the owner is sent to 'dun check' and to the
    backups, never told to 'init' or 'demo' over the book."""
    import orjson

    path = demo / "book.json"
    data = orjson.loads(path.read_bytes())
    first = next(iter(data["invoices"]))
    data["invoices"][first]["amount"] = "1e400"
    path.write_bytes(orjson.dumps(data))
    for journal in demo.glob("book.journal*"):
        journal.unlink()
    app = create_app(demo, on=DAY)
    async with app.run_test() as pilot:
        for _ in range(40):
            await settle(app, pilot)
            if app.load_error:
                break
        assert "1e400" in app.load_error
        text = text_of(app.screen.query_one("#loading-text"))
        assert "could not be opened" in text and " check" in text and " restore" in text
        assert " init" not in text and " demo" not in text


@async_test
async def test_keymap_file_moves_a_key(demo, config_home):
    (config_home / "keymap.toml").write_text('[keys]\n"outcome.skip" = "k"\n', encoding="utf-8")
    app = create_app(demo, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        first = app.screen.current
        await pilot.press("x")  # no longer skip
        await settle(app, pilot)
        assert not app.screen.done
        await pilot.press("k")
        await settle(app, pilot)
        assert app.screen.done == {0: "skipped"}
    acts = [a for a in reopen(demo).activities if a.date == DAY and a.outcome == "skipped"]
    assert len(acts) == 1 and acts[0].client == first.client


@async_test
async def test_bad_keymap_is_reported_not_fatal(demo, config_home):
    (config_home / "keymap.toml").write_text('[keys]\n"outcome.skip" = 3\n', encoding="utf-8")
    app = create_app(demo, on=DAY)
    async with app.run_test() as pilot:
        await loaded(app, pilot)
        assert app.keymap_problems and "outcome.skip" in app.keymap_problems[0].where


@async_test
async def test_a_keymap_in_the_book_folder_moves_no_key(demo, config_home):
    """A book folder from someone else cannot bind the owner's keys: its keymap.toml (here one
    that makes the arrow keys log "sent") is not read, and the owner is told where theirs goes."""
    (demo / "keymap.toml").write_text('[keys]\n"outcome.sent" = "down,up,j"\n', encoding="utf-8")
    app = create_app(demo, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        screen = app.screen
        await pilot.press("down", "down", "up")
        await settle(app, pilot)
        assert not screen.done and screen.pos == 1
        [problem] = app.keymap_problems
        assert problem.where == str(demo / "keymap.toml") and str(config_home / "keymap.toml") in problem.hint
    assert not [a for a in reopen(demo).activities if a.date == DAY]


@async_test
async def test_palette_lists_every_action_of_the_screen(demo):
    app = create_app(demo, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        provider = DunCommands(app.screen)
        titles = [t for t, _, _ in provider._all()]
        for want in ("Go to Clients", "Add a note", "Record a payment", "Toggle dark/light theme",
                     "Outcome: sent / done", "Outcome: called…", "Outcome: promise to pay…", "Outcome: dispute…",
                     "Outcome: payment received…", "Outcome: snooze…", "Outcome: skip"):
            assert want in titles
        # every bound key of the Today screen is reachable from the palette too
        assert len([t for t in titles if t.startswith("Outcome:")]) == 7
        await pilot.press("ctrl+p")
        await settle(app, pilot)
        await pilot.press(*"go to invoices", "enter")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "InvoicesScreen"


@async_test
async def test_theme_toggle_and_help(demo):
    app = create_app(demo, on=DAY)
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(app, pilot)
        assert app.theme == "textual-dark"
        await pilot.press("ctrl+t")
        assert app.theme == "textual-light"
        await pilot.press("question_mark")
        await settle(app, pilot)
        text = text_of(app.screen.query_one("#help-keys"))
        assert "outcome.sent" in text and "nav.clients" in text
        # the keys of the forms and of the call dialog, said in full (they were not listed)
        assert "form.save" in text and "form.cancel" in text and "form.tab" in text
        assert "Voicemail (after the note)" in text and "Wrong number (after the note)" in text
        assert "Put the action off until a later date" in text
        await pilot.press("escape")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "TodayScreen"


@async_test
async def test_policy_screen_shows_ladder_and_problems(demo):
    app = create_app(demo, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        await pilot.press("5")
        await settle(app, pilot)
        text = text_of(app.screen.query_one("#policy"))
        for step in app.state.policy.steps:
            assert step.id in text
        assert "uk-late-payment" in text
    # a broken policy: the app still opens, the agenda is off, the problem is named
    (demo / "policy.toml").write_text((demo / "policy.toml").read_text() + '\n[ladder2]\nx = 1\n', encoding="utf-8")
    app = create_app(demo, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        assert app.state.policy is None
        await settle(app, pilot)
        assert "policy has problems" in text_of(app.screen.query_one("#placeholder"))
        await pilot.press("5")
        await settle(app, pilot)
        text = text_of(app.screen.query_one("#policy"))
        assert "ladder2" in text and "unknown" in text


@async_test
async def test_empty_book_opens_with_nothing_to_do(tmp_path):
    book = make_empty_book(tmp_path / "book")
    app = create_app(book, on=DAY)
    async with app.run_test() as pilot:
        await loaded(app, pilot)
        assert app.screen.view == "summary"
        await pilot.press("e")  # no draft: the hidden draft took the focus, and every key after it
        await settle(app, pilot)
        assert app.focused is None or app.focused.id != "draft"
        await pilot.press("2")
        await settle(app, pilot)
        assert app.screen.query_one("#clients").row_count == 0
        await pilot.press("4")
        await settle(app, pilot)
        await pilot.press("3")
        await settle(app, pilot)
        assert app.screen.query_one("#invoices").row_count == 0


@async_test
async def test_an_empty_book_says_how_to_begin_and_a_client_needs_only_a_name(tmp_path):
    from .test_tui_flows import burst

    book = make_empty_book(tmp_path / "book")
    app = create_app(book, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        summary = text_of(app.screen.query_one("#summary"))
        assert "This book is empty" in summary and "policy.toml" in summary
        assert "Done today" not in summary
        await pilot.press("3")
        await settle(app, pilot)
        assert app.screen.query_one("#invoices").empty.startswith("No invoices yet. a adds one")
        await pilot.press("2")
        await settle(app, pilot)
        table = app.screen.query_one("#clients")
        assert table.empty.startswith("No clients yet. a adds one")
        for _ in range(2):  # the name alone: the id is made from it, unique in the book
            await pilot.press("a")
            await settle(app, pilot)
            form = app.screen
            assert form.focused is form.query_one("#in-name")
            burst(app, "Acme Widgets Ltd")
            await settle(app, pilot)
            assert form.query_one("#in-id").placeholder == ("acme-widgets" if table.row_count == 0
                                                            else "acme-widgets-2")
            burst(app, "ctrl+s")
            await settle(app, pilot)
            assert app.screen is not form
        await pilot.press("slash", *"zzz")
        await settle(app, pilot)
        assert table.row_count == 0 and table.empty == "No client's name or id contains 'zzz'. escape clears the search."
    assert sorted(reopen(book).clients) == ["acme-widgets", "acme-widgets-2"]


@async_test
async def test_mouse_sorts_by_header_and_opens_a_row(demo):
    app = create_app(demo, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        await pilot.press("2")
        await settle(app, pilot)
        screen = app.screen
        table = screen.query_one("#clients")
        x = sum(w + 1 for w in table._widths()[:2]) + 2  # inside the Balance header
        await pilot.click("#clients", offset=(x, 0))
        await settle(app, pilot)
        assert screen.sort == "balance"
        await pilot.click("#clients", offset=(5, 3))  # the third row
        await settle(app, pilot)
        assert table.cursor_row == 2
        target = table.current.client.id
        await pilot.double_click("#clients", offset=(5, 3))
        await settle(app, pilot)
        assert type(app.screen).__name__ == "ClientDetailScreen" and app.screen.client_id == target


def test_run_refuses_a_missing_book_on_the_command_line(tmp_path):
    from receivables.errors import DunError
    from tui.app import run

    with pytest.raises(DunError, match="no book"):
        run(tmp_path / "nothing-here")


@async_test
async def test_publish_runs_in_a_worker_with_progress(tmp_path):
    book = make_book(tmp_path / "book", clients=4, invoices=30)
    app = create_app(book, on=DAY)
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(app, pilot)
        await pilot.press("P")
        await settle(app, pilot)
        dialog = app.screen
        assert type(dialog).__name__ == "PublishDialog"
        dialog.pdf = False
        await pilot.press("P")  # one publish at a time
        await settle(app, pilot)
        assert app.screen is dialog and sum(type(s).__name__ == "PublishDialog" for s in app.screen_stack) == 1
        for _ in range(600):
            await settle(app, pilot)
            if dialog.done:
                break
        text = text_of(dialog.query_one("#publish-result"))
        assert "Done in" in text, text
        # a new book's policy still names the template's example company: said here too
        assert "warning: policy.toml [company] is still the example (Northwind Studio Ltd" in text
        assert dialog.query_one("#publish-bar").progress > 0
    assert (book / "site" / "index.html").is_file()


@async_test
async def test_a_book_with_a_site_is_readied_for_its_next_publish(tmp_path):
    """The owner publishes (the book has a site): in its first quiet moment the app starts the
    PDF workers (publish.warm), kept for its publishes; the workers stop when the app quits.
    A book without a site gets none."""
    from publish import pdf as pdf_mod
    from publish.site import publish
    from receivables.policy import read_policy
    from store import open_book

    book = make_book(tmp_path / "book", clients=4, invoices=30)
    app = create_app(book, on=DAY)
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(app, pilot)
        assert app._session_prepared
        assert not pdf_mod._KEPT
    repo = open_book(book, today=DAY)
    try:
        publish(repo, read_policy(book / "policy.toml"), DAY, pdf=False)
    finally:
        repo.close()
    app = create_app(book, on=DAY)
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(app, pilot)
        assert app._session_prepared
        workers = pdf_mod.PdfQueue().workers  # one core: the PDFs render in the building process
        assert list(pdf_mod._KEPT) == ([(app.state.policy.publish.paper, workers)] if workers > 1 else [])
    assert not pdf_mod._KEPT


@async_test
async def test_each_screen_shows_a_new_state_once(demo):
    """A screen follows the state through one subscription: a change redraws it once (Textual
    runs every class's on_mount, so a subclass that also called the base's subscribed twice
    and redrew every screen twice after each change)."""
    shown: list[str] = []
    app = create_app(demo, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        screens = []
        for key in ("2", "3", "1"):
            await pilot.press(key)
            await settle(app, pilot)
            screens.append(app.screen)
        for screen in screens:
            real = screen.show

            def counted(state, real=real, name=type(screen).__name__):
                shown.append(name)
                return real(state)

            screen.show = counted
        app.state_changed.publish(app.state)
        await settle(app, pilot)
    assert sorted(shown) == sorted(type(s).__name__ for s in screens), shown


@async_test
async def test_help_on_the_clients_screen_lists_a_key_once(demo):
    """v was listed twice ("v Void client.void", "v Void client.void_where"); and I (import) is listed."""
    from .test_tui_flows import open_client

    app = create_app(demo, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        await open_client(app, pilot, sorted(app.state.book.clients)[0])
        await pilot.press("question_mark")
        await settle(app, pilot)
        lines = text_of(app.screen.query_one("#help-keys")).splitlines()
        voids = [ln for ln in lines if "client.void" in ln]
        assert len(voids) == 1 and "client.void, client.void_where" in voids[0]
        assert any("app.import" in ln for ln in lines)
