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


def test_control_characters_in_labels_become_replacement_characters():
    """A client name with a NUL, an escape or a C1 control: the chart is still well-formed XML
    (XML admits none of them) and shows U+FFFD where each was."""
    import warnings
    import xml.etree.ElementTree as ET

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (matplotlib on the glyph no font has)
        svg = str(charts.hbar_chart(("Nul\x00name", "Esc\x1b[31mred", "C1\x85Ltd"), (Decimal(5), Decimal(3), Decimal(1)),
                                    "GBP", "Top debtors"))
    assert not any(ord(c) < 32 and c not in "\t\n\r" or 127 <= ord(c) < 160 for c in svg)
    ET.fromstring(svg)
    assert "Nul\ufffdname" in svg and "Esc\ufffd[31mred" in svg and "C1\ufffdLtd" in svg


def test_trend_with_missing_points():
    svg = str(charts.trend_chart(("Jan 26", "Feb 26", "Mar 26"), {"DSO": (None, Decimal("40.5"), Decimal("38.0"))},
                                 "days", "DSO"))
    assert svg.count("<svg") == 1
