"""publish.pdf and publish.weasy: what each process keeps between PDFs (the parsed print
stylesheet, the font configuration) gives the PDF fresh ones give, an edited stylesheet is
parsed again, a PDF embeds only the glyphs it draws, and the lean user-agent stylesheet
changes no PDF dun makes (and steps aside for a document that needs what it leaves out)."""
from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader

from publish import pdf as pdfmod
from publish import weasy
from publish.sample import sample_book
from publish.statements import render_statement_html, statement_data
from receivables.policy import read_policy

ROOT = Path(__file__).resolve().parent.parent
ON = date(2026, 11, 20)


@pytest.fixture(scope="module")
def html():
    policy = read_policy(ROOT / "policy.toml")
    return render_statement_html(statement_data(sample_book(ON), policy, "ACME", ON), for_pdf=True)


def fresh_pdf(html: str, size: str) -> bytes:
    """The PDF with nothing kept: a new font configuration, fetcher and parsed stylesheet."""
    from weasyprint.text.fonts import FontConfiguration

    from publish.fetcher import AssetFetcher

    fonts, fetch = FontConfiguration(), AssetFetcher()
    return pdfmod.render(html, pdfmod.stylesheets(pdfmod.PRINT_CSS.read_bytes(), size, fonts, fetch), fonts, fetch)


def text_of(data: bytes) -> tuple[list[str], list[tuple[float, float]]]:
    reader = PdfReader(io.BytesIO(data))
    return [p.extract_text() for p in reader.pages], [(float(p.mediabox.width), float(p.mediabox.height))
                                                      for p in reader.pages]


@pytest.mark.parametrize("paper, size", [("A4", "A4"), ("Letter", "letter")])
def test_kept_stylesheet_and_fonts_give_the_pdf_fresh_ones_give(html, paper, size):
    pdfmod.html_to_pdf(html, paper)  # the caches filled
    kept = pdfmod.html_to_pdf(html, paper)
    fresh = fresh_pdf(html, size)
    assert text_of(kept) == text_of(fresh)
    assert kept == fresh  # the same bytes: nothing about the output depends on what was kept


def test_an_edited_print_stylesheet_is_parsed_again(html, tmp_path, monkeypatch):
    css = tmp_path / "print.css"  # its fonts are still fetched from the assets (the base URL)
    css.write_bytes(pdfmod.PRINT_CSS.read_bytes())
    monkeypatch.setattr(pdfmod, "PRINT_CSS", css)
    before = "\n".join(text_of(pdfmod.html_to_pdf(html))[0])
    assert "Please quote your account number" in before
    css.write_text(css.read_text("utf-8") + "\n.footer { display: none; }\n", "utf-8")
    after = "\n".join(text_of(pdfmod.html_to_pdf(html))[0])
    assert "Please quote your account number" not in after
    assert "Statement of account" in after
    assert pdfmod.html_to_pdf(html) == fresh_pdf(html, "A4")


def _embedded_fonts(data: bytes):
    """(face name, outlined glyphs embedded, outlined glyphs of the whole font, /W widths) for
    each font on the first page of ``data``."""
    from fontTools.ttLib import TTFont

    def outlined(font: TTFont) -> int:
        glyf = font["glyf"]
        return sum(1 for g in glyf.keys() if glyf[g].numberOfContours != 0)

    reader = PdfReader(io.BytesIO(data))
    for ref in reader.pages[0]["/Resources"]["/Font"].values():
        descendant = ref.get_object()["/DescendantFonts"][0].get_object()
        face = str(descendant["/BaseFont"]).split("+", 1)[1]  # e.g. ABCDEF+Dun-Sans-Bold
        program = descendant["/FontDescriptor"].get_object()["/FontFile2"].get_object().get_data()
        whole = outlined(TTFont(pdfmod.ASSETS / "fonts" / f"{face.lower()}.ttf"))
        widths = [w for item in descendant["/W"] if isinstance(item, list) for w in item]
        yield face, outlined(TTFont(io.BytesIO(program))), whole, widths


def _drawn(data: bytes) -> set[str]:
    reader = PdfReader(io.BytesIO(data))
    return {c for c in "".join(p.extract_text() for p in reader.pages) if not c.isspace()}


@pytest.mark.skipif(weasy.options()["full_fonts"], reason="this machine has no HarfBuzz-subset library "
                    "(Debian: libharfbuzz-subset0), so fonts go in whole: see the test below")
def test_a_pdf_embeds_only_the_glyphs_it_draws(html):
    data = pdfmod.html_to_pdf(html)
    drawn = _drawn(data)
    faces = set()
    for face, embedded, whole, widths in _embedded_fonts(data):
        faces.add(face)
        # the glyphs drawn in this face (and those they are composed of), not the ~400 of the font
        assert 0 < embedded <= 2 * len(drawn) < whole / 2
        # each glyph's width is the one the layout placed it with (whole thousandths of an em)
        assert widths and all(float(w) == int(w) for w in widths)
    assert faces == {"Dun-Sans", "Dun-Sans-Bold"}


def test_without_harfbuzz_subset_a_pdf_embeds_the_fonts_whole(html, monkeypatch):
    """Where WeasyPrint finds no HarfBuzz-subset library (it warns that future versions will
    require it), it would subset in Python, slower than embedding whole: the fonts go in whole,
    and the PDF still draws every character."""
    from weasyprint.text import ffi

    monkeypatch.setattr(ffi, "harfbuzz_subset", None)
    weasy.options.cache_clear()
    try:
        assert weasy.options()["full_fonts"] is True
        data = pdfmod.html_to_pdf(html)
    finally:
        monkeypatch.undo()
        weasy.options.cache_clear()
    faces = set()
    for face, embedded, whole, _widths in _embedded_fonts(data):
        faces.add(face)
        assert embedded == whole
    assert faces == {"Dun-Sans", "Dun-Sans-Bold"}
    assert "Statement of account" in "".join(PdfReader(io.BytesIO(data)).pages[0].extract_text())


def test_the_lean_user_agent_stylesheet_changes_no_pdf_dun_makes(tmp_path, monkeypatch):
    """Every PDF of a site (each statement, the report's parts and page numbers, its charts)
    and a letter with a list: the same bytes with WeasyPrint's own user-agent stylesheet."""
    from markupsafe import Markup

    from publish.env import environment
    from publish.messages import Draft
    from publish.site import publish

    made: list[tuple] = []

    def recording(html, sheets, font_config, fetch, stock_ua=False):
        data = weasy.render(html, sheets, font_config, fetch, stock_ua)
        made.append((html, sheets, font_config, fetch, data))
        return data

    monkeypatch.setattr(pdfmod, "render", recording)
    policy = read_policy(ROOT / "policy.toml")
    book = sample_book(ON)
    publish(book, policy, ON, tmp_path / "site", workers=1, incremental=False)
    data = statement_data(book, policy, "ACME", ON)
    draft = Draft(subject="Overdue", text="Dear customer,\n\n- INV-1001 is overdue\n- INV-1002 too\n\n1. pay\n2. call")
    letter = environment().get_template("letter.html").render(s=data, draft=draft, body=Markup(draft.html),
                                                              L=data.locale)
    assert "<li>" in letter
    pdfmod.html_to_pdf(letter)
    assert len(made) >= 8 and any("<li>" in m[0] for m in made) and any("<img" in m[0] for m in made)
    for html, sheets, font_config, fetch, data in made:
        assert weasy.render(html, sheets, font_config, fetch, stock_ua=True) == data


def test_pdfs_are_made_with_the_lean_user_agent_stylesheet(html, monkeypatch):
    """No style is worked out for the footnote and note pseudo-elements of a statement's
    elements, nor for the marker of any but a list item (WeasyPrint's own stylesheet gives every
    element six such styles)."""
    from weasyprint.css import StyleFor

    assert "<li>" in html  # the statement's message has a list
    pseudo: list[tuple[str, str]] = []
    original = StyleFor.set_computed_styles

    def counting(self, element, parent, root=None, pseudo_type=None, *args, **kwargs):
        if pseudo_type and not pseudo_type.startswith("@"):  # (not a page's margin boxes)
            pseudo.append((pseudo_type, getattr(element, "tag", "")))
        return original(self, element, parent, root, pseudo_type, *args, **kwargs)

    monkeypatch.setattr(StyleFor, "set_computed_styles", counting)
    unused = {"footnote-call", "footnote-marker", "note-call", "note-marker", "note-callback"}
    pdfmod.html_to_pdf(html)
    assert ("marker", "li") in pseudo and ("before", "br") in pseudo
    assert all(kind not in unused and (kind != "marker" or tag == "li") for kind, tag in pseudo)
    pseudo.clear()
    weasy.render(html, pdfmod._stylesheets("A4"), pdfmod._font_config(), pdfmod.fetcher(), stock_ua=True)
    assert unused <= {kind for kind, _ in pseudo} and ("marker", "td") in pseudo


@pytest.mark.parametrize("extra", ['<span style="float: footnote">see our terms</span>',
                                   '<style>.x { float: footnote }</style><span class="x">see our terms</span>',
                                   '<span style="display: list-item">a list item</span>'])
def test_a_document_that_needs_what_the_lean_stylesheet_leaves_out_gets_weasyprints_own(extra):
    html = f"<!doctype html><html><body><p>Total due{extra}</p></body></html>"
    data = pdfmod.html_to_pdf(html)
    assert data == weasy.render(html, pdfmod._stylesheets("A4"), pdfmod._font_config(), pdfmod.fetcher(),
                                stock_ua=True)
    if "footnote" in extra:
        text = "\n".join(text_of(data)[0])
        assert "Total due1" in text and "1. see our terms" in text  # the call and the marker
