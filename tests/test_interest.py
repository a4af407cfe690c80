from datetime import date
from decimal import Decimal as D

import pytest

from receivables.interest import (
    RateMissing, annual_rate, client_interest, compensation, interest_totals, invoice_interest, reference_date,
)
from receivables.ledger import derive, index_book
from receivables.model import Allocation, Book, Client, Invoice, Payment
from receivables.policy import InterestPolicy, Policy, ReferenceRate

RATES = (
    ReferenceRate(date(2024, 8, 1), D("5.00")),
    ReferenceRate(date(2024, 11, 7), D("4.75")),
    ReferenceRate(date(2025, 2, 6), D("4.50")),
    ReferenceRate(date(2025, 5, 8), D("4.25")),
    ReferenceRate(date(2025, 8, 7), D("4.00")),
)
UK = InterestPolicy(regime="uk-late-payment", margin=D(8), reference_rates=RATES)
EU = InterestPolicy(regime="eu-late-payment", margin=D(8), reference_rates=RATES)


def _book(amount="1000.00", due=date(2026, 3, 15), payments=(), currency="GBP"):
    c = Client("C1", "Client", currency, 30)
    inv = Invoice("I1", "C1", date(2026, 2, 13), due, currency, D(amount))
    pays = tuple(
        Payment(f"P{k}", d, "C1", D(a), currency, allocations=(Allocation("I1", D(a)),))
        for k, (d, a) in enumerate(payments)
    )
    return Book(clients={"C1": c}, invoices={"I1": inv}, payments=pays)


def _interest(book, asof, ip=UK):
    idx = index_book(book)
    st = derive(idx, asof).invoices["I1"]
    return invoice_interest(st, idx.settlements.get("I1", ()), ip, asof)


def test_rate_is_fixed_by_the_half_year_interest_starts():
    assert reference_date(date(2026, 3, 15)) == date(2025, 12, 31)
    assert reference_date(date(2025, 7, 10)) == date(2025, 6, 30)
    assert annual_rate(date(2026, 3, 15), UK) == D("12.00")  # 4.00 in force on 31 Dec 2025 (this table)
    assert annual_rate(date(2025, 7, 10), UK) == D("12.25")  # 4.25 in force on 30 Jun 2025
    # due 30 June: interest starts 1 July, so the rate in force on that 30 June (SI 2002/1675 art. 4)
    assert reference_date(date(2025, 6, 30)) == date(2025, 6, 30)
    assert annual_rate(date(2025, 6, 30), UK) == D("12.25")
    assert annual_rate(date(2025, 6, 29), UK) == D("12.75")  # 4.75 in force on 31 Dec 2024
    with pytest.raises(RateMissing):  # before the table: refused, never the earliest rate
        annual_rate(date(2024, 1, 10), UK)
    assert annual_rate(date(2026, 3, 15), InterestPolicy(regime="contract", annual_rate=D("6"))) == D("6")
    assert annual_rate(date(2026, 3, 15), InterestPolicy()) == D(0)


def test_no_interest_on_the_due_date_then_daily_from_the_day_after():
    book = _book()
    r = _interest(book, date(2026, 3, 15))
    assert (r.interest, r.compensation, r.days) == (D("0.00"), D("0.00"), 0)
    r = _interest(book, date(2026, 3, 16))
    assert r.days == 1
    assert r.interest == D("0.33")  # 1000 x 12% / 365 = 0.3288
    assert r.rate == D("12.00")
    assert r.compensation == D("70.00")  # UK band for 1,000 up to 9,999.99
    r = _interest(book, date(2026, 4, 14))
    assert r.days == 30 and r.interest == D("9.86")  # 1000 x 0.12 x 30 / 365 = 9.863


def test_partial_payments_split_the_periods():
    book = _book(payments=[(date(2026, 3, 25), "400.00")])
    r = _interest(book, date(2026, 4, 14))
    # 10 days on 1000 + 20 days on 600 = 22000 day-pounds x 0.12 / 365 = 7.2329
    assert r.interest == D("7.23")
    assert r.days == 30


def test_payment_before_due_reduces_the_principal():
    book = _book(payments=[(date(2026, 3, 1), "900.00")])
    r = _interest(book, date(2026, 4, 14))
    assert r.interest == D("0.99")  # 100 x 0.12 x 30 / 365 = 0.986


def test_rounded_once_at_the_end_not_per_period():
    # 3 days on 1000 = 0.98630 (0.99 alone) + 1 day on 300 = 0.09863 (0.10 alone):
    # rounding per period would give 1.09; rounding once gives 1.08
    book = _book(payments=[(date(2026, 3, 18), "700.00")])
    assert _interest(book, date(2026, 3, 19)).interest == D("1.08")


def test_interest_stops_at_full_payment_and_compensation_stays():
    book = _book(payments=[(date(2026, 3, 25), "1000.00")])
    r = _interest(book, date(2026, 6, 1))
    assert r.days == 10
    assert r.interest == D("3.29")  # 1000 x 0.12 x 10 / 365 = 3.2877
    assert r.compensation == D("70.00")


def test_paid_on_time_owes_nothing():
    book = _book(payments=[(date(2026, 3, 15), "1000.00")])
    r = _interest(book, date(2026, 6, 1))
    assert (r.interest, r.compensation) == (D("0.00"), D("0.00"))


@pytest.mark.parametrize("amount,uk", [
    ("999.99", 40), ("1000.00", 70), ("9999.99", 70), ("10000.00", 100), ("250000.00", 100), ("10.00", 40),
])
def test_compensation_bands(amount, uk):
    assert compensation(D(amount), "uk-late-payment") == D(uk)
    assert compensation(D(amount), "eu-late-payment") == D(40)
    assert compensation(D(amount), "contract") == D(0)
    assert compensation(D(amount), "none") == D(0)
    r = _interest(_book(amount=amount), date(2026, 3, 20))
    assert r.compensation == D(uk)
    assert _interest(_book(amount=amount, currency="EUR"), date(2026, 3, 20), EU).compensation == D(40)


def test_regime_none_gives_zeros_and_contract_has_no_compensation():
    book = _book()
    r = _interest(book, date(2026, 12, 31), InterestPolicy())
    assert (r.interest, r.compensation, r.rate, r.days) == (0, 0, 0, 0)
    r = _interest(book, date(2026, 4, 14), InterestPolicy(regime="contract", annual_rate=D("6")))
    assert r.interest == D("4.93")  # 1000 x 0.06 x 30 / 365 = 4.9315
    assert r.compensation == 0


def test_client_interest_and_totals_and_ledger_call_form():
    book = _book(payments=[(date(2026, 3, 25), "400.00")])
    policy = Policy(interest=UK)
    ledger = derive(book, date(2026, 4, 14))
    res = client_interest(ledger, policy, "C1")
    assert set(res) == {"I1"}
    assert res["I1"].interest == D("7.23")
    assert interest_totals(res) == {"GBP": (D("7.23"), D("70.00"))}
    assert invoice_interest(ledger, policy, "I1", date(2026, 4, 14)) == res["I1"]
    # the ledger form derives the state for another date when asked
    assert invoice_interest(ledger, policy, "I1", date(2026, 3, 15)).interest == 0
    assert client_interest(ledger, Policy(), "C1") == {}
