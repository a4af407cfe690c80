"""Stored documents <-> records: every field of every record kind comes back as it went in, and
the records the store builds in bulk (``receivables.model.record_maker``) are the very records
their class's own constructor makes: same class, equality, hash, repr, still frozen."""
from __future__ import annotations

import dataclasses
import pickle
from datetime import date
from decimal import Decimal

import pytest

from receivables.model import (
    Activity,
    Adjustment,
    Allocation,
    Book,
    Charge,
    Client,
    Contact,
    CreditCheck,
    Dispute,
    Installment,
    InterestSegment,
    Invoice,
    InvoiceLine,
    Payment,
    PaymentPlan,
    PayerAlias,
    PromiseToPay,
    Receipt,
    SyncMark,
    record_maker,
)
from receivables.errors import DunError
from store import codec

D1, D2, D3 = date(2026, 1, 2), date(2026, 2, 3), date(2026, 3, 4)

# one record of each stored kind, every field set to something other than its default
EVERY_FIELD = [
    Client("acme", "Acme Ltd", "EUR", 14, (Contact("Ann", "ann@acme.example", "+44 1", "Owner"),), "1 Road\nTown",
           Decimal("5000.00"), CreditCheck(D1, "Creditsafe", "A"), "de_DE", ("vip", "north"), True, "in dispute"),
    Invoice("INV-1", "acme", D1, D2, "EUR", Decimal("119.00"), Decimal("19.00"),
            (InvoiceLine("Work", Decimal("2.5"), Decimal("40.00"), Decimal("100.00")),), "PO 7", "charge",
            (Charge("interest", Decimal("3.10"), "INV-0", D1, D2, (InterestSegment(D1, D2, Decimal("100.00"),
                                                                                   Decimal("9.12")),), "", ()),
             Charge("fee", Decimal("40.00"), "INV-0", None, None, (), "final", ("INV-0", "INV-00"))),
            "Late Payment Act"),
    Payment("PAY-1", D2, "acme", Decimal("50.00"), "EUR", "bank", "BACS 1", (Allocation("INV-1", Decimal("40.00")),),
            D3, "typed 50 for 5"),
    Adjustment("ADJ-1", "write_off", D2, "acme", Decimal("5.00"), "EUR", "INV-1", "small balance", D3, "not ours"),
    Activity("ACT-1", D2, "acme", "phone", "in", "reminder", ("INV-1",), "reached", "**called**", "ACT-0", D3, False,
             "<m@x>"),
    PromiseToPay("PRM-1", "acme", D2, Decimal("60.00"), "EUR", D3, ("INV-1",), D3, "2027 typed for 2026"),
    PaymentPlan("PLN-1", "acme", D1, "EUR", ("INV-1",), (Installment(D2, Decimal("50.00")),
                                                       Installment(D3, Decimal("69.00"))), D3),
    Dispute("DSP-1", "INV-1", "acme", "damaged", D1, D2, "credited"),
    Receipt("RCP-1", D2, Decimal("50.00"), "EUR", "ACME LTD", "INV-1", "bank.ofx", "FIT-9", "PAY-1", True),
    PayerAlias("acme ltd", "acme", "ACME LTD"),
    SyncMark("bank", D2, "bank.ofx", D1),
]


def test_every_field_of_every_stored_kind_comes_back_as_it_went_in():
    assert {codec.TABLE_OF[type(r)] for r in EVERY_FIELD} == set(codec.TABLES)
    for rec in EVERY_FIELD:
        for f in dataclasses.fields(rec):  # (the examples leave no field at its default)
            if f.default is not dataclasses.MISSING:
                assert getattr(rec, f.name) != f.default, (type(rec).__name__, f.name)
        _, _, to_doc, from_doc = codec.TABLES[codec.TABLE_OF[type(rec)]]
        assert from_doc(to_doc(rec)) == rec


RECORD_CLASSES = [Client, Contact, CreditCheck, Invoice, InvoiceLine, Charge, InterestSegment, Payment, Allocation,
                  Adjustment, Activity, PromiseToPay, PaymentPlan, Installment, Dispute, Receipt, PayerAlias, SyncMark]


def _parts(rec) -> list:
    out = [rec]
    for f in dataclasses.fields(rec):
        value = getattr(rec, f.name)
        for v in value if isinstance(value, tuple) else (value,):
            if dataclasses.is_dataclass(v):
                out += _parts(v)
    return out


@pytest.mark.parametrize("cls", RECORD_CLASSES, ids=lambda c: c.__name__)
def test_a_record_made_in_bulk_is_the_record_its_class_makes(cls):
    example = next(p for rec in EVERY_FIELD for p in _parts(rec) if type(p) is cls)
    values = [getattr(example, f.name) for f in dataclasses.fields(cls)]
    made = record_maker(cls)(*values)
    plain = cls(*values)
    assert type(made) is cls
    assert made == plain and hash(made) == hash(plain) and repr(made) == repr(plain)
    assert dataclasses.replace(made) == plain and pickle.loads(pickle.dumps(made)) == plain
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.__setattr__(dataclasses.fields(cls)[0].name, None)
    with pytest.raises(TypeError):  # every field, as the class's constructor would want
        record_maker(cls)(*values[:-1])


def test_record_maker_refuses_a_class_whose_constructor_does_more():
    with pytest.raises(TypeError, match="Book"):
        record_maker(Book)  # its __post_init__ freezes its mappings

    @dataclasses.dataclass(slots=True)
    class Loose:
        x: int

    with pytest.raises(TypeError, match="Loose"):
        record_maker(Loose)


@pytest.mark.parametrize("table,field,value", [
    ("invoices", "amount", "NaN"), ("invoices", "amount", 12.5), ("invoices", "currency", "XXX"),
    ("payments", "amount", "1E+30"), ("activities", "date", "soon"),
])
def test_a_bad_stored_value_is_still_refused(table, field, value):
    rec = next(r for r in EVERY_FIELD if codec.TABLE_OF[type(r)] == table)
    _, _, to_doc, from_doc = codec.TABLES[table]
    doc = {**to_doc(rec), field: value}
    with pytest.raises((DunError, ValueError)):
        from_doc(doc)
