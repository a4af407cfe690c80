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


def _book_with_a_huge_note():
    book = sample_book(ON)
    k, act = next((k, a) for k, a in enumerate(book.activities) if a.date <= ON)
    huge = replace(act, body="Spoke to them. " * 400_000, internal=False)  # 6 MB
    return replace(book, activities=book.activities[:k] + (huge,) + book.activities[k + 1:]), huge


def test_the_timeline_and_a_statement_show_at_most_a_notes_limit():
    book, huge = _book_with_a_huge_note()
    timeline = timeline_markdown(SimpleNamespace(book=book), huge.client)
    assert "more characters not shown" in timeline and len(timeline) < 2 * LIMIT
    s = statement_data(book, POLICY, huge.client, ON, find_action=False)
    shown = [a.summary for a in s.activities if a.summary.startswith("Spoke to them.")]
    assert len(shown) == 1 and len(shown[0]) < LIMIT + 200 and "more characters not shown" in shown[0]
