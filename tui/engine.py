"""The engine and publishing functions the app displays, named in one place.

Nothing here computes anything; the screens call these and show what they return. The
message drafts need Jinja2, Babel and Markdown, which the first screen does not: their
module is imported when a draft is first made, or before by :func:`ready` (the app calls it
from its loading worker once the first screen is drawn).
"""
from __future__ import annotations

from typing import Any, Callable

from receivables.agenda import build_agenda, client_risk, client_status
from receivables.interest import client_interest, interest_totals
from receivables.report import build_report


def draft_for_action(*args: Any, **kwargs: Any) -> Any:
    from publish.messages import draft_for_action as draft

    return draft(*args, **kwargs)


def draft_from_day(*args: Any, **kwargs: Any) -> Any:
    from publish.messages import draft_from_day as draft

    return draft(*args, **kwargs)


def ready() -> None:
    """Import the drafts' module now (from a worker thread, while the first screen shows)."""
    import publish.messages  # noqa: F401


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
