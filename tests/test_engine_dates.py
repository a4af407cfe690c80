"""Another date (or policy) of a book already derived: the derivation shares each client's
records and date-independent index with the one before it (what a new date then costs:
benchmarks/engine.py), and what it answers equals a derivation from scratch, down to the
bytes the derived layer keeps (cached equals uncached)."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import orjson

from derived import codec
from receivables.agenda import build_agenda
from receivables.demo import generate
from receivables.engine import derivation, derive_client, fold, group_by_client
from receivables.policy import read_policy
from receivables.report import build_report

REPO = Path(__file__).resolve().parent.parent
POLICY = read_policy(REPO / "policy.toml")
ON = date(2026, 11, 22)


def scratch(book, policy, on):
    groups = group_by_client(book)
    return fold({cid: derive_client(groups[cid], policy, on, cid) for cid in book.clients}, on)


def test_another_date_or_policy_shares_the_indexes_and_equals_a_derivation_from_scratch():
    book = generate(clients=24, invoices=600, seed=3, today=ON, policy=POLICY)
    first = derivation(book, POLICY, ON)
    first.day()
    strict = replace(POLICY, interest=replace(POLICY.interest, charge=not POLICY.interest.charge))
    # a day later, a month and a half back, a stricter policy, and the first date again
    for on, policy in ((ON + timedelta(days=1), POLICY), (ON - timedelta(days=45), POLICY),
                       (ON + timedelta(days=1), strict), (ON, POLICY)):
        d = derivation(book, policy, on)
        got = d.day()
        assert all(d.client_index(cid) is first.client_index(cid) for cid in book.clients)
        want = scratch(book, policy, on)
        assert got == want and got.contexts == want.contexts and got.totals == want.totals
        assert [orjson.dumps(codec.encode(got.clients[cid])) for cid in book.clients] == \
               [orjson.dumps(codec.encode(want.clients[cid])) for cid in book.clients]
        assert build_agenda(book, policy, on) == list(want.agenda)
        assert build_report(book, policy, on) == want.report


def test_a_months_sums_are_made_once_and_equal_sums_from_scratch_on_each_of_its_dates(monkeypatch):
    """What every client's day holds that is the same on each date of a month (month-end
    figures, whole months' sales) is summed once for the month; each date of it folds only
    the rest, and its totals and report equal a fold of everything (cached equals uncached),
    also where a client's currencies change within the month (a payment in another currency
    on no invoice: a credit in that currency from its date)."""
    from receivables.engine import book as engine_book
    from receivables.model import Payment

    made = []
    real = engine_book.month_sums
    monkeypatch.setattr(engine_book, "month_sums", lambda totals: made.append(totals.on) or real(totals))
    book = generate(clients=12, invoices=300, seed=5, today=ON, policy=POLICY)
    cid = next(iter(book.clients))
    other = "EUR" if book.clients[cid].currency != "EUR" else "GBP"
    book = replace(book, payments=book.payments + (Payment("PX", date(2026, 11, 10), cid, Decimal("50.00"), other),))
    series = None
    for on in (date(2026, 11, 5), date(2026, 11, 12), date(2026, 11, 1), date(2026, 11, 30), date(2026, 12, 1)):
        d = derivation(book, POLICY, on)
        got = d.day()
        want = scratch(book, POLICY, on)
        assert got.totals == want.totals and got.report == want.report and got == want
        assert (other in got.clients[cid].part.currencies) == (on >= date(2026, 11, 10))
        # each client's series are made once a month (its AR series for the month's figures only)
        now = [d.client_index(c).series for c in book.clients]
        assert all(a.ar is None for a in now)
        if series is not None:
            assert all((a is b) == (on.month == 11) for a, b in zip(now, series))
        series = now
    assert made == [date(2026, 11, 5), date(2026, 12, 1)]  # once for November, once for December


def test_another_book_shares_nothing():
    """A book with other records is never answered from an earlier book's indexes, even when
    the derivation asked about before it was of an equal book."""
    book = generate(clients=6, invoices=150, seed=4, today=ON, policy=POLICY)
    first = derivation(book, POLICY, ON)
    first.day()
    cid = next(iter(book.clients))
    same_records = replace(book)
    assert derivation(same_records, POLICY, ON).client_index(cid) is not first.client_index(cid)
    paid = next(n for n, inv in book.invoices.items() if inv.client == cid)
    fewer = replace(book, invoices={n: inv for n, inv in book.invoices.items() if n != paid})
    later = ON + timedelta(days=3)
    assert derivation(fewer, POLICY, later).day() == scratch(fewer, POLICY, later)
