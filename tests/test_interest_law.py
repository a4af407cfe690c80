"""Interest and charges checked against the law's own texts and worked examples, with the
rate tables shipped in policy.toml (receivables/interest.py quotes the articles)."""
from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal as D
from pathlib import Path

import pytest

from receivables.errors import DunError
from receivables.interest import client_interest, invoice_interest
from receivables.ledger import derive, index_book
from receivables.model import Allocation, Book, Client, Invoice, Payment
from receivables.policy import InterestPolicy, Policy, ReferenceRate, load_policy, parse_policy

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def shipped() -> Policy:
    policy, problems = load_policy(REPO / "policy.toml")
    assert problems == []
    return policy


def _uk(shipped):
    return shipped.interest


def _eu(shipped):
    return replace(shipped.interest, regime="eu-late-payment", reference="ecb",
                   reference_rates=shipped.interest.table("ecb"))


def _book(amount, due, currency="GBP", payments=(), issued=None):
    c = Client("C1", "Client", currency, 30)
    inv = Invoice("I1", "C1", issued or due, due, currency, D(amount))
    pays = tuple(Payment(f"P{k}", d, "C1", D(a), currency, allocations=(Allocation("I1", D(a)),))
                 for k, (d, a) in enumerate(payments))
    return Book(clients={"C1": c}, invoices={"I1": inv}, payments=pays)


def _interest(book, asof, ip):
    idx = index_book(book)
    st = derive(idx, asof).invoices["I1"]
    return invoice_interest(st, idx.settlements.get("I1", ()), ip, asof)


# -- the UK rule: SI 2002/1675 art. 4 ------------------------------------------------------

def test_govuk_worked_example_rounded_once_at_the_end():
    """gov.uk: £1,000 owed, base rate 0.5%: 8.5% a year = £85; "after 50 days" — gov.uk
    rounds the daily figure first (23p x 50 = £11.50); dun rounds once, at the end, half-up to
    the penny: 1000 x 8.5% x 50 / 365 = 11.6438... = £11.64 (the exact figure, no per-day error)."""
    ip = InterestPolicy(regime="uk-late-payment", margin=D(8), reference="boe",
                        reference_rates=(ReferenceRate(date(2009, 3, 5), D("0.50")),))
    r = _interest(_book("1000.00", date(2016, 1, 31)), date(2016, 3, 21), ip)  # 50 days after the due date
    assert r.days == 50 and r.rate == D("8.50")
    assert r.interest == D("11.64")
    # the daily figure gov.uk shows: 85 / 365 = 0.2329 -> 23p
    assert (D(85) / 365).quantize(D("0.01")) == D("0.23")


def test_debt_due_30_june_takes_the_rate_of_that_30_june(shipped):
    # due 30 Jun 2025: interest starts 1 Jul 2025; Bank Rate in force on 30 Jun 2025 was 4.25%
    r = _interest(_book("10000.00", date(2025, 6, 30)), date(2025, 7, 30), _uk(shipped))
    assert (r.days, r.rate, r.interest) == (30, D("12.25"), D("100.68"))  # keyed on the due date it was £104.79
    assert r.compensation == D("100.00")  # s.5A: £10,000 or more
    assert (r.start, r.end) == (date(2025, 7, 1), date(2025, 7, 30))


def test_debt_due_31_december_takes_the_rate_of_that_31_december(shipped):
    # due 31 Dec 2025: interest starts 1 Jan 2026; Bank Rate on 31 Dec 2025 was 3.75% (cut 18 Dec 2025)
    r = _interest(_book("10000.00", date(2025, 12, 31)), date(2026, 1, 30), _uk(shipped))
    assert (r.days, r.rate, r.interest) == (30, D("11.75"), D("96.58"))  # 10000 x 11.75% x 30/365 = 96.575


def test_shipped_bank_rate_table_gives_the_half_year_reference_rates(shipped):
    from receivables.interest import annual_rate

    ip = _uk(shipped)
    # interest starting in: H1 2020 (31 Dec 2019: 0.75), H2 2020 and 2021 (0.10), H1 2022 (0.25), H2 2022 (1.25)
    expect = {date(2020, 3, 1): "8.75", date(2020, 8, 1): "8.10", date(2021, 3, 1): "8.10",
              date(2021, 9, 1): "8.10", date(2022, 3, 1): "8.25", date(2022, 9, 1): "9.25",
              date(2026, 3, 1): "11.75"}
    for due, rate in expect.items():
        assert annual_rate(due, ip) == D(rate), due


def test_a_day_before_the_table_is_refused_naming_the_table(shipped):
    r = _interest(_book("1000.00", date(2018, 3, 1)), date(2018, 4, 1), _uk(shipped))
    assert r.interest == 0 and r.segments == ()
    assert "[[interest.rates.boe]]" in r.error and "2017-12-31" in r.error and "extend" in r.error
    assert "\n" not in r.error
    assert r.compensation == D("70.00")  # the fixed sum needs no rate


# -- the EU rule: half-year by half-year ---------------------------------------------------

def test_eu_rate_moves_half_year_by_half_year(shipped):
    """€10,000 due 15 Mar 2023, as of 15 Sep 2023, ECB MRO + 8: 16 Mar-30 Jun (107 days) at
    2.50 + 8 (rate in force 1 Jan 2023) and 1 Jul-15 Sep (77 days) at 4.00 + 8 (1 Jul 2023):
    10000 x (10.5% x 107 + 12% x 77) / 365 = 560.958... = €560.96 (frozen at the due date: €529.32)."""
    r = _interest(_book("10000.00", date(2023, 3, 15), "EUR"), date(2023, 9, 15), _eu(shipped))
    assert r.interest == D("560.96")
    assert [(g.start, g.end, g.days, g.rate) for g in r.segments] == [
        (date(2023, 3, 16), date(2023, 6, 30), 107, D("10.50")),
        (date(2023, 7, 1), date(2023, 9, 15), 77, D("12.00"))]
    assert r.compensation == D("40.00")  # art. 6: EUR 40


def test_basiszinssatz_table_gives_the_german_figure(shipped):
    """The same debt on the Basiszinssatz (BGB §247: 1.62 from 1 Jan 2023, 3.12 from 1 Jul 2023)
    + 8 gives €516.60, not €560.96: the Basiszinssatz is 3.62 moved by the ECB rate's changes
    since 2002, so it sits 0.88 points below the ECB rate."""
    ip = replace(_eu(shipped), reference="basiszins", reference_rates=shipped.interest.table("basiszins"))
    r = _interest(_book("10000.00", date(2023, 3, 15), "EUR"), date(2023, 9, 15), ip)
    assert [g.rate for g in r.segments] == [D("9.62"), D("11.12")]
    assert r.interest == D("516.60")  # 10000 x (9.62% x 107 + 11.12% x 77) / 365 = 516.597


def test_eu_debt_over_two_half_years_with_a_part_payment_between(shipped):
    # €5,000 due 15 Nov 2023; €2,000 paid 10 Jan 2024; as of 20 Feb 2024.
    # 16 Nov-31 Dec 2023: 46 days on 5000 at 4.00 + 8 (ECB rate in force on 1 Jul 2023)
    # 1 Jan-10 Jan 2024: 10 days on 5000 at 4.50 + 8 (1 Jan 2024) — the payment day still on 5000
    # 11 Jan-20 Feb 2024: 41 days on 3000 at 12.50
    book = _book("5000.00", date(2023, 11, 15), "EUR", payments=[(date(2024, 1, 10), "2000.00")])
    r = _interest(book, date(2024, 2, 20), _eu(shipped))
    assert [(g.start, g.end, g.basis, g.rate) for g in r.segments] == [
        (date(2023, 11, 16), date(2023, 12, 31), D("5000.00"), D("12.00")),
        (date(2024, 1, 1), date(2024, 1, 10), D("5000.00"), D("12.50")),
        (date(2024, 1, 11), date(2024, 2, 20), D("3000.00"), D("12.50"))]
    # (5000 x 46 x 12 + 5000 x 10 x 12.5 + 3000 x 41 x 12.5) / 36500 = 134.863...
    assert r.interest == D("134.86")
    # frozen at the due date's half-year (12%) it would be 5000 x 56 + 3000 x 41 at 12% = 132.49
    assert r.interest != ((D(5000 * 56) + D(3000 * 41)) * 12 / 36500).quantize(D("0.01"))
    # over 30 Jun 2024 the rate moves to 4.25 + 8 = 12.25 for the second half-year
    r = _interest(book, date(2024, 7, 10), _eu(shipped))
    assert r.segments[-1].start == date(2024, 7, 1) and r.segments[-1].rate == D("12.25")
    assert r.segments[-2].end == date(2024, 6, 30) and r.segments[-2].rate == D("12.50")
    # 5000 x 46 x 12 + 5000 x 10 x 12.5 + 3000 x 172 x 12.5 + 3000 x 10 x 12.25, / 36500 = 279.5205...
    assert r.interest == D("279.52")


# -- compensation only in the regime's currency --------------------------------------------

def test_the_uk_fixed_sum_is_set_by_the_debt_that_ran_late(shipped):
    """Act s.5A(2): the sum is £40 "for a debt less than £1000", £70 from £1,000, £100 from
    £10,000, once statutory interest begins to run. A £1,200 invoice with £300 paid by its due
    date ran late on £900 (the interest runs on £900): £40, not the £70 of the invoice's total."""
    due = date(2025, 5, 31)
    part = _interest(_book("1200.00", due, payments=[(date(2025, 5, 20), "300.00")]), date(2025, 6, 30), _uk(shipped))
    assert part.compensation == D("40.00") and part.segments[0].basis == D("900.00")
    whole = _interest(_book("1200.00", due), date(2025, 6, 30), _uk(shipped))
    assert whole.compensation == D("70.00")
    # paid down after the due date: the debt when interest began is the whole £10,500
    after = _interest(_book("10500.00", due, payments=[(date(2025, 6, 10), "1000.00")]), date(2025, 6, 30),
                      _uk(shipped))
    assert after.compensation == D("100.00")
    on_due = _interest(_book("10500.00", due, payments=[(due, "1000.00")]), date(2025, 6, 30), _uk(shipped))
    assert on_due.compensation == D("70.00")  # £9,500 ran late


def test_compensation_refused_for_another_currency_unless_the_policy_names_it(shipped):
    book = _book("3500.00", date(2026, 1, 31), "EUR")
    r = _interest(book, date(2026, 3, 1), _uk(shipped))  # UK regime, euro invoice
    assert r.compensation == 0
    assert "compensation not computed" in r.compensation_note and "GBP" in r.compensation_note
    assert "[interest.compensation]" in r.compensation_note
    assert r.interest > 0  # interest itself is still due
    ip = replace(_uk(shipped), compensation=(("EUR", D("45.00")),))
    assert _interest(book, date(2026, 3, 1), ip).compensation == D("45.00")


def test_policy_refuses_an_explicit_sum_in_the_regime_currency():
    doc = {"interest": {"regime": "uk-late-payment", "rates": {"boe": [{"from": date(2020, 1, 1), "rate": "1"}]},
                        "compensation": {"GBP": "50.00"}}}
    policy, problems = parse_policy(doc)
    assert policy is None and "interest.compensation.GBP" in problems[0].where


def test_policy_refuses_a_fixed_sum_with_more_decimals_than_its_currency():
    """JPY "5000.5" became 5001 and USD "50.005" 50.01, without a word from dun check."""
    for cur, amount in (("JPY", "5000.5"), ("USD", "50.005")):
        doc = {"interest": {"regime": "uk-late-payment", "rates": {"boe": [{"from": date(2020, 1, 1), "rate": "1"}]},
                            "compensation": {cur: amount}}}
        policy, problems = parse_policy(doc)
        assert policy is None and problems[0].where.endswith(f"interest.compensation.{cur}")
        assert f"more decimals than {cur} allows" in problems[0].message
    doc["interest"]["compensation"] = {"USD": "50.00", "JPY": "5000"}
    assert parse_policy(doc)[1] == []


# -- tables in the policy ------------------------------------------------------------------

def test_each_regime_reads_its_own_table_and_old_policies_still_load():
    boe = [{"from": date(2020, 1, 1), "rate": "1.00"}]
    ecb = [{"from": date(2020, 1, 1), "rate": "0.00"}]
    p, _ = parse_policy({"interest": {"regime": "eu-late-payment", "rates": {"boe": boe, "ecb": ecb}}})
    assert p.interest.reference == "ecb" and p.interest.reference_rates[0].rate == D("0.00")
    # the single table of older policies is the Bank of England's
    p, probs = parse_policy({"interest": {"regime": "uk-late-payment", "reference_rates": boe}})
    assert probs == [] and p.interest.reference == "boe" and p.interest.reference_rates[0].rate == D("1.00")
    p, probs = parse_policy({"interest": {"regime": "eu-late-payment", "reference_rates": boe}})
    assert p is None and probs[0].where.endswith("interest.rates.ecb")
    assert "Bank of England" in probs[0].hint


# -- claims --------------------------------------------------------------------------------

def _claim_book(shipped, tmp_path):
    from store import init_book, open_book

    path = tmp_path / "book"
    init_book(path)
    repo = open_book(path, today=date(2025, 8, 1))
    repo.add_client(Client("acme", "Acme Ltd", "GBP", 30))
    repo.add_invoice(Invoice("INV-1", "acme", date(2025, 5, 31), date(2025, 6, 30), "GBP", D("10000.00")))
    return path, repo


def test_a_claim_is_posted_once_and_interest_stops_on_the_claimed_period(shipped, tmp_path):
    from receivables.claims import plan_claim

    path, repo = _claim_book(shipped, tmp_path)
    policy = repo.policy()
    on = date(2025, 7, 30)
    plan = plan_claim(derive(repo.client_book("acme"), on), policy, "acme", on)
    [doc] = repo.post_charges(list(plan.documents))
    assert doc.number == "CHG-000001" and doc.kind == "charge" and doc.currency == "GBP"
    interest, comp = doc.charges
    assert (interest.kind, interest.invoice, interest.amount) == ("interest", "INV-1", D("100.68"))
    assert (interest.start, interest.end, interest.segments[0].rate) == (date(2025, 7, 1), on, D("12.25"))
    assert (comp.kind, comp.amount) == ("compensation", D("100.00"))
    assert doc.amount == D("200.68") and doc.due == date(2025, 8, 13)
    assert "Late Payment of Commercial Debts" in doc.note
    # the same period again: nothing to claim, nothing posted
    with pytest.raises(DunError, match="nothing to claim"):
        plan_claim(derive(repo.client_book("acme"), on), policy, "acme", on)
    # a stale plan for the same period is refused by the store
    with pytest.raises(DunError, match="already claim"):
        repo.post_charges(list(plan.documents))
    # ten days later: only the ten new days, no second compensation
    later = date(2025, 8, 9)
    book = repo.client_book("acme")
    assert client_interest(derive(book, later), policy, "acme")["INV-1"].days == 10
    [doc2] = plan_claim(derive(book, later), policy, "acme", later).documents
    assert [(c.kind, c.start, c.end) for c in doc2.charges] == [("interest", date(2025, 7, 31), later)]
    assert doc2.charges[0].amount == D("33.56")  # 10000 x 12.25% x 10 / 365 = 33.56
    # the charge document is an invoice like any other: it is owed, and carries no interest itself
    st = derive(book, date(2025, 9, 30)).invoices["CHG-000001"]
    assert st.outstanding == D("200.68") and st.days_overdue > 0
    assert "CHG-000001" not in client_interest(derive(book, date(2025, 9, 30)), policy, "acme")
    repo.close()
    from store import open_book

    with open_book(path, readonly=True) as again:  # saved and read back
        assert again.get_invoice("CHG-000001").charges == doc.charges
        assert again.check() == []


def test_dun_claim_cli_dry_run_json_then_post(shipped, tmp_path, capsys):
    from cli.main import main

    path, repo = _claim_book(shipped, tmp_path)
    repo.close()
    argv = ["claim", "acme", "--book", str(path), "--on", "2025-07-30"]
    assert main(argv + ["--dry-run", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["posted"] is False and out["documents"][0]["number"] is None
    line = out["documents"][0]["lines"][0]
    assert line == {"kind": "interest", "invoice": "INV-1", "amount": "100.68", "start": "2025-07-01",
                    "end": "2025-07-30", "days": 30,
                    "segments": [{"start": "2025-07-01", "end": "2025-07-30", "days": 30, "basis": "10000.00",
                                  "rate": "12.25"}]}
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "posted CHG-000001" in text and "200.68 GBP" in text and "at 12.25%" in text
    assert main(argv) == 1
    assert "nothing to claim" in capsys.readouterr().err
    assert main(["claim", "acme", "--book", str(path), "--invoice", "NOPE"]) == 1
    assert "no invoice 'NOPE'" in capsys.readouterr().err


def test_dun_check_and_claim_refuse_a_day_before_the_table(tmp_path, capsys):
    from cli.main import main
    from store import init_book, open_book

    path = tmp_path / "book"
    init_book(path)
    with open_book(path, today=date(2018, 6, 1)) as repo:
        repo.add_client(Client("old", "Old Ltd", "GBP", 30))
        repo.add_invoice(Invoice("OLD-1", "old", date(2018, 1, 1), date(2018, 1, 31), "GBP", D("500.00")))
    assert main(["--on", "2018-06-01", "check", "--book", str(path)]) == 1
    out = capsys.readouterr().out
    assert "invoice OLD-1 (old): interest not computed" in out and "[[interest.rates.boe]]" in out
    assert main(["claim", "old", "--book", str(path), "--on", "2018-06-01"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "[[interest.rates.boe]]" in err


# -- fees ----------------------------------------------------------------------------------

def test_a_step_fee_is_posted_when_the_step_is_done_and_only_once(tmp_path, capsys):
    from cli.main import main
    from store import open_book

    path, repo = _claim_book(None, tmp_path)
    repo.close()
    pol = path / "policy.toml"
    text = pol.read_text()
    pol.write_text(text.replace('template = "reminder"\n', 'template = "reminder"\nfee = "15.00"\n', 1))
    argv = ["note", "acme", "Reminder sent", "--book", str(path), "--on", "2025-07-02", "--step", "reminder"]
    assert main(argv) == 0
    assert "posted CHG-000001: reminder fee 15.00 GBP, due 2025-07-16" in capsys.readouterr().out
    with open_book(path, readonly=True) as r:
        docs = [i for i in r.book().invoices.values() if i.kind == "charge"]
    assert len(docs) == 1
    [fee] = docs[0].charges
    assert (fee.kind, fee.step, fee.amount, fee.invoices) == ("fee", "reminder", D("15.00"), ("INV-1",))
    assert docs[0].amount == D("15.00") and docs[0].issued == date(2025, 7, 2)
    # logging the same step again on the same invoice posts no second fee
    assert main(argv + ["--invoice", "INV-1"]) == 0
    with open_book(path, readonly=True) as r:
        assert sum(1 for i in r.book().invoices.values() if i.kind == "charge") == 1
    # a skipped step posts none
    assert main(["note", "acme", "skip", "--book", str(path), "--on", "2025-07-12", "--step", "call",
                 "--outcome", "skipped"]) == 0
    pol.write_text(pol.read_text().replace('template = "call"\n', 'template = "call"\nfee = "20.00"\n', 1))
    assert main(["note", "acme", "skip", "--book", str(path), "--on", "2025-07-12", "--step", "call",
                 "--outcome", "skipped", "--invoice", "INV-1"]) == 0
    with open_book(path, readonly=True) as r:
        assert sum(1 for i in r.book().invoices.values() if i.kind == "charge") == 1
        # the fee document is an invoice on the ladder and in the report like any other
        st = derive(r.book(), date(2025, 8, 1)).invoices[docs[0].number]
        assert st.outstanding == D("15.00") and st.days_overdue == 16  # due 16 Jul: 14 days after 2 Jul


# -- statements and messages show the rate, the period and the basis ----------------------

def test_statement_and_message_show_rate_period_and_basis(shipped):
    from publish.messages import draft_for_action
    from publish.statements import render_statement_html, statement_data
    from receivables.agenda import build_agenda

    policy = replace(shipped, interest=replace(shipped.interest, charge=True))
    book = Book(clients={"acme": Client("acme", "Acme Ltd", "GBP", 30)},
                invoices={"INV-1": Invoice("INV-1", "acme", date(2025, 5, 31), date(2025, 6, 30), "GBP", D("10000.00")),
                          "OLD-1": Invoice("OLD-1", "acme", date(2017, 12, 1), date(2017, 12, 31), "GBP", D("500.00"))})
    on = date(2025, 7, 30)
    s = statement_data(book, policy, "acme", on, find_action=False)
    items = {it.number: it for it in s.sections[0].items}
    assert items["INV-1"].interest == D("100.68") and items["INV-1"].compensation == D("100.00")
    assert items["INV-1"].interest_detail == "12.25% on £10,000.00, 1 Jul 2025 – 30 Jul 2025 (30 days)"
    # (the statement is the client's: no figure for OLD-1's interest, and not the owner's to-do
    # of extending the rate table, which it printed before)
    assert items["OLD-1"].interest == 0 and items["OLD-1"].interest_detail == ""
    html = render_statement_html(s)
    assert "12.25% on £10,000.00" in html and "Late Payment of Commercial Debts (Interest) Act 1998" in html
    # (one contact for the client: both invoices in the one message, at OLD-1's final notice)
    drafts = {a.invoices: draft_for_action(a, book, policy, on).text for a in build_agenda(book, policy, on)}
    text = drafts[("OLD-1", "INV-1")]
    assert "interest £100.68 (12.25% on £10,000.00, 1 Jul 2025 – 30 Jul 2025 (30 days)), compensation £100.00" in text
    assert "Late Payment of Commercial Debts (Interest) Act 1998" in text
    # the owner's to-do (extend the rate table) never goes into a message to the client
    assert "policy.toml" not in text and "compensation £40.00" in text
    # OLD-1's interest is not computed: the letter names no figure for it (it said "interest
    # £0.00", telling the debtor none was owed)
    assert "interest £0.00" not in text and "Invoice OLD-1" in text


def _paid_late_book() -> tuple[Book, date]:
    """S1 (£1,022) paid 30 days late, S2 (£2,000) still open; the date to look on."""
    due = date(2025, 5, 31)
    book = Book(clients={"acme": Client("acme", "Acme Ltd", "GBP", 30)},
                invoices={"S1": Invoice("S1", "acme", date(2025, 5, 1), due, "GBP", D("1022.00")),
                          "S2": Invoice("S2", "acme", date(2025, 5, 1), due, "GBP", D("2000.00"))},
                payments=(Payment("P1", date(2025, 6, 30), "acme", D("1022.00"), "GBP",
                                  allocations=(Allocation("S1", D("1022.00")),)),))
    return book, date(2025, 7, 15)


def test_interest_on_an_invoice_paid_late_is_on_the_statement_and_in_its_total(shipped):
    """`dun client show` counted interest and compensation on an invoice paid late; the
    statement left them out of its rows and its "Total due" (£2,101.44 for £2,182.15)."""
    from publish.statements import render_statement_html, statement_data
    from receivables.interest import client_interest

    policy = replace(shipped, interest=replace(shipped.interest, charge=True))
    book, on = _paid_late_book()
    every = client_interest(derive(book, on), policy, "acme")
    owed = sum((r.interest + r.compensation for r in every.values()), D(0))
    s = statement_data(book, policy, "acme", on, find_action=False)
    (sec,) = s.sections
    items = {it.number: it for it in sec.items}
    assert set(items) == {"S1", "S2"} and items["S1"].outstanding == 0
    assert items["S1"].interest == every["S1"].interest > 0 and items["S1"].compensation == D("70.00")
    assert sec.total_due == D("2000.00") + owed
    assert sum((a for _, a in sec.aging), D(0)) == D("2000.00")
    assert "paid late" in render_statement_html(s)


def test_a_posted_claim_shows_on_the_statement_as_an_open_item_with_its_lines(shipped):
    from publish.statements import render_statement_html, statement_data
    from receivables.claims import plan_claim

    policy = replace(shipped, interest=replace(shipped.interest, charge=True))
    inv = Invoice("INV-1", "acme", date(2025, 5, 31), date(2025, 6, 30), "GBP", D("10000.00"))
    book = Book(clients={"acme": Client("acme", "Acme Ltd", "GBP", 30)}, invoices={"INV-1": inv})
    [doc] = plan_claim(derive(book, date(2025, 7, 30)), policy, "acme", date(2025, 7, 30)).documents
    doc = replace(doc, number="CHG-000001")
    book = replace(book, invoices={"INV-1": inv, doc.number: doc})
    s = statement_data(book, policy, "acme", date(2025, 8, 9), find_action=False)
    items = {it.number: it for it in s.sections[0].items}
    assert items["CHG-000001"].outstanding == D("200.68") and items["CHG-000001"].interest == 0
    assert items["CHG-000001"].details == (
        "Interest on invoice INV-1 2025-07-01–2025-07-30: 30 days on 10000.00 GBP at 12.25%: £100.68",
        "Fixed-sum compensation on invoice INV-1: £100.00")
    # INV-1 now accrues only from the day after the claimed period: 10 days, no second compensation
    assert items["INV-1"].interest == D("33.56") and items["INV-1"].compensation == 0
    assert "31 Jul 2025 – 9 Aug 2025 (10 days)" in items["INV-1"].interest_detail
    assert s.sections[0].total_due == D("10000.00") + D("200.68") + D("33.56")
    assert "Fixed-sum compensation on invoice INV-1: £100.00" in render_statement_html(s)


def test_the_published_statement_has_the_invoice_paid_late_as_the_mailed_one_does(shipped, tmp_path):
    """The site's statement was made from the client's open invoices only: its total due left
    out the interest and compensation still owed on an invoice paid late (£341.35 for £422.99
    in a tester's book), while the statement attached to an e-mail counted them."""
    from publish.formatting import money
    from publish.site import file_names, publish
    from publish.statements import statement_data

    policy = replace(shipped, interest=replace(shipped.interest, charge=True))
    book, on = _paid_late_book()
    (sec,) = statement_data(book, policy, "acme", on, find_action=False).sections
    assert sec.total_due > D("2000.00")
    publish(book, policy, on, tmp_path / "site", pdf=False)
    html = (tmp_path / "site" / "clients" / f"{file_names(book.clients)['acme']}.html").read_text("utf-8")
    assert "paid late" in html and "S1" in html
    assert money(sec.total_due, "GBP", "en_GB") in html


def test_a_claim_posted_later_claims_nothing_yet_on_a_day_before_it(shipped):
    """Seen as of a day before a claim was posted, the invoice showed interest and
    compensation 0 ("already claimed"): every charge document counted, whatever its date."""
    from receivables.claims import plan_claim
    from receivables.interest import client_interest

    policy = replace(shipped, interest=replace(shipped.interest, charge=True))
    inv = Invoice("P-2", "acme", date(2026, 1, 1), date(2026, 1, 31), "GBP", D("1200.00"))
    book = Book(clients={"acme": Client("acme", "Acme Ltd", "GBP", 30)}, invoices={"P-2": inv},
                payments=(Payment("P1", date(2026, 1, 20), "acme", D("300.00"), "GBP",
                                  allocations=(Allocation("P-2", D("300.00")),)),))
    before = client_interest(derive(book, date(2026, 5, 1)), policy, "acme")["P-2"]
    # 900 x 11.75% x 90/365 (1 February to 1 May, both counted) = 26.075
    assert before.interest == D("26.08") and before.compensation == D("40.00")
    [doc] = plan_claim(derive(book, date(2026, 6, 30)), policy, "acme", date(2026, 6, 30)).documents
    book = replace(book, invoices={"P-2": inv, "CHG-1": replace(doc, number="CHG-1")})
    again = client_interest(derive(book, date(2026, 5, 1)), policy, "acme")["P-2"]
    assert (again.interest, again.compensation) == (before.interest, before.compensation)
    assert "P-2" not in client_interest(derive(book, date(2026, 6, 30)), policy, "acme")  # (claimed by then)


def test_client_show_says_which_interest_is_not_computed_instead_of_a_silent_zero(book_dir, capsys):
    """A UK invoice due in July 2018 takes the rate of 30 June 2018, before the shipped table's
    first entry: `dun client show` printed its interest as 0.00 without a word (and --json a
    plain "0.00"), understating what the client owed."""
    import json

    from cli.main import main
    from store import open_book

    with open_book(book_dir, today=date(2026, 12, 4)) as repo:
        repo.add_client(Client("part", "Part Ltd", "GBP", 30))
        repo.add_invoice(Invoice("OLD-1", "part", date(2018, 5, 1), date(2018, 7, 31), "GBP", D("500.00")))
    assert main(["--book", str(book_dir), "--on", "2026-12-04", "client", "show", "part", "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)["invoices"]
    assert row["not_computed"] and "[[interest.rates.boe]]" in row["not_computed"]
    assert main(["--book", str(book_dir), "--on", "2026-12-04", "client", "show", "part"]) == 0
    out = capsys.readouterr().out
    assert "OLD-1: interest not computed" in out, out


def test_a_rate_table_ending_long_before_the_day_is_pointed_out(shipped, book_dir, capsys):
    """The shipped Bank of England table ends with the decision of 18 December 2025; a year
    later nothing said so, while every debt starting to run since took its last rate."""
    from cli.main import main
    from receivables.interest import stale_rate_table

    newest = max(r.start for r in shipped.interest.reference_rates)
    assert stale_rate_table(shipped, newest + timedelta(days=183)) == ""
    line = stale_rate_table(shipped, newest + timedelta(days=184))
    assert "[[interest.rates.boe]]" in line and newest.isoformat() in line
    on = (newest + timedelta(days=300)).isoformat()
    assert main(["--book", str(book_dir), "--on", on, "check"]) == 0  # (a warning, not a problem)
    err = capsys.readouterr().err
    assert f"warning: the newest entry of [[interest.rates.boe]] (Bank of England Bank Rate) is from {newest}" in err


def test_a_claim_without_a_fixed_sum_does_not_quote_one(shipped):
    """An EU claim on a USD invoice (no fixed sum in USD) quoted "Interest for late payment and
    the fixed sum of EUR 40 are claimed under Directive 2011/7/EU"."""
    from receivables.claims import plan_claim

    eu = replace(shipped, interest=replace(shipped.interest, regime="eu-late-payment", reference="ecb",
                                           reference_rates=shipped.interest.table("ecb"), charge=True))
    book = Book(clients={"usd": Client("usd", "Usd Inc", "USD", 30)},
                invoices={"U-1": Invoice("U-1", "usd", date(2025, 1, 1), date(2025, 1, 31), "USD", D("1000.00"))})
    on = date(2025, 6, 30)
    [doc] = plan_claim(derive(book, on), eu, "usd", on).documents
    assert [c.kind for c in doc.charges] == ["interest"]
    assert "EUR 40" not in doc.note and "Directive 2011/7/EU" in doc.note
    eur = replace(book, clients={"usd": Client("usd", "Usd Inc", "EUR", 30)},
                  invoices={"U-1": replace(book.invoices["U-1"], currency="EUR")})
    [doc] = plan_claim(derive(eur, on), eu, "usd", on).documents
    assert "fixed sum of EUR 40" in doc.note


def test_nothing_to_claim_because_the_late_invoice_is_disputed_says_so(shipped):
    """The claim said "already claimed, or no invoice is late" while the only late invoice was
    disputed (and its interest showed in the client's panel)."""
    from receivables.claims import plan_claim
    from receivables.errors import DunError
    from receivables.model import Dispute

    book = Book(clients={"acme": Client("acme", "Acme Ltd", "GBP", 30)},
                invoices={"I-1": Invoice("I-1", "acme", date(2026, 1, 1), date(2026, 1, 31), "GBP", D("1000.00"))},
                disputes=(Dispute("D-1", "I-1", "acme", "never ordered", date(2026, 2, 10)),))
    on = date(2026, 3, 31)
    with pytest.raises(DunError) as e:
        plan_claim(derive(book, on), shipped, "acme", on)
    assert "disputed (I-1)" in e.value.problem.message and "resolve the dispute" in e.value.problem.hint
    assert plan_claim(derive(book, on), shipped, "acme", on, ["I-1"]).documents  # (named: claimed all the same)


def test_every_letter_before_action_claims_exactly_its_clients_other_invoices_paid_late(shipped):
    """The paid-late rows a final notice or hand-over claims are worked out once per client and
    currency on a day, then each action leaves out its own invoices: for every such action of a
    demo book (clients with several of them included) they are what working them out afresh
    for that action gives."""
    from collections import Counter

    from receivables.demo import generate
    from receivables.engine import derivation
    from receivables.interest import claims_index, late_results
    from receivables.ledger import invoice_state

    on = date(2026, 12, 5)
    policy = shipped
    book = generate(clients=5, invoices=800, seed=1, today=on)
    d = derivation(book, policy, on)
    ledger = derive(book, on)
    claims = claims_index(book, on)
    per_client: Counter = Counter()
    for cid in book.clients:
        _, due = d.start(cid)
        for action, ctx in zip(due.actions, due.contexts):
            if not ctx.get("paid_late"):
                continue
            per_client[cid] += 1
            expect = []
            for inv in sorted((i for i in book.invoices.values() if i.client == cid), key=lambda i: (i.due, i.number)):
                if inv.currency != ctx["currency"] or inv.number in action.invoices or inv.due >= on:
                    continue
                ss = ledger.index.settlements.get(inv.number, ())
                st = invoice_state(inv, ss, on, False)
                if st.outstanding > 0:
                    continue
                for n, r in late_results((st,), ledger.index.settlements, policy.interest, on, claims).items():
                    if r.interest or r.compensation:
                        expect.append((n, r.interest, r.compensation))
            got = [(row["number"], row["interest_result"].interest, row["interest_result"].compensation)
                   for row in ctx["paid_late"]]
            assert got == expect, (cid, action)
    assert per_client and max(per_client.values()) >= 2  # (a client with two such actions on the day)
