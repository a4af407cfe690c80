"""Issue 16 item 6: data from the book (invoice numbers, references, names, reasons) put into
a message template is text, never Markdown: an imported reference
`[Update our bank details](https://evil.example/bank)` was a live link in the statement page
and in the HTML part of the e-mail. Only the template's own text is Markdown."""
from __future__ import annotations

import email
import email.policy
import re

import pytest

from publish.markdown import escape_text, render

from .hostile_support import ON, make_book, run

EVIL_REF = "[Update our bank details](https://evil.example/bank)"
EVIL_NAME = "**Urgent** <https://evil.example/name> ![x](https://evil.example/pixel.png)"
EVIL_NUMBER = "INV-[pay](https://evil.example/n)"
LIVE = re.compile(r"<a |<img |<strong>Urgent|<em>", re.I)


@pytest.mark.parametrize("value", [
    EVIL_REF, EVIL_NAME, EVIL_NUMBER, "# Heading", "1. item", "- item", "> quote", "`code`", "a_b_c *d*",
    "&copy; &#169;", "line one\n\n# line two", "back\\slash\\", "---", "~~~", "<script>x</script>",
])
def test_an_escaped_value_renders_as_exactly_its_text(value):
    html = str(render(f"Ref {escape_text(value)} end"))
    assert not LIVE.search(html) and "<h1" not in html and "<ol" not in html and "<code" not in html
    from html import unescape

    text = unescape(re.sub(r"<[^>]+>", "", html)).strip()
    assert text == "Ref " + re.sub(r"\n+", " ", value) + " end"


def test_a_value_at_the_start_of_a_line_cannot_open_a_block():
    for value in ("# Heading", "1. item", "2026) item", "- item", "+ item", "> quote", "===", "~~~python"):
        html = str(render(escape_text(value) + "\n"))
        assert html.startswith("<p>"), (value, html)


@pytest.fixture
def book(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("DUN_BOOK", raising=False)
    path = make_book(capsys, tmp_path / "book")
    clients = tmp_path / "evil-clients.csv"
    clients.write_text("id,name,email,phone,terms_days,credit_limit,currency\n"
                       f"evil,\"{EVIL_NAME}\",ap@evil.example,,30,,GBP\n", encoding="utf-8")
    assert run(capsys, "import", "clients", clients, "--book", path)[0] == 0
    invoices = tmp_path / "evil-invoices.csv"
    invoices.write_text("number,client,issued,due,amount,currency,reference\n"
                        f"INV-7001,acme-supplies,2026-10-15,2026-11-15,99.00,GBP,{EVIL_REF}\n"
                        f"\"{EVIL_NUMBER}\",evil,2026-10-15,2026-11-15,50.00,GBP,{EVIL_REF}\n", encoding="utf-8")
    code, out, err = run(capsys, "import", "invoices", invoices, "--book", path)
    assert code == 0, err
    return path


def test_the_statement_page_shows_the_reference_as_text(book, capsys):
    code, out, err = run(capsys, "publish", "--no-pdf", "--on", ON, "--book", book)
    assert code == 0, err
    pages = {p.name: p.read_text(encoding="utf-8") for p in (book / "site" / "clients").glob("*.html")}
    assert pages
    for name, page in pages.items():
        assert "evil.example" not in " ".join(re.findall(r'(?:href|src)="[^"]*"', page)), name
        assert "<strong>Urgent" not in page, name
    acme = pages["acme-supplies.html"]
    assert "[Update our bank details](https://evil.example/bank)" in acme  # shown, as text


def test_the_mail_html_part_shows_data_as_text(book, capsys):
    code, out, err = run(capsys, "mail", "--on", ON, "--book", book)
    assert code == 0, err
    emls = list((book / "outbox").glob("*.eml"))
    assert emls
    seen_ref = False
    for path in emls:
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        html = msg.get_body(("html",)).get_content()
        assert "evil.example" not in " ".join(re.findall(r'(?:href|src)="[^"]*"', html)), path.name
        assert "<strong>Urgent" not in html and "<img" not in html, path.name
        seen_ref |= "[Update our bank details](https://evil.example/bank)" in html
        assert "\\" not in str(msg["Subject"])
    assert seen_ref


def test_the_agenda_draft_is_markdown_whose_data_is_escaped(book, capsys):
    import json

    code, out, err = run(capsys, "agenda", "--json", "--on", ON, "--book", book)
    assert code == 0, err
    drafts = [a for a in json.loads(out) if a["client"] in ("evil", "acme-supplies") and a["message"]]
    assert drafts
    for a in drafts:
        assert not LIVE.search(str(render(a["message"]))), a["message"]
        assert "\\" not in a["subject"]
