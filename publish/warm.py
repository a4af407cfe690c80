"""Ready a long-lived process (the app) for its first build, in a quiet moment.

A session's first build imports matplotlib and loads its fonts for the charts, and imports
pikepdf to join the report PDF (:func:`warm_up`). For a book that already has a site (its owner
publishes), :func:`ready_to_publish` also starts the PDF workers, kept for the builds to come
(``publish(..., keep_workers=True)``). A book without a site gets neither: two processes held
in every session of an owner who never publishes would be waste. Nothing here writes.
"""
from __future__ import annotations

from pathlib import Path


def warm_up() -> None:
    from . import charts

    charts.setup()
    import pikepdf  # noqa: F401  (joins the report PDF's parts)


def has_site(out_dir: Path) -> bool:
    """Whether ``out_dir`` holds a site a build made (its manifest)."""
    from .writers import MANIFEST

    return (Path(out_dir) / MANIFEST).is_file()


def ready_to_publish(policy) -> None:
    """Start the kept PDF workers for the policy's paper (the next build's
    ``PdfQueue(keep=True)`` takes them over); a build needs nothing else worked out ahead (its
    statements are named by the clients' revisions)."""
    from .pdf import PdfQueue

    workers = PdfQueue(keep=True)
    workers.start(policy.publish.paper)
    workers.close()
