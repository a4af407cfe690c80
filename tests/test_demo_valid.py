"""Issue 16 item 11: a demo book is valid for every seed and size. `dun demo --clients 300
--invoices 20000 --seed 3` made a book that failed its own check (a part payment and a later
credit note settled INV-004062 for more than it was invoiced)."""
from __future__ import annotations

from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from receivables.demo import generate
from receivables.policy import read_policy
from receivables.validate import check_book

from .conftest import REPO
from .hostile_support import run

POLICY = read_policy(REPO / "policy.toml")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32), clients=st.integers(1, 60), invoices=st.integers(0, 800),
       day=st.integers(0, 3650))
def test_every_demo_book_passes_check(seed, clients, invoices, day):
    on = date(2022, 1, 1) + timedelta(days=day)
    book = generate(clients=clients, invoices=invoices, seed=seed, today=on, policy=POLICY)
    assert check_book(book) == []


def test_the_reported_seed_passes_check_through_the_store(tmp_path, capsys):
    """The exact case of the report, as the owner runs it: dun demo, then dun check."""
    path = tmp_path / "demo"
    code, out, err = run(capsys, "demo", path, "--clients", "300", "--invoices", "20000", "--seed", "3",
                         "--on", "2026-12-02")
    assert code == 0, err
    code, out, err = run(capsys, "check", "--book", path)
    assert code == 0, out + err
    assert "the book is consistent" in out


def test_the_demo_never_e_mails_a_client_without_an_e_mail_address():
    """Its e-mail steps for such a client went by post, as dun mail would have made them."""
    book = generate(clients=40, invoices=600, seed=1, today=date(2026, 12, 3),
                    policy=read_policy(REPO / "policy.toml"))
    no_address = {cid for cid, c in book.clients.items() if not c.email}
    assert no_address
    mine = [a for a in book.activities if a.client in no_address and a.direction == "out"]
    assert not [a for a in mine if a.channel == "email"]
    assert any(a.channel == "letter" and a.step in ("courtesy", "reminder", "second-reminder") for a in mine)
