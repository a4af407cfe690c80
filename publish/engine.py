"""The one place publishing reaches into the collections engine.

Publishing renders what the engine computes and computes nothing of its own; every call
goes through here so a signature change in the engine is mended in one file.
"""
from __future__ import annotations

from contextlib import contextmanager
from datetime import date
from decimal import Decimal

from receivables import agenda as _agenda
from receivables import interest as _interest
from receivables import report as _report
from receivables.ledger import Ledger
from receivables.report import BUCKETS, bucket_of  # noqa: F401  (re-exported)

ZERO = Decimal(0)
build_report = _report.build_report
report_to_json = _report.report_to_json


def agenda_module():
    return _agenda


def report_module():
    return _report


def invoice_interest(ledger: Ledger, policy, number: str, on: date) -> tuple[Decimal, Decimal]:
    """(interest, compensation) for one invoice as of ``on``."""
    result = _interest.invoice_interest(ledger, policy, number, on)
    return result.interest, result.compensation


def client_interest(ledger: Ledger, policy, client_id: str) -> dict:
    """Interest and compensation on every invoice of the client that ran late, paid or not
    (:func:`receivables.interest.client_interest`)."""
    return _interest.client_interest(ledger, policy, client_id)


def interest_result(ledger: Ledger, policy, number: str, on: date):
    """The whole :class:`~receivables.interest.InterestResult` (rate, period, why not computed)."""
    return _interest.invoice_interest(ledger, policy, number, on)


def build_agenda(book, policy, on: date) -> list:
    return list(_agenda.build_agenda(book, policy, on))



@contextmanager
def keeping_last():
    """The engine's last derivation (the app's whole book, say) is still its last afterwards:
    working out one client's statement does not make the next whole-book question start over."""
    from receivables.engine import book as _book

    last = _book._LAST[0]
    try:
        yield
    finally:
        _book._LAST[0] = last
