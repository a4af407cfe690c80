"""Bank statements: OFX, camt.053 and CSV receipts matched to clients and invoices, the rest kept
as unmatched receipts; bad files refused with one line and nothing changed (tests/data/sync)."""
from __future__ import annotations

import json
from datetime import date
from decimal import Decimal as D
from pathlib import Path

import pytest

from cli.main import main
from receivables.bank import read_statement
from receivables.errors import DunError
from receivables.matching import fold, import_bank, suggest, unmatched
from receivables.policy import read_policy
from receivables.syncpolicy import BankCsv, LAYOUTS
from receivables.xero import import_xero

DATA = Path(__file__).parent / "data" / "sync"
REPO = Path(__file__).resolve().parent.parent
POLICY = read_policy(REPO / "policy.toml")


@pytest.fixture
def path(tmp_path):
    """A book after both Xero exports (tests/data/sync)."""
    from store import init_book, open_book

    p = tmp_path / "book"
    init_book(p)
    with open_book(p, today=date(2026, 3, 17)) as repo:
        for name, on in (("xero-export-2026-03-02.csv", date(2026, 3, 3)), ("xero-export-2026-03-16.csv", date(2026, 3, 17))):
            r = import_xero((DATA / name).read_bytes(), repo.book(), POLICY.defaults, name, today=on)
            repo.commit(r.records, r.updates)
    return p


def bank(path, name: str, on: date, mapping: BankCsv = POLICY.bank):
    from store import open_book

    with open_book(path, today=on) as repo:
        r = import_bank(read_statement((DATA / name).read_bytes(), name, mapping), repo.book(), on)
        repo.commit(r.records, r.updates)
        return r, repo.book()


def files(path: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in path.iterdir() if p.is_file() and p.suffix in (".json", ".journal")}


def test_ofx_certain_ambiguous_name_only_and_outgoing(path):
    r, book = bank(path, "statement-2026-03-20.ofx", date(2026, 3, 20))
    assert (len(r.matched), len(r.unmatched), r.outgoing, r.already) == (1, 2, 1, 0)
    # certain: the reference names INV-0201 (the bank dropped the hyphen)
    (pay,) = [p for p in book.payments if p.method == "bank transfer"]
    assert (pay.client, pay.amount, pay.date) == ("harbour-sons-cafe", D("1440.00"), date(2026, 3, 17))
    assert [(a.invoice, a.amount) for a in pay.allocations] == [("INV-0201", D("1440.00"))]
    # the rest waits, in the book: 360.00 equals an open invoice of two clients (never guessed);
    # KESTREL LOGISTICS is a client's name but the amount matches nothing it owes
    waiting = unmatched(book)
    assert [(x.payer, x.amount, x.date) for x in waiting] == [("J SMITH", D("360.00"), date(2026, 3, 18)),
                                                              ("KESTREL LOGISTICS", D("100.00"), date(2026, 3, 18))]
    assert [(c.client, c.points, c.invoices) for c in suggest(book, waiting[0])] == [
        ("harbour-sons-cafe", 1, ("INV-0207",)), ("kestrel-logistics", 1, ("INV-0209",))]
    assert [(c.client, c.points) for c in suggest(book, waiting[1])] == [("kestrel-logistics", 2)]
    rcp = next(x for x in book.receipts if x.payment)
    assert rcp.payment == pay.id and rcp.bank_id == "26031700012"
    assert len(book.receipts) == 3  # the debit is not kept


def test_camt053_certain_ambiguous_name_only_pending_and_outgoing(path):
    r, book = bank(path, "statement-2026-03-24.camt053.xml", date(2026, 3, 24))
    assert (len(r.matched), len(r.unmatched), r.outgoing) == (1, 2, 1)
    assert any("not booked yet (Sts PDNG)" in s for s in r.skipped)
    (pay,) = [p for p in book.payments if p.method == "bank transfer"]
    assert (pay.client, pay.amount, pay.date) == ("osprey-print", D("500.00"), date(2026, 3, 21))
    assert [(a.invoice, a.amount) for a in pay.allocations] == [("INV-0211", D("500.00"))]
    assert [(x.payer, x.amount) for x in unmatched(book)] == [("ACME FACTORING LTD", D("360.00")),
                                                               ("Harbour & Sons Cafe Ltd", D("75.00"))]
    assert next(x for x in book.receipts if x.payment).bank_id == "2026032110001"


@pytest.mark.parametrize("name, on", [("statement-2026-03-20.ofx", date(2026, 3, 20)),
                                      ("statement-2026-03-24.camt053.xml", date(2026, 3, 24))])
def test_reimporting_a_statement_changes_nothing(path, name, on):
    bank(path, name, on)
    before = files(path)
    r, _ = bank(path, name, on)
    assert (r.records, r.updates, r.matched, r.unmatched) == ([], [], [], [])
    assert r.already == 3
    assert files(path) == before


def test_overlapping_statement_imports_each_transaction_once_and_an_alias_is_needed_for_a_stranger(path):
    bank(path, "statement-2026-03-20.ofx", date(2026, 3, 20))
    r, book = bank(path, "statement-2026-03-27.ofx", date(2026, 3, 27))
    assert r.already == 1  # KESTREL LOGISTICS 100.00 was in the last statement too
    # J SMITH pays exactly INV-0213, but an amount alone is not certainty
    assert not r.matched and [x.payer for x in unmatched(book)] == ["J SMITH", "KESTREL LOGISTICS", "J SMITH"]


def test_accept_teaches_the_alias_then_the_payer_matches(path):
    from receivables.matching import accept
    from store import open_book

    bank(path, "statement-2026-03-20.ofx", date(2026, 3, 20))
    with open_book(path, today=date(2026, 3, 21)) as repo:
        book = repo.book()
        smith = unmatched(book)[0]
        records, updates = accept(book, smith, "kestrel-logistics")
        repo.commit(records, updates)
        book = repo.book()
    assert [(a.id, a.client, a.name) for a in book.aliases] == [("j smith", "kestrel-logistics", "J SMITH")]
    pay = next(p for p in book.payments if p.client == "kestrel-logistics" and p.method == "bank transfer")
    assert [(a.invoice, a.amount) for a in pay.allocations] == [("INV-0209", D("360.00"))]  # the oldest due
    assert next(x for x in book.receipts if x.id == smith.id).payment == pay.id


def test_a_reference_to_another_currencys_invoice_does_not_match(path, tmp_path):
    text = (DATA / "statement-2026-03-20.ofx").read_text().replace("INV0201 THANK YOU", "INV-0203")
    (tmp_path / "eur.ofx").write_text(text)
    st = read_statement((tmp_path / "eur.ofx").read_bytes(), "eur.ofx", POLICY.bank)
    from store import open_book

    with open_book(path, readonly=True) as repo:
        r = import_bank(st, repo.book(), date(2026, 3, 20))
    # the 1440.00 GBP names INV-0203 (EUR, Müller): not Müller's; Harbour still wins on name + amount
    assert any("-> harbour-sons-cafe INV-0201" in m for m in r.matched)
    assert not any("muller" in m for m in r.matched)


def test_csv_with_a_named_mapping(path):
    r, book = bank(path, "bank-generic.csv", date(2026, 3, 24), LAYOUTS["generic"].__class__(**{
        **{f: getattr(LAYOUTS["generic"], f) for f in LAYOUTS["generic"].__slots__}, "currency": "GBP"}))
    assert (len(r.matched), len(r.unmatched), r.outgoing) == (1, 2, 1)
    r2, _ = bank(path, "bank-generic.csv", date(2026, 3, 24), POLICY.bank)
    assert r2.already == 3 and not r2.records


@pytest.mark.parametrize("name, words", [
    ("not-a-statement.txt", "is neither OFX, camt.053 nor a CSV with the [bank] columns"),
    ("bad-usd.camt053.xml", "Ntry 1 (AcctSvcrRef 2026032110001): is in USD, the currency of no client"),
    ("bad-outgoing-only.ofx", "holds only outgoing transactions"),
    ("bad-duplicate-fitid.ofx", "transaction 2 (FITID 26031700012): repeats the id"),
    ("bank-comma.csv", "row 2 (amount): '500,00' uses ',' as the decimal separator but the mapping says '.'"),
    ("bad-entity.camt053.xml", "is not safe, well-formed XML (EntitiesForbidden"),
    ("bad-entity.ofx", "is not safe OFX: it declares a DTD or entities (<!DOCTYPE"),
])
def test_bad_statements_one_line_nothing_changed(path, capsys, name, words):
    before = files(path)
    code = main(["import", "bank", str(DATA / name), "--book", str(path), "--on", "2026-03-25"])
    out, err = capsys.readouterr()
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and words in err and err.startswith(f"dun: {name}")
    assert files(path) == before


def test_a_reimported_fitid_with_another_amount_is_refused(path, tmp_path):
    bank(path, "statement-2026-03-20.ofx", date(2026, 3, 20))
    text = (DATA / "statement-2026-03-20.ofx").read_text().replace("<TRNAMT>1440.00", "<TRNAMT>1404.00")
    (tmp_path / "s.ofx").write_text(text)
    from store import open_book

    with open_book(path, readonly=True) as repo, pytest.raises(DunError) as e:
        import_bank(read_statement((tmp_path / "s.ofx").read_bytes(), "s.ofx", POLICY.bank), repo.book(), date(2026, 3, 21))
    assert "of a receipt imported from statement-2026-03-20.ofx with a different amount" in str(e.value)


def test_cli_import_json_receipts_list_match_and_the_sync_first_line(path, capsys):
    assert main(["import", "bank", str(DATA / "statement-2026-03-20.ofx"), "--book", str(path), "--on", "2026-03-20",
                 "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert (len(got["matched"]), len(got["unmatched"]), got["outgoing"]) == (1, 2, 1)
    assert main(["receipts", "--book", str(path), "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    kestrel = next(x for x in listed if x["payer"] == "KESTREL LOGISTICS")
    assert kestrel["suggestions"][0]["client"] == "kestrel-logistics"
    # Wednesday 2026-03-25: the bank import (Friday 03-20) is 3 business days old, Xero's (03-17) 6
    assert main(["agenda", "--book", str(path), "--on", "2026-03-25"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Sync first: the last bank import was 2026-03-20 (3 business days ago); the last Xero "
                          "import was 2026-03-17 (6 business days ago); 2 bank receipts unmatched.")
    assert main(["receipts", "match", kestrel["id"], "kestrel-logistics", "--invoice", "INV-0210", "--book", str(path),
                 "--on", "2026-03-25"]) == 0
    assert "-> INV-0210 100.00" in capsys.readouterr().out
    assert main(["agenda", "--book", str(path), "--on", "2026-03-25", "--json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out) and err.startswith("dun: Sync first: the last bank import was 2026-03-20")
    assert main(["agenda", "--book", str(path), "--on", "2026-03-24"]) == 0  # Tuesday: the bank is in step
    assert capsys.readouterr().out.startswith("Sync first: the last Xero import was 2026-03-17 (5 business days "
                                              "ago); 1 bank receipt unmatched.")


def test_the_command_reads_only_the_clients_the_evidence_names_and_matches_them_all(path, tmp_path):
    text = (DATA / "statement-2026-03-20.ofx").read_text()
    text = text.replace("INV0201 THANK YOU", "INV-0209").replace("<NAME>J SMITH\n<MEMO>PAYMENT", "<NAME>OSPREY\n<MEMO>INV-0211")
    text = text.replace("<TRNAMT>360.00", "<TRNAMT>500.00").replace("<TRNAMT>1440.00", "<TRNAMT>360.00")
    (tmp_path / "s.ofx").write_text(text)
    assert main(["import", "bank", str(tmp_path / "s.ofx"), "--book", str(path), "--on", "2026-03-20"]) == 0
    from store import open_book

    with open_book(path, readonly=True) as repo:
        pays = sorted((p.client, p.allocations[0].invoice, p.amount) for p in repo.book().payments
                      if p.method == "bank transfer")
    assert pays == [("kestrel-logistics", "INV-0209", D("360.00")), ("osprey-print", "INV-0211", D("500.00"))]


def test_sync_state_counts_business_days():
    from receivables.model import SyncMark
    from receivables.syncstate import sync_state

    weekday = lambda d: d.weekday() < 5  # noqa: E731
    fri = date(2026, 3, 20)
    assert not sync_state([SyncMark("bank", fri)], [], date(2026, 3, 24), 2, weekday).warn  # Mon, Tue
    assert sync_state([SyncMark("bank", fri)], [], date(2026, 3, 25), 2, weekday).stale == (("bank", fri, 3),)
    assert not sync_state([], [], date(2026, 3, 25), 2, weekday).warn  # never imported: nothing to say
    from receivables.model import Receipt

    waiting = [Receipt("RCP-1", fri, D("5.00"), "GBP"), Receipt("RCP-2", fri, D("5.00"), "GBP", payment="PAY-1")]
    assert sync_state([], waiting, fri, 2, weekday).line() == "1 bank receipt is unmatched: match it before chasing."
    waiting.append(Receipt("RCP-3", fri, D("7.00"), "GBP"))
    assert sync_state([], waiting, fri, 2, weekday).line() == "2 bank receipts are unmatched: match them before chasing."


def test_payer_names_are_compared_loosely():
    assert fold("Harbour & Sons Café Ltd") == fold("HARBOUR AND SONS CAFE LIMITED") == "harbour sons cafe"
    assert fold("Müller GmbH") == "muller"


def test_bank_policy_problems_are_named():
    from receivables.policy import parse_policy

    _, problems = parse_policy({"bank": {"layout": "lloyds"}})
    assert problems[0].where.endswith("bank.layout") and "unknown layout 'lloyds'" in problems[0].message
    _, problems = parse_policy({"bank": {"date": "Date", "amount": "Amount", "decimal": ";", "delimiter": ";"}})
    assert any(p.where.endswith("bank.decimal") for p in problems)


def test_a_batch_of_payments_is_checked_in_order_with_the_same_rules(path):
    from receivables.model import Allocation, Payment
    from store import open_book

    def pay(n: int, amount: str, invoice: str = "INV-0209") -> Payment:
        return Payment(f"PAY-B{n}", date(2026, 3, 20), "kestrel-logistics", D(amount), "GBP", "bank transfer", "",
                       (Allocation(invoice, D(amount)),))

    before = files(path)
    with open_book(path, today=date(2026, 3, 20)) as repo:
        # 200 + 200 on an invoice owing 360: the second is refused, and so the whole batch
        with pytest.raises(DunError) as e:
            repo.commit([pay(1, "200.00"), pay(2, "200.00")])
        assert "record 2" in str(e.value) and "200.00 is more than the 160.00 still owed" in str(e.value)
        with pytest.raises(DunError) as e:
            repo.commit([pay(3, "10.00", "INV-0211")])  # Osprey's invoice
        assert "no invoice 'INV-0211' for client 'kestrel-logistics'" in str(e.value)
    assert files(path) == before


def test_csv_layouts_starling_and_a_declared_comma_decimal(tmp_path):
    from dataclasses import replace

    starling = ("Date,Counter Party,Reference,Type,Amount (GBP),Balance (GBP),Spending Category,Notes\n"
                "21/03/2026,OSPREY PRINT,INV-0211,FASTER PAYMENT,500.00,18750.55,INCOME,\n"
                "24/03/2026,MILL LANE ESTATES,RENT APRIL,STANDING ORDER,-1200.00,17550.55,BILLS,\n")
    st = read_statement(starling.encode(), "starling.csv", LAYOUTS["starling"])
    assert [(t.date, t.amount, t.payer, t.text) for t in st.txns] == [
        (date(2026, 3, 21), D("500.00"), "OSPREY PRINT", "INV-0211 FASTER PAYMENT"),
        (date(2026, 3, 24), D("-1200.00"), "MILL LANE ESTATES", "RENT APRIL STANDING ORDER")]
    german = BankCsv(date="Buchungstag", amount="Betrag", description="Buchungstext", reference="Verwendungszweck",
                     payer="Beguenstigter/Zahlungspflichtiger", date_format="%d.%m.%Y", decimal=",", delimiter=";",
                     currency="EUR")
    text = ("Buchungstag;Buchungstext;Verwendungszweck;Beguenstigter/Zahlungspflichtiger;Betrag\n"
            "12.03.2026;GUTSCHRIFT;RE INV-0203;Müller Präzision GmbH;1.000,00\n")
    with pytest.raises(DunError) as e:  # a thousands separator is not a plain amount
        read_statement(text.encode(), "de.csv", german)
    assert "de.csv row 2 (Betrag)" in str(e.value)
    st = read_statement(text.replace("1.000,00", "1000,00").encode(), "de.csv", german)
    assert [(t.amount, t.currency, t.date) for t in st.txns] == [(D("1000.00"), "EUR", date(2026, 3, 12))]
    with pytest.raises(DunError) as e:
        read_statement(text.replace("1.000,00", "1000.00").encode(), "de.csv", german)
    assert "uses '.' as the decimal separator but the mapping says ','" in str(e.value)
    with pytest.raises(DunError) as e:
        read_statement(text.replace("12.03.2026", "2026-03-12").encode(), "de.csv", replace(german, decimal=","))
    assert "is not a date in the form '%d.%m.%Y'" in str(e.value)


def test_open_items_kept_up_to_date_equal_those_worked_out_afresh(path):
    from receivables.imports import apply
    from receivables.matching import OpenItems
    from receivables.model import Allocation, Payment
    from store import open_book

    with open_book(path, readonly=True) as repo:
        book = repo.book()
    items = OpenItems(book)
    pays = []
    for n, (cid, inv, amount) in enumerate([("harbour-sons-cafe", "INV-0207", "360.00"),
                                            ("kestrel-logistics", "INV-0209", "100.00"),
                                            ("kestrel-logistics", "INV-0209", "260.00"),
                                            ("osprey-print", "INV-0212", "0.01")]):
        alloc = (Allocation(inv, D(amount)),)
        items.paid(cid, alloc)
        pays.append(Payment(f"PAY-B{n}", date(2026, 3, 20), cid, D(amount), "GBP", allocations=alloc))
    fresh = OpenItems(apply(book, pays))

    def state(x):
        return ({k: v for k, v in x.owed.items() if v > 0}, {k: v for k, v in x.by_client.items() if v},
                {k: v for k, v in x.amount_invs.items() if v}, {k: v for k, v in x.amount_clients.items() if v},
                {k: v for k, v in x.balance.items() if v}, {k: v for k, v in x.balance_clients.items() if v})

    assert state(items) == state(fresh)
    assert items.amount_of("kestrel-logistics", "GBP", D("250.00")) == "INV-0210"
    assert items.amount_of("osprey-print", "GBP", D("179.99")) == "INV-0212"


def test_a_receipt_must_name_a_payment_that_is_there(path):
    from receivables.model import Receipt
    from store import open_book

    with open_book(path, today=date(2026, 3, 20)) as repo, pytest.raises(DunError) as e:
        repo.commit([Receipt("RCP-x", date(2026, 3, 20), D("5.00"), "GBP", payment="PAY-Bnope")])
    assert "names payment 'PAY-Bnope', which is not in the book" in str(e.value)


def test_a_date_outside_the_window_is_refused_and_long_text_is_cut(path, tmp_path):
    text = (DATA / "statement-2026-03-20.ofx").read_text()
    (tmp_path / "old.ofx").write_text(text.replace("<DTPOSTED>20260318", "<DTPOSTED>18990318", 1))
    with pytest.raises(DunError) as e:
        read_statement((tmp_path / "old.ofx").read_bytes(), "old.ofx", POLICY.bank)
    assert "old.ofx transaction 2 (FITID 26031800007) DTPOSTED" in str(e.value) and "outside the dates" in str(e.value)
    (tmp_path / "long.ofx").write_text(text.replace("<MEMO>PAYMENT", "<MEMO>REMITTANCE " + "X" * 2000))
    from store import open_book

    with open_book(path, today=date(2026, 3, 20)) as repo:
        r = import_bank(read_statement((tmp_path / "long.ofx").read_bytes(), "long.ofx", POLICY.bank), repo.book(),
                        date(2026, 3, 20))
        repo.commit(r.records, r.updates)
        smith = next(x for x in repo.book().receipts if x.payer == "J SMITH")
    assert len(smith.text) == 500 and smith.text.startswith("REMITTANCE XXX")


def test_a_receipt_with_no_candidate_says_how_to_match_it(path, capsys):
    stranger = path.parent / "stranger.csv"
    stranger.write_text("date,amount,description,reference,payer\n"
                        "2026-03-20,77.77,Faster payment,thanks,NOBODY WE KNOW\n", encoding="utf-8")
    assert main(["import", "bank", str(DATA / "statement-2026-03-20.ofx"), "--book", str(path), "--on", "2026-03-20"]) == 0
    assert main(["import", "bank", str(stranger), "--book", str(path), "--on", "2026-03-20"]) == 0
    capsys.readouterr()
    assert main(["receipts", "--book", str(path), "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert main(["receipts", "--book", str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [x for x in listed if x["suggestions"]] and [x for x in listed if not x["suggestions"]]
    for x in listed:
        at = next(i for i, line in enumerate(lines) if line.startswith(x["id"]))
        after = lines[at + 1] if at + 1 < len(lines) else ""
        if x["suggestions"]:
            assert not after.startswith("    no candidate")
        else:
            assert after == f"    no candidate: dun receipts match {x['id']} CLIENT (or ignore it)"


def test_the_same_credit_twice_in_a_camt_statement_with_no_bank_id_is_two_receipts(path, tmp_path):
    """Two credits of the same day, amount, payer and text, with no AcctSvcrRef and an
    EndToEndId of NOTPROVIDED (common), became one receipt: the other one's money was lost,
    not even counted as imported before. The CSV reader counted such repeats already."""
    text = (DATA / "statement-2026-03-24.camt053.xml").read_text()
    start, end = text.index("<Ntry>"), text.index("</Ntry>") + len("</Ntry>")
    entry = """<Ntry><Amt Ccy="GBP">42.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
        <BookgDt><Dt>2026-03-21</Dt></BookgDt><NtryDtls><TxDtls><Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs>
        <RltdPties><Dbtr><Nm>ALPHA TRADING</Nm></Dbtr></RltdPties><RmtInf><Ustrd>hello</Ustrd></RmtInf></TxDtls>
        </NtryDtls></Ntry>"""
    (tmp_path / "twice.xml").write_text(text[:start] + entry + entry + text[end:])
    st = read_statement((tmp_path / "twice.xml").read_bytes(), "twice.xml", POLICY.bank)
    twins = [t for t in st.txns if t.amount == D("42.00")]
    assert len(twins) == 2 and twins[0].key != twins[1].key
    again = read_statement((tmp_path / "twice.xml").read_bytes(), "twice.xml", POLICY.bank)
    assert [t.key for t in again.txns] == [t.key for t in st.txns]  # the same keys every time: imported once
    from store import open_book

    on = date(2026, 3, 24)
    with open_book(path, today=on) as repo:
        r = import_bank(st, repo.book(), on)
        repo.commit(r.records, r.updates)
        assert sum(1 for u in r.unmatched if "42.00" in u) == 2
        r2 = import_bank(again, repo.book(), on)
        assert not r2.records and r2.already == len(st.txns) - r2.outgoing


def test_a_statement_of_zero_amounts_is_not_called_outgoing(tmp_path):
    """A zero-amount credit was refused as "holds only outgoing transactions"."""
    text = (DATA / "bad-outgoing-only.ofx").read_text()
    amounts = __import__("re").findall(r"<TRNAMT>([^<\n]+)", text)
    assert amounts
    zeroed = text.replace(f"<TRNAMT>{amounts[0]}", "<TRNAMT>0.00", 1)
    st = read_statement(zeroed.encode(), "zero.ofx", POLICY.bank)
    with pytest.raises(DunError) as e:
        import_bank(st, __import__("receivables.model", fromlist=["Book"]).Book(), date(2026, 3, 24))
    assert "no money received" in str(e.value) and "of zero amount" in str(e.value)


def _omega_book(tmp_path, paid_x2: bool = True):
    book = tmp_path / "omega"
    assert main(["init", str(book)]) == 0
    (tmp_path / "c.csv").write_text("id,name,email,phone,terms_days,credit_limit,currency\n"
                                    "omega,Omega Ltd,a@omega.example,,30,,GBP\n", encoding="utf-8")
    (tmp_path / "i.csv").write_text("number,client,issued,due,amount,currency,reference\n"
                                    "XR-102,omega,2026-09-01,2026-10-01,100.00,GBP,\n"
                                    "XR-103,omega,2026-09-01,2026-10-01,60.00,GBP,\n"
                                    "INV-2001,omega,2026-09-02,2026-10-02,300.00,GBP,\n", encoding="utf-8")
    on = ["--book", str(book), "--on", "2026-12-04"]
    assert main(["import", "clients", str(tmp_path / "c.csv"), *on]) == 0
    assert main(["import", "invoices", str(tmp_path / "i.csv"), *on]) == 0
    if paid_x2:  # as a Xero import records it: XR-102 paid in full
        assert main(["pay", "omega", "100.00", "--invoice", "XR-102", *on]) == 0
    return book, on


def test_a_receipt_naming_an_invoice_already_paid_waits_instead_of_paying_another(tmp_path, capsys):
    """Xero first, then the bank (the order README recommends): the bank's receipt for XR-102,
    which the Xero import had already recorded as paid, was put on XR-103 because the payer and
    the amount fitted it, so the same money counted twice and XR-103 was never chased."""
    from store import open_book

    book, on = _omega_book(tmp_path)
    (tmp_path / "b.csv").write_text("date,amount,description,reference,payer\n"
                                    "2026-12-03,60.00,FASTER PAYMENT,XR-102,OMEGA LTD\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["import", "bank", str(tmp_path / "b.csv"), *on]) == 0
    out = capsys.readouterr().out
    assert "0 matched, 1 unmatched" in out and "names paid XR-102" in out
    with open_book(book, readonly=True) as repo:
        b = repo.book()
        assert [p.amount for p in b.payments] == [D("100.00")]  # nothing put on XR-103
        assert [r.amount for r in unmatched(b)] == [D("60.00")]


def test_a_reference_with_a_space_finds_the_invoice(tmp_path, capsys):
    """README: letters and digits compared; a bank writing 'INV 2001' found no reference."""
    from store import open_book

    book, on = _omega_book(tmp_path, paid_x2=False)
    (tmp_path / "b.csv").write_text("date,amount,description,reference,payer\n"
                                    "2026-12-03,300.00,FASTER PAYMENT,INV 2001,J SMITH\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["import", "bank", str(tmp_path / "b.csv"), *on]) == 0
    assert "1 matched" in capsys.readouterr().out
    with open_book(book, readonly=True) as repo:
        (pay,) = repo.book().payments
        assert [(a.invoice, a.amount) for a in pay.allocations] == [("INV-2001", D("300.00"))]


def test_an_xml_ofx_with_a_dtd_is_refused_and_the_same_file_without_one_is_read():
    """An OFX 2.x file declaring <!ENTITY f "..."> was read, its '&f;' kept as the payer's
    name (camt.053 with the same DTD is refused: bank files are untrusted)."""
    text = (DATA / "bad-entity.ofx").read_text()
    with pytest.raises(DunError) as e:
        read_statement(text.encode(), "bad-entity.ofx", POLICY.bank)
    assert str(e.value).count("\n") == 0 and "<!DOCTYPE" in str(e.value)
    plain = text[:text.index("<!DOCTYPE")] + text[text.index("]>") + 3:]
    st = read_statement(plain.replace("&f;", "KESTREL LOGISTICS").encode(), "ok.ofx", POLICY.bank)
    assert [t.payer for t in st.txns][:3] == ["KESTREL LOGISTICS", "J SMITH", "KESTREL LOGISTICS"]
    sgml = (DATA / "statement-2026-03-20.ofx").read_text().replace("<OFX>", '<!ENTITY f "x">\n<OFX>')
    with pytest.raises(DunError, match="is not safe OFX"):
        read_statement(sgml.encode(), "sgml.ofx", POLICY.bank)


def test_ofx_character_references_in_a_payer_and_a_memo_are_decoded_and_nothing_else():
    """SGML OFX writes '&' as '&amp;': 'Alice &amp; Bob' was stored as such and matched no
    client named 'Alice & Bob'. The five XML entities and numeric references are decoded;
    anything else ('&f;', '&copy;', a bare '&') stays as the bank wrote it."""
    text = (DATA / "statement-2026-03-20.ofx").read_text()
    text = text.replace("<NAME>HARBOUR SONS CAFE", "<NAME>Alice &amp; Bob &#38; &#x26; &lt;Ltd&gt;")
    text = text.replace("<MEMO>INV0201 THANK YOU", "<MEMO>&quot;INV0201&quot; &apos;ta&apos; &amp;amp; &f; &copy; R&D &#0; &#xD800;")
    st = read_statement(text.encode(), "s.ofx", POLICY.bank)
    t = st.txns[0]
    assert t.payer == "Alice & Bob & & <Ltd>"
    assert t.text == "\"INV0201\" 'ta' &amp; &f; &copy; R&D &#0; &#xD800;"


def test_a_utf16_statement_is_named_as_such_not_sent_to_save_a_csv():
    """An OFX saved as UTF-16 (a byte-order mark, two bytes a character) was taken for a CSV
    and told to "save it as 'CSV UTF-8'"."""
    text = (DATA / "statement-2026-03-20.ofx").read_text()
    for data in (text.encode("utf-16"), text.encode("utf-16-be").join((b"\xfe\xff", b""))):
        with pytest.raises(DunError) as e:
            read_statement(data, "stmt.ofx", POLICY.bank)
        assert "UTF-16" in str(e.value) and "CSV UTF-8" not in str(e.value) and "\n" not in str(e.value)
    assert read_statement(text.encode(), "stmt.ofx", POLICY.bank).txns


def test_a_receipt_dated_before_an_invoice_is_not_put_on_it(tmp_path, capsys):
    """A statement covering earlier weeks: money that came before an invoice was issued is not
    that invoice's payment (the book now refuses such a payment, and the whole statement with it)."""
    from store import open_book

    book, on = _omega_book(tmp_path, paid_x2=False)
    (tmp_path / "b.csv").write_text("date,amount,description,reference,payer\n"
                                    "2026-08-20,300.00,FASTER PAYMENT,INV 2001,OMEGA LTD\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["import", "bank", str(tmp_path / "b.csv"), *on]) == 0
    with open_book(book, readonly=True) as repo:
        b = repo.book()
        assert all(a.invoice != "INV-2001" for p in b.payments for a in p.allocations)
        assert not any(p.allocations for p in b.payments)
