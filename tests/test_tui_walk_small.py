"""Issue 18, the smaller items: footers with the keys that matter, help and quit from the
publish dialog, the draft editor, a new invoice's due date, the Clients sort by overdue, and
the "Last activity" lines."""
from __future__ import annotations

from datetime import timedelta

import pytest
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from tui.app import create_app

from .tui_support import DAY, async_test, at_action, loaded, make_book, settle


@pytest.fixture
def demo(tmp_path):
    return make_book(tmp_path / "book", seed=1)


def shown_keys(app) -> dict[str, object]:
    """The footer keys a user sees whole: key -> region (cut-off ones are left out)."""
    footer = app.screen.query_one(Footer)
    width = app.size.width
    return {k.key_display: k.region for k in footer.query(FooterKey)
            if k.region.width and k.region.right <= width}


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
@async_test
async def test_today_footer_shows_the_keys_that_matter(demo, size):
    app = create_app(demo, on=DAY)
    async with app.run_test(size=size) as pilot:
        await loaded(app, pilot)
        for view in ("queue", "walk"):
            keys = shown_keys(app)
            for k in ("s", "c", "p", "d", "$", "z", "x", "e", "?", "q"):
                assert k in keys, (view, k, sorted(keys))
            if size[0] >= 120:
                assert "S" in keys
            await pilot.press("enter")
            await settle(app, pilot)


@async_test
async def test_footer_after_a_resize_fits_the_new_width(demo):
    app = create_app(demo, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        await pilot.resize_terminal(80, 24)
        await settle(app, pilot)
        footer = app.screen.query_one(Footer)
        keys = list(footer.query(FooterKey))
        assert keys and all(k.region.right <= 80 for k in keys)  # nothing left over past the edge
        assert "?" in shown_keys(app) and "q" in shown_keys(app)


@async_test
async def test_publish_dialog_lets_help_and_quit_through(demo):
    from tui.dialogs.publish import PublishDialog
    from tui.screens.help import HelpScreen

    app = create_app(demo, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        dialog = PublishDialog(pdf=False)
        app.push_screen(dialog)
        await settle(app, pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await settle(app, pilot)
        assert app.screen is dialog
        await pilot.press("q")
        await pilot.pause()
        assert app.return_code is not None  # the app is quitting


@async_test
async def test_draft_editor_says_it_is_editing_and_starts_at_the_body(demo):
    app = create_app(demo, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        screen = app.screen
        await at_action(app, pilot, lambda a: a.channel == "email" and a.kind == "step", walk=True)
        await pilot.press("e")
        await settle(app, pilot)
        draft = screen.query_one("#draft")
        assert draft.has_focus and draft.has_class("editing")
        assert "EDITING" in str(screen.query_one("#draft-label").content)
        lines = draft.text.split("\n")
        assert lines[0].startswith("Subject:")
        row, col = draft.cursor_location
        assert row > 0 and col == 0 and lines[row].strip() and not lines[row].startswith("Subject:")
        await pilot.press("escape")
        await settle(app, pilot)
        assert not draft.has_class("editing")
        assert "EDITING" not in str(screen.query_one("#draft-label").content)


@async_test
async def test_new_invoice_is_due_the_clients_terms_after_it_is_issued(demo):
    app = create_app(demo, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        await pilot.press("3")
        await settle(app, pilot)
        clients = app.state.book.clients
        cid = next(c for c in sorted(clients) if clients[c].terms_days != 30)
        await pilot.press("a")
        await settle(app, pilot)
        form = app.screen
        form.query_one("#in-client").value = cid
        await settle(app, pilot)
        form.query_one("#in-issued").value = "2026-11-02"
        await settle(app, pilot)
        due = form.query_one("#in-due").value
        from datetime import date

        assert due == (date(2026, 11, 2) + timedelta(days=clients[cid].terms_days)).isoformat()
        assert form.query_one("#in-currency").value == clients[cid].currency


@async_test
async def test_clients_by_overdue_keep_currencies_apart(tmp_path):
    book = make_book(tmp_path / "book", clients=40, invoices=600, seed=2)
    app = create_app(book, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        await pilot.press("2")
        await settle(app, pilot)
        screen = app.screen
        assert screen.sort == "overdue"
        for _ in range(2):
            rows = list(screen.query_one("#clients").rows)
            currencies = [r.currency for r in rows]
            assert len(set(currencies)) > 1
            runs = [c for n, c in enumerate(currencies) if n == 0 or currencies[n - 1] != c]
            assert len(runs) == len(set(currencies)), runs  # one block per currency
            assert runs[0] == app.state.policy.defaults.currency
            await pilot.press("O")  # reversed: still one block per currency
            await settle(app, pilot)


def test_last_activity_is_cut_at_a_word_with_an_ellipsis():
    from tui.widgets.context import shorten

    text = "Subject: Payment reminder for the invoices that are still outstanding on the account of the client"
    short = shorten(text, 80)
    assert len(short) <= 80 and short.endswith("…")
    assert text.startswith(short[:-1]) and text[len(short) - 1] == " "
    assert shorten("short", 80) == "short"


@async_test
async def test_the_footer_is_made_again_only_when_its_keys_change(demo, monkeypatch):
    """Textual's footer makes its keys again after every change of the screen's bindings
    (each focus change, each view): ours waits for the next refresh and makes them again only
    when what they show changed, and still follows the walk view's keys."""
    from tui.widgets.footer import DunFooter

    made = []
    real = DunFooter.compose

    def counting(self):
        made.append(type(self.screen).__name__)
        yield from real(self)

    monkeypatch.setattr(DunFooter, "compose", counting)
    app = create_app(demo, on=DAY)
    async with app.run_test(size=(200, 40)) as pilot:
        await loaded(app, pilot)
        await settle(app, pilot)
        assert made.count("TodayScreen") <= 2  # (the first, before the bindings are known; then once)
        assert "esc" not in shown_keys(app)
        before = len(made)
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.screen.view == "walk"
        assert "esc" in shown_keys(app)
        assert len(made) == before + 1
        await pilot.press("right_square_bracket")  # the next action: the same keys
        await settle(app, pilot)
        assert len(made) == before + 1


@async_test
async def test_text_typed_right_after_e_goes_into_the_draft_not_to_the_outcome_keys(demo):
    """"e" then "so sorry" typed at once (as in tmux): the keys after e reached the walk's
    bindings before e had moved the focus, so "s" logged the e-mail as sent, unedited, and
    the next "s" the next action as done. They are the draft's now, in order."""
    from .test_tui_flows import burst
    from .tui_support import reopen

    app = create_app(demo, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        screen = app.screen
        i = await at_action(app, pilot, lambda a: a.channel == "email" and a.kind == "step", walk=True)
        draft = screen.query_one("#draft")
        before = draft.text
        burst(app, "e", "so sorry", "enter", "Sam")
        await settle(app, pilot)
        assert screen.current is screen.queue[i] and i not in screen.done and not app.sender.busy
        assert draft.text != before and "so sorry\nSam" in draft.text
        assert draft.text.replace("so sorry\nSam", "", 1) == before  # nothing else changed
        await pilot.press("escape")  # editing ends; s now sends the draft as edited
        await settle(app, pilot)
        assert not draft.has_class("editing")
    assert not [a for a in reopen(demo).activities if a.date == DAY]
    assert not list((demo / "outbox").glob("*.eml"))
