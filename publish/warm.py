"""Ready a long-lived process (the app) for its first build, in a quiet moment.

A build's first chart imports matplotlib and loads its fonts, and its first report PDF
imports pypdf: about 2–3 s the first publish of a session would otherwise spend on top of
the build itself. Nothing here writes anything.
"""
from __future__ import annotations

from decimal import Decimal


def warm_up() -> None:
    from . import charts

    charts.aging_chart([("current", Decimal("1.00")), ("1-30", Decimal("2.00"))], "GBP")
    import pypdf  # noqa: F401  (joins the report PDF's parts)
