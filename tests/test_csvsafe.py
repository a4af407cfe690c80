"""receivables.csvsafe: a cell a spreadsheet would run, or that starts a line of its own."""
import csv
import io

import pytest

from publish import csvdata
from receivables.csvread import _unneutralise
from receivables.csvsafe import neutralise, write_rows


@pytest.mark.parametrize("raw, want", [
    ("\r=1+1", "'\n=1+1"),       # a leading carriage return: written as a line break, still guarded
    ("\r\n=1+1", "'\n=1+1"),
    ("\n=1+1", "'\n=1+1"),       # a leading line feed: a spreadsheet may drop it and run the rest
    ("\rhello", "'\nhello"),
    ("\t=x", "'\t=x"),
    ("=x", "'=x"),
    ("ok\r=x", "ok\n=x"),        # not at the start: the quoted cell keeps it as text
    ("plain", "plain"),
])
def test_a_cell_starting_with_a_line_break_is_prefixed(raw, want):
    """neutralise turned "\\r" into "\\n" before testing for a leading "\\r", so "\\r=1+1"
    went out unguarded; a leading "\\n" was never tested."""
    assert neutralise(raw) == want


def test_the_site_csvs_guard_a_leading_line_feed_too():
    rows = [["2026-12-04", "PAY-1", "\n=2+5", "\r@SUM(A1)"]]
    fast = csvdata.csv_fast(["d", "id", "ref", "note"], [list(r) for r in rows], {"ref", "note"}).decode()
    slow = io.StringIO()
    write_rows(slow, ["d", "id", "ref", "note"], rows)
    for text in (fast, slow.getvalue()):
        got = list(csv.reader(io.StringIO(text, newline="")))
        assert got[1][2:] == ["'\n=2+5", "'\n@SUM(A1)"]


def test_an_import_takes_the_prefix_off_a_guarded_line_break_again():
    assert _unneutralise(neutralise("\n=1+1")) == "\n=1+1"
    assert _unneutralise(neutralise("\r=1+1")) == "\n=1+1"
