"""The writers: every output of a build, rendered or reused, registered in the build folder.

Outputs only: a file of the last site is reused (hard-linked) only when its fingerprint in
that site's manifest is the one this build would give it (the same inputs) **and** its bytes
hash to what the manifest recorded for them, the manifest being one this user's builds
wrote (its digest is kept in the user's cache); anything else is rendered again. Nothing read
from the last site (its manifest or any file) is put into a page: pages, CSVs and JSON are
made from the context every time (:mod:`publish.context`); only whole statement files, the
report PDF's parts and the page-number overlay are reused.
"""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Callable

import orjson

from receivables.errors import DunError
from receivables.tuning import REPORT_CHUNK, collecting
from store.files import read_plain

from .digests import FORMAT, content, h, templates_hash
from .env import environment
from .kept import manifest_vouched
from .paths import ASSETS, CACHE
from .reportview import KPI_LABELS, KPI_NAMES, listing_lines, pdf_listings
from .sitecharts import report_charts
from .statements import render_statement_html

MANIFEST = ".dun-manifest.json"
MAX_MANIFEST_BYTES = 64 * 1024 * 1024  # far above a large book's; a bigger one is no manifest of ours
PARTS = CACHE + "/report"  # the report PDF's parts, by their content (see _report)
Progress = Callable[[int, int, str], None]


class _Out:
    """Registers outputs inside the build folder; refuses escapes and duplicates (also on a
    case-insensitive disk)."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.seen: dict[str, str] = {}
        self.root_s = str(self.root)
        self.dirs: set[str] = set()

    def path(self, rel: str) -> str:
        parts = rel.split("/")
        if (not rel or rel.startswith("/") or "\\" in rel or "\x00" in rel
                or any(part in ("", ".", "..") for part in parts)):
            raise DunError(f"refusing to write {rel!r}: outside the output folder", "publish")
        p = os.path.normpath(os.path.join(self.root_s, rel))
        if not p.startswith(self.root_s + os.sep):
            raise DunError(f"refusing to write {rel!r}: outside the output folder", "publish")
        key = rel.casefold()
        if key in self.seen:
            raise DunError(f"refusing to write {rel!r} twice (already written as {self.seen[key]!r})", "publish")
        self.seen[key] = rel
        parent = os.path.dirname(p)
        if parent not in self.dirs:
            os.makedirs(parent, exist_ok=True)
            self.dirs.add(parent)
        return p


def _write(path: str, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)


def read_manifest(out_dir: Path) -> dict[str, tuple[str, str]]:
    """The last site's files: rel -> (fingerprint, content digest); empty unless the manifest
    is one this user's builds wrote (:func:`publish.kept.manifest_vouched`)."""
    try:  # a plain file of bounded size: a pipe, a device or a link there counts as no manifest
        raw = read_plain(out_dir / MANIFEST, MAX_MANIFEST_BYTES + 1)
        if len(raw) > MAX_MANIFEST_BYTES or not manifest_vouched(raw):
            return {}
        data = orjson.loads(raw)
    except (OSError, DunError, orjson.JSONDecodeError):
        return {}
    files = data.get("files") if isinstance(data, dict) and data.get("format") == FORMAT else None
    if not isinstance(files, dict):
        return {}
    return {rel: (v[0], v[1]) for rel, v in files.items()
            if isinstance(rel, str) and type(v) is list and len(v) == 2 and all(type(x) is str for x in v)}


class Writer:
    """One build's outputs (see the module docstring)."""

    def __init__(self, tmp: Path, out_dir: Path, old: dict[str, tuple[str, str]], result) -> None:
        self.out = _Out(tmp)
        self.old_dir = str(out_dir)
        self.old = old
        self.result = result
        self.files: dict[str, list[str]] = {}  # rel -> [fingerprint, content digest]

    def _intact(self, rel: str, fp: str) -> bool:
        """Whether the last site's ``rel`` was made from the same inputs and is as it was made."""
        got = self.old.get(rel)
        if got is None or got[0] != fp:
            return False
        try:  # a plain file (not a link to one elsewhere)
            fd = os.open(os.path.join(self.old_dir, rel), os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            return False
        with open(fd, "rb") as f:
            try:
                return content(f.read()) == got[1]
            except OSError:
                return False

    def _link(self, rel: str, fp: str) -> bool:
        target = self.out.path(rel)
        try:
            os.link(os.path.join(self.old_dir, rel), target)
        except OSError:
            try:
                shutil.copyfile(os.path.join(self.old_dir, rel), target)
            except OSError:
                self.out.seen.pop(rel.casefold(), None)
                return False
        self.files[rel] = [fp, self.old[rel][1]]
        self.result.skipped += 1
        self.result.paths.append(Path(rel))
        return True

    def keep(self, rel: str, fp: str) -> bool:
        """Reuse the last site's ``rel`` if it is intact (see :meth:`_intact`); True if it was."""
        return self._intact(rel, fp) and self._link(rel, fp)

    def keep_many(self, wanted: list[tuple[str, str]]) -> set[str]:
        """:meth:`keep` for many files; the rels kept. (In this one thread: hashing a few
        thousand small files on two threads was slower, each file's read and hash too short
        to make up for handing the interpreter back and forth; benchmarks/README.md.)"""
        return {rel for rel, fp in wanted if self.old.get(rel, ("",))[0] == fp and self.keep(rel, fp)}

    def write(self, rel: str, fp: str | None, data: bytes) -> None:
        """Write ``rel`` (``fp``: its fingerprint; None: named by its content)."""
        digest = content(data)
        _write(self.out.path(rel), data)
        self.files[rel] = [fp or digest, digest]
        self.result.paths.append(Path(rel))
        if self.old.get(rel, (None, None))[1] == digest:
            self.result.skipped += 1  # made again, the same bytes
        else:
            self.result.written += 1
            self.result.rewritten.append(rel)

    def manifest(self, on) -> bytes:
        raw = orjson.dumps({"format": FORMAT, "on": on.isoformat(), "files": self.files},
                           option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2)
        (self.out.root / MANIFEST).write_bytes(raw)
        return raw


def build(ctx, writer: Writer, pdf_jobs, progress: Progress, phase: Callable[[str], None]) -> bytes:
    """Every output of the site of ``ctx`` (a :class:`publish.context.Context`); the manifest's bytes."""
    policy, on, want_pdf = ctx.policy, ctx.on, ctx.want_pdf
    env = environment()
    total = len(ctx.clients) * (2 if want_pdf else 1) + 3
    done = [0]

    def step(label: str, n: int = 1) -> None:
        done[0] += n
        progress(done[0], total, label)

    for p in sorted(ASSETS.rglob("*")):
        if p.is_file():
            writer.write("assets/" + p.relative_to(ASSETS).as_posix(), None, p.read_bytes())
    view = ctx.view()
    phase("report figures")
    # charts are drawn by the PDF workers (matplotlib is imported there) unless this process has it
    call = pdf_jobs.call if want_pdf and "matplotlib" not in sys.modules else None
    charts = report_charts(view, ctx.kept.charts, call)
    pdf_fps: dict[str, str] = {}
    _statements(ctx, writer, pdf_jobs, pdf_fps, step)
    phase("statements")
    report_parts = _report(ctx, writer, env, view, charts, pdf_jobs, pdf_fps, step)
    phase("report")
    ctx.client_rows()
    writer.write("data/aged-receivables.csv", None, ctx.aged_csv(view))
    writer.write("data/open-items.csv", None, ctx.open_items_csv())
    # the same document as `dun report --json` (receivables.report.report_to_json)
    writer.write("data/report.json", None, orjson.dumps(view.engine_json, option=orjson.OPT_INDENT_2))
    for name in ("payments", "activities"):
        writer.write(f"data/{name}.csv", None, ctx.long_csv(name))
    step("data")
    phase("data")
    index_html = env.get_template("index.html").render(
        v=view, company=policy.company, locale=policy.defaults.locale, on=on, clients=ctx.clients, names=ctx.names,
        pdf=want_pdf, agenda_count=view.agenda_count)
    writer.write("index.html", None, index_html.encode("utf-8"))
    phase("index")
    if pdf_jobs.in_process:  # WeasyPrint makes reference cycles: collect while rendering here
        with collecting():
            _collect(writer, pdf_jobs, pdf_fps, step)
    else:
        _collect(writer, pdf_jobs, pdf_fps, step)
    progress(total, total, "done")
    phase("waiting for PDFs")
    if report_parts:
        _join_report(writer, report_parts, policy.publish.paper)
        phase("report PDF")
    ctx.keep_for_next(charts.used)
    # the report PDF's parts are not outputs of their own: count and list what the reader sees
    r, hidden = writer.result, CACHE + "/"
    r.written -= sum(1 for rel in r.rewritten if rel.startswith(hidden))
    r.skipped -= sum(1 for p in r.paths if p.as_posix().startswith(hidden)) - sum(
        1 for rel in r.rewritten if rel.startswith(hidden))
    r.rewritten = [rel for rel in r.rewritten if not rel.startswith(hidden)]
    r.paths = [p for p in r.paths if not p.as_posix().startswith(hidden)]
    return writer.manifest(on)


def _statements(ctx, writer: Writer, pdf_jobs, pdf_fps: dict, step) -> None:
    """Each client's statement page (and PDF): reused when intact, else made from its records."""
    wanted = []
    for cid in ctx.clients:
        wanted.append((f"clients/{ctx.names[cid]}.html", ctx.statement_fp(cid, "html")))
        if ctx.want_pdf:
            wanted.append((f"clients/{ctx.names[cid]}.pdf", ctx.statement_fp(cid, "pdf")))
    kept = writer.keep_many(wanted)
    step("statements unchanged", len(kept))
    todo = [cid for cid in ctx.clients if f"clients/{ctx.names[cid]}.html" not in kept
            or ctx.want_pdf and f"clients/{ctx.names[cid]}.pdf" not in kept]
    ctx.load(todo)
    paper = ctx.policy.publish.paper
    for cid in todo:
        name = ctx.names[cid]
        data = ctx.statement(cid)
        rel = f"clients/{name}.html"
        if rel not in kept:
            pdf_name = f"{name}.pdf" if ctx.want_pdf else None
            writer.write(rel, ctx.statement_fp(cid, "html"),
                         render_statement_html(data, asset_prefix="../assets/", nav_prefix="../",
                                               pdf_name=pdf_name).encode("utf-8"))
            step(f"statement {cid}")
        rel = f"clients/{name}.pdf"
        if ctx.want_pdf and rel not in kept:
            pdf_jobs.submit(rel, render_statement_html(data, for_pdf=True), paper)
            pdf_fps[rel] = ctx.statement_fp(cid, "pdf")


def _report(ctx, writer: Writer, env, view, charts, pdf_jobs, pdf_fps: dict, step) -> list[str]:
    """report.html, and report.pdf's parts (their names, in order; to the workers unless the
    last site has them intact). The PDF renders in parts (front matter per currency, the client
    listing in chunks, the rest), each named by its content, then joined and numbered: one
    payment renders the front, the tail and the listing chunk it touched again."""
    policy = ctx.policy
    paper = policy.publish.paper
    tpl = env.get_template("report.html")
    base = dict(v=view, kpi_names=KPI_NAMES, kpi_labels=KPI_LABELS, locale=policy.defaults.locale,
                company=policy.company, names=ctx.names, policy=policy, pdf_listings=pdf_listings)
    parts: list[str] = []

    def part(html: str, resources: dict | None = None) -> str:
        fp = h(templates_hash(), html, paper)  # print.css is among the templates
        rel = f"{PARTS}/{fp}.pdf"
        if rel.casefold() in writer.out.seen or rel in pdf_fps or writer.keep(rel, fp):
            return rel
        pdf_jobs.submit(rel, html, paper, resources)
        pdf_fps[rel] = fp
        return rel

    listing: list[str] = []
    if ctx.want_pdf:  # the listing has no charts: to the workers before the charts are in
        lines = listing_lines(view.clients, policy.defaults.locale)
        for start in range(0, max(len(lines) - 1, 1), REPORT_CHUNK):
            listing.append(part(tpl.render(**base, for_pdf=True, prefix="", pdf_part="list",
                                           list_lines=[lines[0], *lines[1 + start:1 + start + REPORT_CHUNK]])))
    charts.wait()
    if ctx.want_pdf:
        ctx_pdf = {**base, "charts": charts.pdf}
        groups = [(c,) for c in view.currencies] or [()]  # one part per currency: a payment touches one

        def with_charts(html: str) -> str:
            return part(html, {r: doc for r, doc in charts.files.items() if r in html} or None)

        fronts = [with_charts(tpl.render(**ctx_pdf, for_pdf=True, prefix="", pdf_part="front", part_currencies=g,
                                         part_first=i == 0, part_last=i == len(groups) - 1))
                  for i, g in enumerate(groups)]
        tail = with_charts(tpl.render(**ctx_pdf, for_pdf=True, prefix="", pdf_part="tail"))
        parts = [*fronts, *listing, tail]
    html = tpl.render(**base, charts=charts, for_pdf=False, prefix="", pdf_part=None,
                      part_currencies=view.currencies, part_first=True, part_last=True)
    writer.write("report.html", None, html.encode("utf-8"))
    step("report")
    return parts


def _collect(writer: Writer, pdf_jobs, pdf_fps: dict, step) -> None:
    if len(pdf_jobs):
        for rel, data in pdf_jobs.results():
            writer.write(rel, pdf_fps[rel], data)
            step(rel)


def _join_report(writer: Writer, parts: list[str], paper: str) -> None:
    """report.pdf from its parts, numbered "Page X of Y" over the whole (the page-number
    overlay for Y pages is a part of its own)."""
    from .pdf import join_numbered, page_numbers_pdf

    fp = h("report.pdf", *parts)
    # report.pdf unchanged: reused with the overlay it was numbered with (kept for the next
    # change), both intact; else joined again (and the overlay made again if need be)
    overlays = [(rel, nfp) for rel, (nfp, _) in writer.old.items() if rel.startswith(f"{PARTS}/pages-")]
    if writer._intact("report.pdf", fp) and all(writer._intact(rel, nfp) for rel, nfp in overlays):
        for rel, nfp in [("report.pdf", fp), *overlays]:
            if rel.casefold() not in writer.out.seen and not writer._link(rel, nfp):
                break
        else:
            return
        if "report.pdf" in writer.out.seen:  # linked, its overlay could not be: left as it is
            return

    def numbers(pages: int) -> bytes:
        nfp = h(templates_hash(), "page numbers", str(pages), paper)
        rel = f"{PARTS}/pages-{nfp}.pdf"
        if rel.casefold() not in writer.out.seen and not writer.keep(rel, nfp):
            writer.write(rel, nfp, page_numbers_pdf(pages, paper, "Management report"))
        return Path(writer.out.root / rel).read_bytes()

    writer.write("report.pdf", fp, join_numbered([(writer.out.root / p).read_bytes() for p in parts], numbers))
