"""The engine and publishing functions the app displays, named in one place.

Nothing here computes anything; the screens call these and show what they return.
"""
from __future__ import annotations

from typing import Any, Callable

from publish.messages import draft_for_action, draft_from_day
from receivables.agenda import build_agenda, client_risk, client_status
from receivables.interest import client_interest, interest_totals
from receivables.report import build_report

FUNCTIONS: dict[str, Callable[..., Any]] = {
    "agenda": build_agenda,
    "client_status": client_status,
    "risk": client_risk,
    "interest_totals": interest_totals,
    "report": build_report,
    "interest": client_interest,
    "draft": draft_for_action,
    "draft_from_day": draft_from_day,
}


def get(name: str) -> Callable[..., Any]:
    return FUNCTIONS[name]
