"""SVG charts: deterministic, self-contained, text stays text, hostile labels inert."""
from decimal import Decimal

from publish import charts

AGING = (("current", Decimal("100.00")), ("1-30", Decimal("50.50")), ("31-60", Decimal("0")),
         ("61-90", Decimal("7.25")), ("91-120", Decimal("0")), ("120+", Decimal("1234567.89")))


def test_same_data_same_bytes_and_no_date():
    a = str(charts.aging_chart(AGING, "GBP"))
    b = str(charts.aging_chart(AGING, "GBP"))
    assert a == b
    assert a.startswith("<svg") and "<dc:date>" not in a
    assert "<image" not in a and "href=\"http" not in a.replace('xmlns:xlink="http://www.w3.org/1999/xlink"', "")
    assert "font-family" in a or "Dun Sans" in a  # text is text, in our font


def test_different_data_different_chart():
    other = AGING[:-1] + (("120+", Decimal("1.00")),)
    assert str(charts.aging_chart(AGING, "GBP")) != str(charts.aging_chart(other, "GBP"))


def test_hostile_labels_are_escaped_and_not_mathtext():
    svg = str(charts.hbar_chart(("<script>alert(1)</script>", "$x^2$ Ltd & Co"), (Decimal(5), Decimal(3)),
                                "GBP", "Top debtors"))
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    assert "$x^2$ Ltd &amp; Co" in svg


def test_control_characters_in_labels_are_left_out():
    """A client name with a NUL, an escape or a C1 control: the chart is still well-formed XML
    (XML admits none of them) and leaves them out, as every page does (publish.env)."""
    import xml.etree.ElementTree as ET

    svg = str(charts.hbar_chart(("Nul\x00name", "Esc\x1b[31mred", "C1\x85Ltd\u202e"), (Decimal(5), Decimal(3), Decimal(1)),
                                "GBP", "Top debtors"))
    assert not any(ord(c) < 32 and c not in "\t\n\r" or 127 <= ord(c) < 160 or c == "\u202e" for c in svg)
    ET.fromstring(svg)
    assert "Nulname" in svg and "Esc[31mred" in svg and "C1Ltd" in svg


def test_a_name_no_font_can_draw_gives_no_warning(recwarn):
    """matplotlib printed a two-line UserWarning into the owner's terminal for a name with an
    emoji (drawn as a box, as in the PDFs)."""
    charts.hbar_chart(("Coffee \U0001f600 Ltd", "\ufdfd Trading"), (Decimal(5), Decimal(3)), "GBP", "Top debtors")
    assert not [w for w in recwarn if "Glyph" in str(w.message)]


def test_a_long_label_is_shortened_to_the_margin_not_cut_at_the_edge():
    """Names of 30-38 characters were cut at the chart's left edge ('iété Générale Ünïcødé…'),
    so a bar could not be told from another client's; a label now ends in '…' where it must."""
    import html
    import re

    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import text_to_path

    names = ("Société Générale Ünïcødé Müller & Söhne", "W" * 30, "Acme Ltd")
    svg = str(charts.hbar_chart(names, (Decimal(5), Decimal(3), Decimal(1)), "GBP", "Top debtors"))
    labels = [(float(x), html.unescape(t)) for x, t in
              re.findall(r'<text style="[^"]*text-anchor: end[^"]*" x="([0-9.]+)"[^>]*>([^<]*)</text>', svg)]
    shown = [t for _, t in labels]
    assert "Acme Ltd" in shown and len(labels) == 3
    assert [t for t in shown if t.endswith("…")] == [t for t in shown if t != "Acme Ltd"]
    assert any(t.startswith("Société Générale") for t in shown) and any(t.startswith("WWWW") for t in shown)
    font = FontProperties(family=list(charts.FONTS), size=8)
    for right, text in labels:  # right-aligned at x: the whole label starts inside the chart
        assert right - text_to_path.get_text_width_height_descent(text, font, ismath=False)[0] >= 0, text


def test_trend_with_missing_points():
    svg = str(charts.trend_chart(("Jan 26", "Feb 26", "Mar 26"), {"DSO": (None, Decimal("40.5"), Decimal("38.0"))},
                                 "days", "DSO"))
    assert svg.count("<svg") == 1
