"""An exported charge document (``dun claim``, a step's fee) imports back as a charge
document: the copy claims nothing twice (before, it came back as an ordinary invoice that
claimed the interest again, counted the compensation again and earned interest and a
fixed sum of its own)."""
from __future__ import annotations

import json
from datetime import date
from decimal import Decimal as D

import pytest

from cli.main import main
from receivables.imports import ImportRejected, import_invoices
from receivables.model import Book, Charge, Client, InterestSegment, Invoice

ON = "2026-12-04"


def _run(capsys, bookdir, *argv):
    code = main(["--book", str(bookdir), *argv])
    out, err = capsys.readouterr()
    assert code == 0, err
    return out, err


def _figures(capsys, bookdir) -> dict:
    view = json.loads(_run(capsys, bookdir, "client", "show", "part", "--on", ON, "--json")[0])
    keep = ("balance", "overdue", "credit", "interest", "compensation")
    return {**{k: view[k] for k in keep},
            "invoices": [(i["number"], i["outstanding"], i["interest"], i["compensation"]) for i in view["invoices"]]}


def test_export_and_import_into_an_empty_book_claims_nothing_twice(tmp_path, capsys):
    src, dst = tmp_path / "src", tmp_path / "dst"
    (tmp_path / "c.csv").write_text("id,name,email,phone,terms_days,credit_limit,currency\npart,Part Ltd,a@part.example,,30,,GBP\n")
    (tmp_path / "i.csv").write_text("number,client,issued,due,amount,currency,reference\n"
                                    "P-1,part,2026-01-01,2026-01-31,1000.00,GBP,\nP-2,part,2026-02-01,2026-03-03,500.00,GBP,\n")
    _run(capsys, src, "init")
    _run(capsys, src, "import", "clients", str(tmp_path / "c.csv"))
    _run(capsys, src, "import", "invoices", str(tmp_path / "i.csv"))
    _run(capsys, src, "pay", "part", "300", "--invoice", "P-1", "--on", "2026-03-15")
    _run(capsys, src, "claim", "part", "--on", "2026-06-30")  # CHG-000001: interest to 30 June, both fixed sums
    _run(capsys, src, "pay", "part", "100", "--invoice", "CHG-000001", "--on", "2026-07-20")
    before = _figures(capsys, src)
    for kind in ("clients", "invoices", "payments"):
        _run(capsys, src, "export", kind, "--out", str(tmp_path / f"ex_{kind}.csv"))
    assert "CHG-000001,part,2026-06-30,2026-07-14,167.10,GBP,,charge," in (tmp_path / "ex_invoices.csv").read_text()
    _run(capsys, dst, "init")
    for kind in ("clients", "invoices", "payments"):
        _run(capsys, dst, "import", kind, str(tmp_path / f"ex_{kind}.csv"))
    after = _figures(capsys, dst)
    assert before["compensation"] == "0.00" and after == before
    # the copy is the same claim: the same period again is refused, as in the original
    code = main(["--book", str(dst), "claim", "part", "--on", "2026-06-30"])
    capsys.readouterr()
    assert code != 0
    # importing the same file again changes nothing
    out, _ = _run(capsys, dst, "import", "invoices", str(tmp_path / "ex_invoices.csv"))
    assert "added nothing new; 3 already in the book" in out


def _book():
    return Book(clients={"part": Client("part", "Part Ltd", "GBP", 30)},
                invoices={"P-1": Invoice("P-1", "part", date(2026, 1, 1), date(2026, 1, 31), "GBP", D("1000.00"))})


HEAD = "number,client,issued,due,amount,currency,reference"


def test_a_row_in_the_charge_series_without_its_charges_is_refused():
    # an export from before charge documents were exported whole: it would be an invoice
    text = f"{HEAD}\nCHG-000001,part,2026-06-30,2026-07-14,162.47,GBP,\n"
    with pytest.raises(ImportRejected) as e:
        import_invoices(text, _book())
    assert "CHG-000001" in str(e.value) and "charge document" in str(e.value)


def test_a_charge_row_is_checked_like_a_posted_one():
    charges = json.dumps([{"kind": "compensation", "amount": "70.00", "invoice": "P-1"}])
    good = f"{HEAD},kind,charges,note\nCHG-000001,part,2026-06-30,2026-07-14,70.00,GBP,,charge,\"{charges.replace(chr(34), 2 * chr(34))}\",s.5A\n"
    got = import_invoices(good, _book()).records
    assert got == (Invoice("CHG-000001", "part", date(2026, 6, 30), date(2026, 7, 14), "GBP", D("70.00"),
                           kind="charge", charges=(Charge("compensation", D("70.00"), "P-1"),), note="s.5A"),)
    with pytest.raises(ImportRejected, match="do not add up"):
        import_invoices(good.replace(",70.00,GBP", ",80.00,GBP"), _book())
    with pytest.raises(ImportRejected, match="unknown invoice"):
        import_invoices(good.replace('""P-1""', '""P-9""'), _book())


def test_interest_and_fee_lines_survive_the_csv_cell():
    from receivables.chargecsv import charges_from_text, charges_text

    lines = (Charge("interest", D("37.95"), "P-1", date(2026, 2, 1), date(2026, 6, 30),
                    (InterestSegment(date(2026, 2, 1), date(2026, 3, 15), D("1000.00"), D("11.75")),
                     InterestSegment(date(2026, 3, 16), date(2026, 6, 30), D("700.00"), D("11.75")))),
             Charge("fee", D("10.00"), "P-1", step="final", invoices=("P-1", "P-2")))
    assert charges_from_text(charges_text(lines, "GBP"), "GBP") == lines


def test_a_hostile_charges_cell_is_one_error_never_a_crash():
    """A cell nested thousands of lists deep made json.loads raise RecursionError, which is
    not a user error: it escaped as a traceback."""
    import pytest

    from receivables.chargecsv import charges_from_text
    from receivables.errors import DunError

    for cell in ("[" * 60000 + "]" * 60000, '{"kind": "interest"}', "[1, 2]", '[{"kind": "fee", "amount": -1}]', "nan"):
        with pytest.raises(DunError):
            charges_from_text(cell, "GBP")



def _interest_row(amount=None, start="2026-02-01", mid="2026-03-15", end="2026-06-30", basis="700.00",
                  issued="2026-06-30"):
    """A charge row of interest on P-1 (due 2026-01-31) in two segments; its amount, unless
    given, what the segments give."""
    from datetime import timedelta

    from receivables.interest import segments_interest

    after = (date.fromisoformat(mid) + timedelta(days=1)).isoformat()
    segs = [{"start": start, "end": mid, "basis": "1000.00", "rate": "11.75"},
            {"start": after, "end": end, "basis": basis, "rate": "11.75"}]
    if amount is None:
        amount = str(segments_interest([InterestSegment(date.fromisoformat(g["start"]), date.fromisoformat(g["end"]),
                                                        D(g["basis"]), D(g["rate"])) for g in segs], "GBP"))
    charges = json.dumps([{"kind": "interest", "amount": amount, "invoice": "P-1", "start": start, "end": end,
                           "segments": segs}])
    return (f"{HEAD},kind,charges,note\nCHG-000001,part,{issued},2026-07-14,{amount},GBP,,charge,"
            f"\"{charges.replace(chr(34), 2 * chr(34))}\",s.4\n")


def test_imported_interest_is_checked_against_its_own_working_and_the_law():
    """An imported charge document was checked for overlapping periods only: interest from
    2026-11-12 to 2100-12-31 for 0.01, days on or before the due date, or any amount at all
    for the days claimed, went into the book and onto statements."""
    from receivables.claims import check_charge_document

    # the worked example: 1,000.00 for 43 days and 700.00 for 107 days at 11.75%, rounded once:
    # (1000 x 11.75 x 43 + 700 x 11.75 x 107) / 100 / 365 = 37.954... = 37.95
    (doc,) = import_invoices(_interest_row(), _book()).records
    assert doc.amount == D("37.95") and check_charge_document(doc) == []
    for row, words in [
        (_interest_row(amount="99.99"), "its amount 99.99 is not what its segments give (37.95"),
        (_interest_row(amount="0.01"), "not what its segments give"),
        (_interest_row(start="2026-01-31"), "from the day after the due date 2026-01-31"),
        (_interest_row(end="2100-12-31"), "up to the document's date 2026-06-30"),
        (_interest_row(basis="1500.00"), "more than P-1's amount"),
    ]:
        with pytest.raises(ImportRejected) as e:
            import_invoices(row, _book())
        assert words in str(e.value), str(e.value)
