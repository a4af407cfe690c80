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


# -- the client a form's typed text means (receivables.slugs.match_clients) ----------------------

def test_a_client_is_found_by_its_id_or_enough_of_its_id_or_name():
    from receivables.model import Client
    from receivables.slugs import match_clients

    cs = {c.id: c for c in (Client("acme-trading", "Acme Trading Ltd", "GBP", 30),
                            Client("acme-labs", "Acme Labs", "GBP", 30),
                            Client("lodz", "Łódź Logistyka sp. z o.o.", "PLN", 30),
                            Client("ACME", "Upper Case Co", "GBP", 30),
                            Client("zed", "Zed Ltd", "GBP", 30))}
    assert match_clients("acme-trading", cs) == ["acme-trading"]  # the id
    assert match_clients("ACME", cs) == ["ACME"]  # an exact id first, whatever else it starts
    assert match_clients("acme-LABS", cs) == ["acme-labs"]  # the id, case aside
    assert match_clients("acme", cs) == ["ACME"]  # the id equal but for case, before prefixes
    assert match_clients("acme t", cs) == ["acme-trading"]  # part of the name
    assert match_clients("trading", cs) == ["acme-trading"]
    assert match_clients("acme-", cs) == ["acme-labs", "acme-trading"]  # several: the owner types more
    assert match_clients("LODZ log", cs) == ["lodz"] and match_clients("łódź", cs) == ["lodz"]
    assert match_clients("  zed ", cs) == ["zed"]
    assert match_clients("", cs) == [] and match_clients("nobody", cs) == []
