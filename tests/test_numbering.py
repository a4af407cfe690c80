"""The number proposed for an invoice entered by hand."""
from __future__ import annotations

import pytest

from receivables.numbering import next_number


@pytest.mark.parametrize("latest, taken, want", [
    ("INV-000600", {"INV-000600"}, "INV-000601"),
    ("INV-0999", {"INV-0999"}, "INV-1000"),
    ("INV-99", {"INV-99"}, "INV-100"),  # wider when it must be
    ("2026/17", {"2026/17"}, "2026/18"),
    ("A7", {"A7", "A8", "A9"}, "A10"),  # numbers already taken are passed over
    ("INV-12-B", {"INV-12-B"}, ""),  # no trailing digits: nothing proposed
    ("", set(), ""),
])
def test_the_number_after_the_latest(latest, taken, want):
    assert next_number(latest, taken) == want
