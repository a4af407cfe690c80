"""Ready a long-lived process (the app) for its first build, in a quiet moment.

A session's first build imports matplotlib and loads its fonts for the charts, and imports
pypdf to join the report PDF: 2–3 s on top of the build itself. The app does this ahead.
(Its PDF workers start with the first build and are then kept for the next ones, see
``publish(..., keep_workers=True)``: starting them ahead would hold two processes in every
session, most of which never publish.) Nothing here writes.
"""
from __future__ import annotations

from decimal import Decimal


def warm_up() -> None:
    from . import charts

    charts.aging_chart([("current", Decimal("1.00")), ("1-30", Decimal("2.00"))], "GBP")
    import pypdf  # noqa: F401  (joins the report PDF's parts)
