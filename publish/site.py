"""``dun publish``: the static report folder, built whole and swapped in.

Layout of the output folder (default ``BOOK/site``)::

    index.html                 as-of date, totals per currency, links to everything
    report.html / report.pdf   the management report (SVG charts inline)
    clients/NAME.html / .pdf   each client's statement of account (NAME: publish.names)
    data/aged-receivables.csv  for the accountant (cells neutralised, see receivables.csvsafe)
    data/open-items.csv
    data/payments.csv
    data/activities.csv
    data/report.json           the report's figures
    assets/                    stylesheets and the font

A build (Pelican style) first gathers its context (:mod:`publish.context`: every client's
day, the agenda and the report through the derived layer), then the writers render every
output into a new folder next to the target (:mod:`publish.writers`), which is swapped in
with two renames, so an interrupted build leaves the old site in place. Incremental and
full builds are one path: a full build (``--full``) is the same build with nothing of the
last one reusable. What is reused, and only when it checks out: a statement file of the last
site whose fingerprint (the client's revision in the store, the build's key) is this build's
and whose bytes hash to what that site's manifest recorded; the report PDF's parts likewise;
and, from the user's cache (:mod:`publish.kept`), the long CSVs' rows of clients whose
revision is unchanged and the chart drawings.
"""
from __future__ import annotations

import errno
import shutil
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Callable

from receivables.errors import DunError
from receivables.policytypes import example_note
from store.files import check_folder

from . import outdir
from .context import gather
from .kept import Kept, remember_manifest
from .messages import check_templates
from .names import file_names, safe_name
from .paths import CACHE
from .writers import MANIFEST, PARTS, Writer, _Out, build, read_manifest

__all__ = ["CACHE", "MANIFEST", "PARTS", "PublishResult", "file_names", "publish", "safe_name", "_Out"]

Progress = Callable[[int, int, str], None]


@dataclass
class PublishResult:
    out_dir: Path
    written: int = 0
    skipped: int = 0
    paths: list[Path] = field(default_factory=list)  # every output, relative to out_dir
    rewritten: list[str] = field(default_factory=list)  # outputs whose bytes changed this time
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)
    phases: dict[str, float] = field(default_factory=dict)  # seconds spent per phase (benchmarks)


def _progress_noop(done: int, total: int, label: str) -> None:
    pass


def publish(
    repo_or_book,
    policy=None,
    on: date | None = None,
    out_dir: Path | str | None = None,
    progress: Progress | None = None,
    incremental: bool = True,
    *,
    pdf: bool = True,
    workers: int | None = None,
    keep_workers: bool = False,
    derived=None,
) -> PublishResult:
    """Build the site of ``repo_or_book`` (a repository, or a bare book) for ``on`` into
    ``out_dir`` (see the module docstring). ``incremental=False``: reuse nothing.

    ``derived``: the caller's :class:`derived.Derived` of this book (the app's), which the
    derived layer brings up to date instead of reading its file. ``keep_workers`` (a
    long-lived caller, the app) keeps the warm PDF workers for the next build
    (:func:`publish.pdf.release_workers` stops them)."""
    if on is None:
        raise DunError("publishing needs a date", "publish", "pass --on or today's date")
    repo = repo_or_book if hasattr(repo_or_book, "client_revisions") else None
    named = "--out" if out_dir is not None else "the book's site folder"
    if out_dir is None:
        paths = getattr(repo_or_book, "paths", None)
        if paths is None:
            raise DunError("publishing needs an output folder", "publish", "pass --out DIR")
        out_dir = Path(getattr(paths, "root", paths)) / "site"
        # the book's own site folder: never a link (a received book's would take the site, and
        # the removal of the old one, to whatever it points to); --out may name any folder
        check_folder(out_dir)
    t0 = time.perf_counter()
    if repo is not None and policy is None:
        policy = repo.policy()
    if policy is None:
        raise DunError("publishing needs the book's policy", "publish")
    check_templates(policy)
    progress = progress or _progress_noop
    out_dir = Path(out_dir).expanduser().resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    if out_dir.exists() and not out_dir.is_dir():
        raise DunError(f"{out_dir} exists and is not a folder", named)
    with outdir.site_lock(out_dir, waiting=lambda text: progress(0, 0, text)):  # one publish at a time
        outdir.recover(out_dir)
        if (out_dir.is_dir() and not (out_dir / MANIFEST).is_file() and not outdir.is_ours(out_dir)
                and any(out_dir.iterdir())):
            # The build replaces the folder whole: never do that to a folder dun did not make
            # (its manifest, or the marker every build folder carries, says dun made it).
            raise DunError(f"{out_dir} is not empty and was not made by 'dun publish'; refusing to replace it",
                           named, "choose a new or empty folder with --out, or move that folder away")
        from .pdf import PdfQueue

        # the PDF workers start first: their fork server imports WeasyPrint on the other core
        # while this one reads the book
        pdf_jobs = PdfQueue(workers, keep=keep_workers)
        if pdf:
            pdf_jobs.start(policy.publish.paper)
        try:
            result = _publish(repo_or_book, policy, on, out_dir, progress, incremental, pdf, pdf_jobs, derived)
        except OSError as e:
            if e.errno not in (errno.ENOSPC, errno.EDQUOT):
                raise
            raise DunError(f"could not write the site ({e.strerror}); the site is as it was", str(out_dir),
                           "free some disk space, then publish again") from None
        finally:
            pdf_jobs.close()
    result.seconds = time.perf_counter() - t0
    return result


def _publish(repo_or_book, policy, on: date, out_dir: Path, progress: Progress, incremental: bool, pdf: bool,
             pdf_jobs, derived) -> PublishResult:
    result = PublishResult(out_dir=out_dir)
    if policy is not None and policy.company.example:  # (the statements tell clients where to pay)
        result.warnings.append(example_note(policy.company) + " (the statements carry them)")
    clock = [time.perf_counter()]

    def phase(name: str) -> None:
        now = time.perf_counter()
        result.phases[name] = result.phases.get(name, 0.0) + now - clock[0]
        clock[0] = now

    ctx = gather(repo_or_book, policy, on, pdf, derived)
    if not incremental:
        ctx.kept = Kept()
    phase("context")
    old = read_manifest(out_dir) if incremental else {}
    tmp = outdir.new_build(out_dir)
    try:
        raw = build(ctx, Writer(tmp, out_dir, old, result), pdf_jobs, progress, phase)
        outdir.swap(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    remember_manifest(raw)
    return result
