"""Issue 16 item 10 (first half): control characters from the book never reach the terminal
raw. A client name with an escape sequence, a carriage return, a C1 control or a bidi
override is printed with those characters shown as \\uXXXX; JSON stays exact."""
from __future__ import annotations

import json
import re

import pytest

from cli.terminal import clean

from .hostile_support import ON, make_book, run

ESC_NAME = "Evil \x1b]0;pwned\x07\x1b[2J\x1b[31mRed\rOver\x9b1m \u202egnp.exe\u2066x\u2069 Ltd\x7f"
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def test_clean_shows_each_control_character_as_an_escape():
    assert clean("a\x1b[2Jb") == "a\\u001b[2Jb"
    assert clean("\u202eabc") == "\\u202eabc"
    assert clean("tab\tand\nnewline stay") == "tab\tand\nnewline stay"
    assert clean("\r\x07\x7f\x85\x9b") == "\\u000d\\u0007\\u007f\\u0085\\u009b"
    assert clean("Zoë Ünal 東京 £10") == "Zoë Ünal 東京 £10"
    assert not RAW.search(clean("".join(map(chr, range(0x20))) + "\x7f" + "".join(map(chr, range(0x80, 0xa0)))))


@pytest.fixture
def book(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("DUN_BOOK", raising=False)
    path = make_book(capsys, tmp_path / "book")
    f = tmp_path / "c.csv"
    f.write_text("id,name,email,phone,terms_days,credit_limit,currency\n"
                 f"evil,\"{ESC_NAME}\",a@b.example,,30,,GBP\n", encoding="utf-8", newline="")
    assert run(capsys, "import", "clients", f, "--book", path)[0] == 0
    f = tmp_path / "i.csv"
    f.write_text("number,client,issued,due,amount,currency,reference\n"
                 f"INV-9,evil,2026-09-01,2026-10-01,10.00,GBP,\"ref \x1b[5m\u202e\"\n", encoding="utf-8", newline="")
    assert run(capsys, "import", "invoices", f, "--book", path)[0] == 0
    return path


@pytest.mark.parametrize("argv", [
    ["client", "list"], ["client", "show", "evil"], ["agenda"], ["report"], ["check"],
    ["mail"], ["export", "clients"], ["export", "invoices"],
    ["note", "evil", "said \x1b[2J hello", "--outcome", "\x1b[31m"],
    ["pay", "evil\x1b[2J", "10.00"], ["dispute", "INV-9", "--reason", "\u202ebad\x1b[0m"],
])
def test_no_control_character_reaches_the_terminal(book, capsys, monkeypatch, argv):
    monkeypatch.setattr("sys.stdout.isatty", lambda: True, raising=False)
    code, out, err = run(capsys, *argv, "--on", ON, "--book", book)
    assert not RAW.search(out), out
    assert not RAW.search(err), err


def test_the_name_is_shown_escaped_in_the_client_list(book, capsys):
    code, out, err = run(capsys, "client", "list", "--on", ON, "--book", book)
    assert code == 0
    assert "Evil \\u001b]0;pwned\\u0007" in out and "\\u202egnp.exe" in out


@pytest.mark.parametrize("argv", [["client", "list", "--json"], ["client", "show", "evil", "--json"]])
def test_json_stays_exact(book, capsys, argv):
    code, out, err = run(capsys, *argv, "--on", ON, "--book", book)
    assert code == 0 and not RAW.search(out)
    data = json.loads(out)
    names = [c["name"] for c in data] if isinstance(data, list) else [data["name"]]
    assert ESC_NAME in names


def test_a_csv_export_into_a_pipe_is_byte_for_byte(book, capsys):
    code, out, err = run(capsys, "export", "clients", "--book", book)
    assert code == 0
    assert "Evil \x1b]0;pwned\x07\x1b[2J" in out and "\u202egnp.exe" in out


def test_the_app_shows_bidi_overrides_and_markup_in_names_inert(tmp_path):
    """The app (Textual) already showed C0/C1 controls as '?' and names as text, not markup;
    a bidi override in a name reversed the rest of its line."""
    import asyncio
    from datetime import timedelta
    from decimal import Decimal

    from receivables.model import Client, Invoice
    from store import open_book
    from tui.app import create_app
    from tui.fmt import safe

    from .tui_support import DAY, loaded, make_empty_book, settle

    assert safe("a\u202eb\u2066c\u200fd\x9be") == "a?b?c?d?e"
    book = make_empty_book(tmp_path / "book")
    evil = "Evil \u202egnp.exe\u2069 [red]Ltd[/red] [link=https://evil.example]x[/link]"
    repo = open_book(book, today=DAY)
    repo.add_client(Client(id="evil", name=evil, currency="GBP", terms_days=30))
    repo.add_invoice(Invoice(number="E-1", client="evil", issued=DAY - timedelta(days=60),
                             due=DAY - timedelta(days=30), currency="GBP", amount=Decimal("500.00")))
    repo.close()

    async def go() -> list[str]:
        app = create_app(book, on=DAY)
        seen = []
        async with app.run_test(size=(140, 40)) as pilot:
            await loaded(app, pilot)
            seen.append(_text(app))
            await pilot.press("2")
            await settle(app, pilot)
            seen.append(_text(app))
            await pilot.press("enter")
            await settle(app, pilot)
            seen.append(_text(app))
        return seen

    seen = "\n".join(asyncio.run(go()))
    assert "Evil ?gnp.exe? [red]Ltd[/red]" in seen
    assert not RAW.search(seen)


def _text(app) -> str:
    """Every character the visible widgets would send to the terminal."""
    from textual.geometry import Region

    chunks = []
    for widget in app.screen.walk_children(with_self=True):
        if not widget.display or not widget.size.area:
            continue
        for strip in widget.render_lines(Region(0, 0, widget.size.width, widget.size.height)):
            chunks.append("".join(seg.text for seg in strip))
    return "\n".join(chunks)
