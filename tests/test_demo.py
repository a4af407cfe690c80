"""Demo data: deterministic, valid, realistic, and a sensible agenda for its day."""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

import pytest

from receivables.demo import generate, slugify
from receivables.ledger import derive
from receivables.policy import read_policy
from receivables.validate import check_book

from .conftest import REPO

TODAY = date(2026, 11, 20)
POLICY = read_policy(REPO / "policy.toml")


@pytest.fixture(scope="module")
def demo():
    return generate(clients=40, invoices=600, seed=1, today=TODAY, policy=POLICY)


def digest(book) -> str:
    from store.repository import book_to_data
    import orjson

    return hashlib.sha256(orjson.dumps(book_to_data(book), option=orjson.OPT_SORT_KEYS)).hexdigest()


def test_same_seed_same_book_and_other_seed_differs(demo):
    again = generate(clients=40, invoices=600, seed=1, today=TODAY, policy=POLICY)
    assert digest(again) == digest(demo)
    assert digest(generate(clients=40, invoices=600, seed=2, today=TODAY, policy=POLICY)) != digest(demo)


def test_determinism_does_not_depend_on_hash_seed(demo):
    code = ("from datetime import date; from receivables.demo import generate; from receivables.policy import read_policy;"
            "from tests.test_demo import digest;"
            f"print(digest(generate(40, 600, seed=1, today=date(2026, 11, 20), policy=read_policy({str(REPO / 'policy.toml')!r}))))")
    outs = set()
    for hs in ("0", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": hs}
        outs.add(subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True,
                                check=True).stdout.strip())
    assert outs == {digest(demo)}


def test_needs_today():
    with pytest.raises(ValueError):
        generate(5, 10, seed=1)


def test_counts_and_validity(demo):
    assert len(demo.clients) == 40 and len(demo.invoices) == 600
    assert check_book(demo) == []
    assert all(p.date <= TODAY for p in demo.payments)
    assert all(a.date <= TODAY for a in demo.activities)
    assert all(i.issued <= TODAY for i in demo.invoices.values())
    first = min(i.issued for i in demo.invoices.values())
    assert TODAY - timedelta(days=560) <= first <= TODAY - timedelta(days=480)  # about 18 months
    for inv in demo.invoices.values():  # amounts are exact and at most 50k
        assert inv.amount == inv.amount.quantize(Decimal("0.01")) and Decimal(0) < inv.amount <= Decimal("50000")
        if inv.lines:
            assert sum(ln.amount for ln in inv.lines) + inv.tax == inv.amount
    ids = [p.id for p in demo.payments]
    assert ids[0] == "PAY-000001" and len(set(ids)) == len(ids)
    assert demo.activities[0].id == "ACT-000001"
    assert next(iter(demo.invoices)) == "INV-000001"


def test_clients_are_varied(demo):
    clients = list(demo.clients.values())
    names = [c.name for c in clients]
    assert any("'" in n for n in names) and any("&" in n for n in names)
    assert any(not n.isascii() for n in names)
    assert sum(1 for c in clients if not c.email) in (1, 2)
    assert all(c.phone for c in clients) and all(c.address for c in clients)
    assert {c.terms_days for c in clients} <= {7, 14, 30, 45, 60} and len({c.terms_days for c in clients}) >= 3
    cur = Counter(c.currency for c in clients)
    assert cur["GBP"] > 25 and cur["EUR"] >= 2 and cur["USD"] >= 1
    checks = [c.credit_check for c in clients if c.credit_check]
    assert any((TODAY - k.date).days > 365 for k in checks) and any((TODAY - k.date).days < 365 for k in checks)
    assert any(c.credit_limit for c in clients)
    assert all(c.id == slugify(c.name, set()) or c.id.startswith(slugify(c.name, set())) for c in clients)
    assert sorted(c.id for c in clients) == sorted(demo.clients)


def test_histories_hold_every_situation(demo):
    ledger = derive(demo, TODAY)
    statuses = Counter(s.status for s in ledger.invoices.values())
    assert statuses["paid"] > 300 and statuses["open"] > 20 and statuses["part-paid"] >= 1 and statuses["disputed"] >= 2
    kinds = Counter(a.kind for a in demo.adjustments)
    assert kinds["credit_note"] >= 1 and kinds["write_off"] >= 1
    assert any(d.resolved is None for d in demo.disputes) and any(d.resolved for d in demo.disputes)
    assert len(demo.plans) == 1 and len(demo.plans[0].installments) == 4
    assert sum(i.amount for i in demo.plans[0].installments) == sum(
        demo.invoices[n].amount for n in demo.plans[0].invoices)
    assert any(p.unallocated > 0 for p in demo.payments)  # a client with credit
    assert any(len(p.allocations) > 1 for p in demo.payments)  # a remittance for several invoices
    steps = Counter(a.step for a in demo.activities)
    for s in POLICY.steps:
        assert steps[s.id] > 0, s.id
    assert any(c.hold for c in demo.clients.values())


def test_promises_kept_and_broken(demo):
    from receivables.report import build_report

    promises = build_report(demo, POLICY, TODAY).promises
    assert promises.kept >= 1 and promises.broken >= 1


def _lateness(book, cid, since, until):
    pays = {}
    for p in book.payments:
        for a in p.allocations:
            pays[a.invoice] = p.date
    days = [(pays[n] - i.due).days for n, i in book.invoices.items()
            if i.client == cid and n in pays and since <= i.issued < until]
    return sum(days) / len(days) if days else None


def test_the_drifting_client_pays_later_and_later(demo):
    cid = list(demo.clients)[7]
    early = _lateness(demo, cid, TODAY - timedelta(days=560), TODAY - timedelta(days=300))
    late = _lateness(demo, cid, TODAY - timedelta(days=200), TODAY)
    assert early is not None and late is not None
    assert early < 10 and late > early + 10
    from receivables.agenda import client_behaviour

    behaviour = client_behaviour(demo, POLICY, cid, TODAY)
    assert behaviour.worsening, behaviour  # the engine sees it too


def test_a_sensible_agenda_for_today():
    """Roughly 5-20 actions a day, of several kinds, whatever the seed and the weekday."""
    from receivables.agenda import build_agenda

    sizes = []
    for seed, today in [(1, TODAY), (2, date(2026, 11, 18)), (3, date(2026, 6, 3)), (4, date(2027, 3, 15)),
                        (5, date(2026, 11, 22)), (6, date(2026, 11, 24)), (7, date(2026, 11, 26))]:
        book = generate(clients=40, invoices=600, seed=seed, today=today, policy=POLICY)
        actions = build_agenda(book, POLICY, today)
        assert 4 <= len(actions) <= 25, (seed, today, [(a.client, a.kind, a.step) for a in actions])
        kinds = Counter(a.kind for a in actions)
        assert kinds["step"] >= 1 and len(kinds) >= 2, (seed, today, kinds)
        sizes.append(len(actions))
    assert 7 <= sum(sizes) / len(sizes) <= 16, sizes
    # the default demo (seed 1) on a weekday: a mix of ladder steps and other work
    book = generate(clients=40, invoices=600, seed=1, today=TODAY, policy=POLICY)
    actions = build_agenda(book, POLICY, TODAY)
    assert 5 <= len(actions) <= 20
    assert len({a.step for a in actions if a.kind == "step"}) >= 3
    assert {"promise", "dispute"} <= {a.kind for a in actions}


def test_a_larger_book_scales(demo):
    big = generate(clients=200, invoices=5000, seed=1, today=TODAY, policy=POLICY)
    assert len(big.clients) == 200 and len(big.invoices) == 5000
    assert len(big.payments) > 3500 and len(big.activities) > 5000
    assert len(big.plans) == 5 and len(big.disputes) >= 10
    assert len({c.name for c in big.clients.values()}) == 200
    assert check_book(big) == []


def test_demo_book_round_trips_through_the_store(demo, tmp_path):
    from store import init_book, open_book

    init_book(tmp_path / "b", book=demo)
    with open_book(tmp_path / "b", readonly=True) as repo:
        got = repo.book()
    assert digest(got) == digest(demo)


def test_slugify():
    assert slugify("Acme Supplies Ltd") == "acme-supplies"
    assert slugify("O'Neill & Daughters Joinery Ltd") == "oneill-daughters-joinery"
    assert slugify("Łódź Logistyka sp. z o.o.") == "lodz-logistyka"
    assert slugify("株式会社") == "client"
    assert slugify("Acme Supplies Ltd", {"acme-supplies"}) == "acme-supplies-2"
