"""publish.pdf: what each process keeps between PDFs (the parsed print stylesheet, the font
configuration) gives the PDF fresh ones give, an edited stylesheet is parsed again, and a PDF
embeds only the glyphs it draws."""
from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader

from publish import pdf as pdfmod
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


def test_a_pdf_embeds_only_the_glyphs_it_draws(html):
    from fontTools.ttLib import TTFont

    def outlined(font: TTFont) -> int:
        glyf = font["glyf"]
        return sum(1 for g in glyf.keys() if glyf[g].numberOfContours != 0)

    data = pdfmod.html_to_pdf(html)
    reader = PdfReader(io.BytesIO(data))
    drawn = {c for c in "".join(p.extract_text() for p in reader.pages) if not c.isspace()}
    fonts = reader.pages[0]["/Resources"]["/Font"]
    faces = set()
    for ref in fonts.values():
        descendant = ref.get_object()["/DescendantFonts"][0].get_object()
        face = str(descendant["/BaseFont"]).split("+", 1)[1]  # e.g. ABCDEF+Dun-Sans-Bold
        faces.add(face)
        program = descendant["/FontDescriptor"].get_object()["/FontFile2"].get_object().get_data()
        whole = outlined(TTFont(pdfmod.ASSETS / "fonts" / f"{face.lower()}.ttf"))
        # the glyphs drawn in this face (and those they are composed of), not the ~400 of the font
        assert 0 < outlined(TTFont(io.BytesIO(program))) <= 2 * len(drawn) < whole / 2
        # each glyph's width is the one the layout placed it with (whole thousandths of an em)
        widths = [w for item in descendant["/W"] if isinstance(item, list) for w in item]
        assert widths and all(float(w) == int(w) for w in widths)
    assert faces == {"Dun-Sans", "Dun-Sans-Bold"}
