"""The one place publishing reaches into the collections engine.

The engine (``receivables.agenda``, ``receivables.interest``, ``receivables.report``) is
written alongside publishing; every call goes through here so a signature change is
fixed in one file. Where an engine module is missing the fallbacks below compute what
publishing needs from :mod:`receivables.ledger` alone (aging) or leave it out (interest,
agenda), never inventing a figure.
"""
from __future__ import annotations

import importlib
from datetime import date
from decimal import Decimal
from typing import Any

from receivables.ledger import Ledger

ZERO = Decimal(0)
BUCKETS = ("current", "1-30", "31-60", "61-90", "91-120", "120+")


def _module(name: str):
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as e:
        if e.name != name:
            raise
        return None


def agenda_module():
    return _module("receivables.agenda")


def interest_module():
    return _module("receivables.interest")


def report_module():
    return _module("receivables.report")


def bucket_of(days_overdue: int) -> str:
    if days_overdue <= 0:
        return "current"
    if days_overdue <= 30:
        return "1-30"
    if days_overdue <= 60:
        return "31-60"
    if days_overdue <= 90:
        return "61-90"
    if days_overdue <= 120:
        return "91-120"
    return "120+"


def invoice_interest(ledger: Ledger, policy, number: str, on: date) -> tuple[Decimal, Decimal] | None:
    """(interest, compensation) for one invoice as of ``on``, or None if the engine has none."""
    mod = interest_module()
    if mod is None or not hasattr(mod, "invoice_interest"):
        return None
    result = mod.invoice_interest(ledger, policy, number, on)
    if isinstance(result, tuple):
        return result[0], result[1]
    return getattr(result, "interest"), getattr(result, "compensation")


def build_agenda(book, policy, on: date) -> list:
    mod = agenda_module()
    if mod is None or not hasattr(mod, "build_agenda"):
        return []
    return list(mod.build_agenda(book, policy, on))


def build_report(book, policy, on: date):
    mod = report_module()
    if mod is None or not hasattr(mod, "build_report"):
        return None
    return mod.build_report(book, policy, on)


def report_to_json(report) -> Any:
    mod = report_module()
    if mod is None or report is None:
        return None
    return mod.report_to_json(report)
