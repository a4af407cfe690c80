"""Ready a long-lived process (the app) for its first build, in a quiet moment.

A session's first build imports matplotlib and loads its fonts for the charts, imports
pypdf to join the report PDF, and starts its PDF workers (a fork server that imports
WeasyPrint, then one warm worker per core): 2–4 s on top of the build itself. The app
does this ahead; the workers are kept for its builds (``publish(..., keep_workers=True)``)
and stopped when it quits (:func:`publish.pdf.release_workers`). Nothing here writes.
"""
from __future__ import annotations

from decimal import Decimal


def warm_up(paper: str = "A4") -> None:
    from . import charts
    from .pdf import PdfQueue

    queue = PdfQueue(keep=True)
    queue.start(paper)  # the workers start and warm in their own processes meanwhile
    charts.aging_chart([("current", Decimal("1.00")), ("1-30", Decimal("2.00"))], "GBP")
    import pypdf  # noqa: F401  (joins the report PDF's parts)

    queue.close()  # kept: the next build takes them over
