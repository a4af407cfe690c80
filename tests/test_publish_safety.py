"""Hostile names and notes stay inert in HTML and PDF; only our assets are ever read."""
from __future__ import annotations

import io
import os
import sys
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader

from publish.fetcher import AssetFetcher, RefusedURL
from publish.markdown import render
from publish.paths import ASSETS
from publish.sample import HOSTILE_NAME, sample_book
from publish.statements import render_statement_html, render_statement_pdf, statement_data
from receivables.policy import read_policy

ROOT = Path(__file__).resolve().parent.parent
ON = date(2026, 11, 20)


@pytest.fixture(scope="module")
def policy():
    p = read_policy(ROOT / "policy.toml")
    # publish internal notes too, so the hostile internal note reaches the page as well
    return replace(p, publish=replace(p.publish, internal_notes=True))


@pytest.fixture(scope="module")
def evil(policy):
    book = sample_book(ON)
    return statement_data(book, policy, "EVIL", ON)


def pdf_text_and_catalog(data: bytes) -> tuple[str, PdfReader]:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(p.extract_text() for p in reader.pages), reader


# -- Markdown -------------------------------------------------------------------------------


def test_markdown_escapes_raw_html():
    html = str(render('<script>alert(1)</script> <link rel="attachment" href="file:///etc/passwd">'))
    assert "<script" not in html and "<link" not in html
    assert "&lt;script&gt;" in html


def test_markdown_links_only_http_https_mailto():
    html = str(render("[a](http://a.example) [b](https://b.example) [c](mailto:c@x.example) "
                      "[d](javascript:alert(1)) [e](file:///etc/passwd) [f](data:text/html,hi) [g](vbscript:x)"))
    assert html.count("<a ") == 3
    for bad in ("javascript:", "file:", "data:", "vbscript:"):
        assert f'href="{bad}' not in html


def test_markdown_images_become_text():
    html = str(render("![tracker](http://example.com/x.png) ![](file:///etc/passwd)"))
    assert "<img" not in html
    assert "[image: tracker]" in html
    assert 'src="' not in html


# -- the fetcher ------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [
    "file:///etc/passwd",
    "http://example.com/x.png",
    "https://example.com/style.css",
    "data:text/plain,hello",
    "ftp://example.com/x",
    ASSETS.as_uri() + "/../policy.toml",
    ASSETS.as_uri() + "/%2e%2e/%2e%2e/policy.toml",
    ASSETS.as_uri() + "/fonts/nope.ttf",
    "file://evil.example" + str(ASSETS / "print.css"),
])
def test_fetcher_refuses_everything_but_assets(url):
    f = AssetFetcher()
    with pytest.raises(RefusedURL):
        f.fetch(url)
    assert f.served == []


def test_fetcher_refuses_a_symlink_out_of_the_assets(tmp_path):
    root = tmp_path / "assets"
    root.mkdir()
    (root / "ok.css").write_text("p{}")
    (root / "leak.css").symlink_to("/etc/passwd")
    f = AssetFetcher(root)
    assert f.fetch((root / "ok.css").as_uri()).read() == b"p{}"
    with pytest.raises(RefusedURL):
        f.fetch((root / "leak.css").as_uri())


def test_fetcher_serves_our_font():
    f = AssetFetcher()
    resp = f.fetch((ASSETS / "fonts" / "dun-sans.ttf").as_uri())
    assert resp.read()[:4] == b"\x00\x01\x00\x00"


# -- HTML -------------------------------------------------------------------------------------


def test_hostile_name_and_note_are_escaped_in_the_statement_html(evil):
    html = render_statement_html(evil)
    assert HOSTILE_NAME not in html
    assert "<script" not in html
    assert '<link rel="attachment"' not in html
    assert "<img" not in html
    assert 'href="javascript:' not in html
    assert "&lt;script&gt;" in html  # shown, as text


def test_hostile_data_is_inert_on_every_published_page(tmp_path, policy):
    from publish.site import publish

    publish(sample_book(ON), policy, ON, tmp_path / "site", pdf=False)
    for page in (tmp_path / "site").rglob("*.html"):
        text = page.read_text("utf-8")
        assert "<script" not in text, page
        assert 'rel="attachment"' not in text, page
        assert "<img" not in text, page
        assert 'href="file:' not in text and 'src="file:' not in text, page


# -- PDF --------------------------------------------------------------------------------------


def test_hostile_statement_pdf_has_no_attachment_and_no_file_contents(evil):
    data = render_statement_pdf(evil)
    text, reader = pdf_text_and_catalog(data)
    root = reader.trailer["/Root"]
    names = root.get("/Names")
    assert names is None or "/EmbeddedFiles" not in names.get_object()
    assert reader.attachments == {}
    assert b"/EmbeddedFile" not in data and b"/FileAttachment" not in data
    assert b"/Subtype /Image" not in data and b"/Subtype/Image" not in data
    assert "root:x:0:0" not in text
    passwd = Path("/etc/passwd")
    if passwd.exists():
        first = passwd.read_text().splitlines()[0]
        assert first not in text
    # the hostile text is shown as text
    assert "<script>" in text.replace("\n", "")
    assert "file:///etc/passwd" in text.replace("\n", "")


def test_no_file_outside_the_assets_is_read_while_rendering(evil):
    """An audit hook sees every file Python opens during a render: only assets (and Python's own
    modules) may appear; never /etc/passwd, never anything else."""
    opened: list[str] = []
    state = {"on": False}

    def hook(event, args):
        if state["on"] and event == "open" and args and isinstance(args[0], (str, bytes, os.PathLike)):
            opened.append(os.fsdecode(args[0]))

    sys.addaudithook(hook)
    from publish import pdf as pdfmod

    pdfmod.warm()  # first-use setup (font config, stylesheet) happens before we watch
    fetcher = pdfmod.fetcher()
    fetcher.served.clear()
    fetcher.refused.clear()
    fetcher._cache.clear()
    state["on"] = True
    try:
        html = render_statement_html(evil, for_pdf=True)
        # and a document that asks for the files outright
        html = html.replace("</body>", '<link rel="stylesheet" href="file:///etc/passwd">'
                                       '<img src="file:///etc/passwd"><img src="http://example.com/x.png">'
                                       '<link rel="attachment" href="file:///etc/passwd"></body>')
        data = pdfmod.html_to_pdf(html)
    finally:
        state["on"] = False
    allowed = (str(ASSETS), sys.prefix, sys.base_prefix)
    strays = [p for p in opened if not p.startswith(allowed) and not p.endswith((".py", ".pyc"))]
    assert strays == []
    assert not any("passwd" in p for p in opened)
    assert all(s.startswith(str(ASSETS)) for s in fetcher.served)
    assert any("etc/passwd" in r for r in fetcher.refused)
    assert any("example.com" in r for r in fetcher.refused)
    reader = PdfReader(io.BytesIO(data))
    assert reader.attachments == {}


# -- CSV --------------------------------------------------------------------------------------


def test_accountant_csv_cells_are_neutralised(tmp_path, policy):
    import csv

    from publish.site import publish

    book = sample_book(ON)
    publish(book, policy, ON, tmp_path / "site", pdf=False)
    rows = list(csv.reader((tmp_path / "site" / "data" / "open-items.csv").open(encoding="utf-8")))
    refs = {r[1]: r[9] for r in rows[1:]}
    assert refs["INV-4001"] == "'=HYPERLINK(\"http://evil.example\")"
    for name in ("aged-receivables.csv", "open-items.csv", "payments.csv", "activities.csv"):
        for row in csv.reader((tmp_path / "site" / "data" / name).open(encoding="utf-8")):
            for cell in row:
                assert not cell.startswith(("=", "+", "@", "\t", "\r")), (name, cell)
                if cell.startswith("-"):
                    float(cell)  # only our own negative numbers may start with '-'
    acts = list(csv.DictReader((tmp_path / "site" / "data" / "activities.csv").open(encoding="utf-8")))
    assert any(a["body"].startswith("Called them.") for a in acts)


def test_bidi_overrides_from_the_book_do_not_reach_a_page_or_a_statement(tmp_path, policy):
    """A U+202E in a note or a reference showed the rest of its line reversed in the statement
    sent to the client (pdftotext read '>)1(trela=rorreno x=crs gmi<')."""
    from publish.env import environment
    from publish.site import publish
    from receivables.controls import BIDI

    env = environment()
    got = env.from_string("{{ x }}|{{ y|markdown }}").render(x="INV-1\u202e 00.001", y="paid \u2067**1000**\u2069")
    assert not any(chr(c) in got for c in BIDI)
    assert "INV-1 00.001" in got and "<strong>1000</strong>" in got
    assert env.from_string("{{ x }}").render(x="سلام Ltd") == "سلام Ltd"  # right-to-left text itself stays
    book = sample_book(ON)
    evil = next(iter(book.clients))
    inv = next(i for i in book.invoices.values() if i.client == evil)
    book = replace(book, invoices={**book.invoices, inv.number: replace(inv, reference="PO \u202e7 TNUOMA")})
    publish(book, policy, ON, tmp_path / "site", pdf=False)
    pages = list((tmp_path / "site").rglob("*.html"))
    assert any("PO 7 TNUOMA" in p.read_text("utf-8") for p in pages)
    for page in pages:
        assert not any(chr(c) in page.read_text("utf-8") for c in BIDI), page


def test_control_characters_from_the_book_do_not_reach_a_page_a_statement_or_a_message(tmp_path, policy):
    """An imported name or reference with an escape sequence, a bell, DEL or NEL showed empty
    boxes on the client's statement and went raw into the e-mail's plain text."""
    from publish.env import environment, message_environment
    from publish.mail import prepare_outbox, read_eml
    from publish.site import publish

    bad = [chr(c) for c in (*range(0, 9), *range(11, 32), 127, 0x85, 0x9b)]
    env = environment()
    assert env.from_string("{{ x }}").render(x="ref\x1b]0;title\x07\r\nline2\tend") == "ref]0;title\nline2\tend"
    assert message_environment().from_string("{{ x }}").render(x="Bell\x07 Ltd\x7f") == "Bell Ltd"
    book = sample_book(ON)
    acme = book.clients["ACME"]
    inv = next(i for i in book.invoices.values() if i.client == "ACME")
    book = replace(book, clients={**book.clients, "ACME": replace(acme, name="Bell\x07 \x1b[31mRed\x1b[0m\x7f\x85 Ltd")},
                   invoices={**book.invoices, inv.number: replace(inv, reference="ref\x1b]0;title\x07\r\nline2")})
    publish(book, policy, ON, tmp_path / "site", pdf=False)
    pages = list((tmp_path / "site").rglob("*.html"))
    assert any("Bell [31mRed[0m Ltd" in p.read_text("utf-8") for p in pages)
    for page in pages:
        text = page.read_text("utf-8")
        assert not any(c in text for c in bad), page
    for item in prepare_outbox(book, policy, ON, tmp_path / "outbox").emails:
        msg = read_eml(item.path)
        for part in ("plain", "html"):
            text = msg.get_body((part,)).get_content()
            assert not any(c in text.replace("\r\n", "\n") for c in bad), (item.path, part)


def test_a_long_word_in_a_reference_keeps_every_amount_on_the_statement_page(policy):
    """A 200-letter reference (no space to break at) pushed the amount columns and the total
    off the right edge of the client's statement PDF; free text now breaks inside its cell,
    while invoice numbers and amounts keep their width."""
    from io import BytesIO

    from pypdf import PdfReader

    from publish.statements import render_statement_pdf, statement_data

    book = sample_book(ON)
    invs = [i for i in book.invoices.values() if i.client == "ACME"]
    book = replace(book, invoices={**book.invoices, **{i.number: replace(i, reference="R" * 200) for i in invs}})
    pdf = render_statement_pdf(statement_data(book, policy, "ACME", ON))
    shown: list[str] = []
    for page in PdfReader(BytesIO(pdf)).pages:
        width = float(page.mediabox.width)

        def seen(text, cm, tm, font, size):
            if text.strip():
                x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
                assert x < width, (text, x, width)
                shown.append(text.strip())

        page.extract_text(visitor_text=seen)
    assert any("Outstanding" in t for t in shown)
    assert all(any(t.startswith(i.number) for t in shown) for i in invs)  # each number whole, on the page
