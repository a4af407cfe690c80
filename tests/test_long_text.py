"""A book from elsewhere can hold a note of any size (dun never stores one over its limit;
`dun check` names it). Shown whole, a note of millions of characters held the client's
screen for seconds (its timeline is Markdown) and would make a statement of thousands of
pages: every place that shows a note shows at most the field's limit, and says so."""
from __future__ import annotations

from dataclasses import replace
from datetime import date
from types import SimpleNamespace

from publish.sample import sample_book
from publish.statements import statement_data
from receivables.policy import read_policy
from receivables.shapes import LONG_TEXT, clipped
from tests.conftest import REPO
from tui.widgets.timeline import timeline_markdown

ON = date(2026, 11, 22)
POLICY = read_policy(REPO / "policy.toml")
LIMIT = LONG_TEXT["body"]


def test_a_note_within_its_limit_is_shown_whole_and_a_longer_one_clipped_with_a_line_saying_so():
    assert clipped("x" * LIMIT) == "x" * LIMIT
    got = clipped("x" * (LIMIT + 7))
    assert got.startswith("x" * LIMIT + "\n\n") and "x" * (LIMIT + 1) not in got
    assert got.endswith("(7 more characters not shown: longer than dun keeps a note; 'dun check' names it)")


def _book_with_a_huge_note(times: int = 400_000):
    book = sample_book(ON)
    k, act = next((k, a) for k, a in enumerate(book.activities) if a.date <= ON)
    huge = replace(act, body="Spoke to them. " * times, internal=False)  # 6 MB
    return replace(book, activities=book.activities[:k] + (huge,) + book.activities[k + 1:]), huge


def test_the_timeline_and_a_statement_show_at_most_a_notes_limit():
    book, huge = _book_with_a_huge_note()
    timeline = timeline_markdown(SimpleNamespace(book=book), huge.client)
    assert "more characters not shown" in timeline and len(timeline) < 2 * LIMIT
    s = statement_data(book, POLICY, huge.client, ON, find_action=False)
    shown = [a.summary for a in s.activities if a.summary.startswith("Spoke to them.")]
    assert len(shown) == 1 and len(shown[0]) < LIMIT + 200 and "more characters not shown" in shown[0]


def test_a_statements_correspondence_is_laid_out_by_its_columns_not_by_measuring_its_notes():
    """Laid out automatically, a table whose note cells may break anywhere (print.css) had
    WeasyPrint measure every note, at a cost that grew far faster than the note: a statement
    with a note of a few thousand characters took minutes (benchmarks/publish.py, figures in
    benchmarks/README.md). Its columns now come from its colgroup."""
    from weasyprint import HTML

    from publish.pdf import _font_config, _stylesheets, fetcher
    from publish.statements import render_statement_html
    from publish.weasy import BASE_URL

    book, huge = _book_with_a_huge_note(times=20)  # (its length changes nothing here)
    html = render_statement_html(statement_data(book, POLICY, huge.client, ON, find_action=False), for_pdf=True)
    doc = HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher()).render(
        stylesheets=list(_stylesheets("A4").sheets), font_config=_font_config())

    def tables(box):
        if type(box).__name__ == "TableBox" and "activities" in (box.element.get("class") or ""):
            yield box
        for child in getattr(box, "children", ()):
            yield from tables(child)

    found = [t for page in doc.pages for t in tables(page._page_box)]
    assert found and all(t.style["table_layout"] == "fixed" for t in found)
