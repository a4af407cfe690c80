"""The book's day after a change, folded from the day before it (``refold``), equals the day
folded afresh from every client's day: the agenda, the contexts, the report and the sums,
down to the bytes the derived layer keeps."""
from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from derived import codec
from receivables.demo import generate
from receivables.engine import derive_client, fold, group_by_client, refold
from receivables.policy import read_policy

REPO = Path(__file__).resolve().parent.parent
POLICY = read_policy(REPO / "policy.toml")
ON = date(2026, 11, 22)


def _days(seed: int, policy) -> dict:
    book = generate(clients=24, invoices=500, seed=seed, today=ON, policy=POLICY)
    groups = group_by_client(book)
    return {cid: derive_client(groups[cid], policy, ON, cid) for cid in book.clients}


@pytest.fixture(scope="module")
def two_books():
    """The days of one book, and of another book (another seed, a stricter policy: other
    figures, actions, lists) to change clients into and add clients from."""
    strict = replace(POLICY, interest=replace(POLICY.interest, charge=not POLICY.interest.charge))
    before = _days(1, POLICY)
    other = {f"{cid}~" if i % 3 == 0 else cid: d for i, (cid, d) in enumerate(_days(2, strict).items())}
    return before, other


def _bytes(day) -> bytes:
    return orjson.dumps(codec.encode((day.agenda, day.contexts, day.report, day.totals)))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_refold_equals_a_fresh_fold(two_books, data):
    before, other = two_books
    base = fold(before, ON)
    ids = sorted(before)
    changed = data.draw(st.sets(st.sampled_from(ids), max_size=8))
    gone = data.draw(st.sets(st.sampled_from(ids), max_size=3)) - changed
    new_ids = data.draw(st.sets(st.sampled_from(sorted(c for c in other if c not in before)), max_size=3))
    after = {}
    for cid in ids:
        if cid in gone:
            continue
        d = before[cid]
        if cid in changed and cid in other:  # this client's day under the other policy and records
            d = replace(other[cid], client=cid, part=replace(other[cid].part, client=cid))
        after[cid] = d
    for cid in new_ids:
        after[cid] = other[cid]
    touched = changed | gone | new_ids
    got = refold(base, {cid: before[cid] for cid in touched if cid in before}, after, touched)
    fresh = fold(after, ON)
    assert got.agenda == fresh.agenda and got.contexts == fresh.contexts
    assert got.report == fresh.report
    assert got.totals == fresh.totals
    assert _bytes(got) == _bytes(fresh)


def test_refold_of_nothing_changed_and_of_everything(two_books):
    before, other = two_books
    base = fold(before, ON)
    assert _bytes(refold(base, {}, before, ())) == _bytes(base)
    everything = set(before) | set(other)
    got = refold(base, before, other, everything)
    assert _bytes(got) == _bytes(fold(other, ON))


def test_refold_refuses_a_day_without_sums_or_a_gone_client_without_its_old_day(two_books):
    before, _ = two_books
    base = fold(before, ON)
    cid = next(iter(before))
    rest = {c: d for c, d in before.items() if c != cid}
    with pytest.raises(ValueError):
        refold(replace(base, totals=None), {}, before, ())
    with pytest.raises(ValueError):
        refold(base, {}, rest, {cid})
