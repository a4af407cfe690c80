"""Ready a long-lived process (the app) for its first build, in a quiet moment.

A session's first build imports matplotlib and loads its fonts for the charts, and imports
pypdf to join the report PDF: 2–3 s on top of the build itself (:func:`warm_up`). For a book
that already has a site (its owner publishes), :func:`ready_to_publish` also starts the PDF
workers, kept for the builds to come (``publish(..., keep_workers=True)``), and works out the
statements' fingerprints ahead, so the first publish after a change renders at once. A book
without a site gets neither: two processes held in every session of an owner who never
publishes would be waste. Nothing here writes.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path


def warm_up() -> None:
    from . import charts

    charts.setup()
    import pypdf  # noqa: F401  (joins the report PDF's parts)


def has_site(out_dir: Path) -> bool:
    """Whether ``out_dir`` holds a site a build made (its manifest)."""
    from .site import MANIFEST

    return (Path(out_dir) / MANIFEST).is_file()


def ready_to_publish(book, policy, on: date, index, derived=None) -> int:
    """Start the kept PDF workers and work out the statements' fingerprints for ``index``
    (see :func:`publish.site.prepare_statements`); returns how many were worked out."""
    from .pdf import PdfQueue
    from .site import prepare_statements

    workers = PdfQueue(keep=True)
    workers.start(policy.publish.paper)  # on a thread of its own, while the fingerprints are made here
    try:
        return prepare_statements(book, policy, on, index, derived)
    finally:
        workers.close()  # kept: the next build's PdfQueue(keep=True) takes them over
