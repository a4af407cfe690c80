"""``dun publish``: the static report folder, built whole and swapped in.

Layout of the output folder (default ``BOOK/site``)::

    index.html                 as-of date, totals per currency, links to everything
    report.html / report.pdf   the management report (SVG charts inline)
    clients/ID.html / ID.pdf   each client's statement of account (ID sanitised)
    data/aged-receivables.csv  for the accountant (cells neutralised, see receivables.csvsafe)
    data/open-items.csv
    data/payments.csv
    data/activities.csv
    data/report.json           the report's figures
    assets/                    stylesheets and the font

Build (Pelican style): every output is registered with a :class:`_Out` that refuses a path
outside the folder or the same path twice. Incremental: each output has a fingerprint
(a client's statement: a hash of that client's records, its action, the date, the policy
and the templates; other pages: their content) kept in ``.dun-manifest.json``; an output
whose fingerprint is unchanged is hard-linked from the previous site instead of being
rendered again. The new site is assembled in a temporary folder next to the target and
swapped in with two renames, so an interrupted build leaves the old site in place.

Speed (a republish after one payment): given the app's index of the book as it was before
the payment, the engine is updated for the payer instead of being derived again (see
:func:`receivables.ledger.index_book`). The work that needs only the book (the long CSVs)
starts in a forked side process at once, and the PDF workers start on a thread; once the
engine has derived the day, a second side process computes every statement's fingerprint
and open items while this process makes the report and sends its PDF parts to the workers.
The app's index keeps the fingerprints and open items of the clients a change did not touch
(the app works them all out ahead in a quiet moment, :func:`prepare_statements`), and the
few others are worked out here. Forked processes read the book from memory, nothing is
pickled but results; without ``fork`` the same work runs in this process.

A build from a book on disk also keeps, in ``BOOK/.cache``, every client's entry (its
statement's fingerprint, open items and share of the report): the next build, in a new
process (``dun publish``) or in the app, reads only the clients changed since and merges the
rest (:mod:`publish.fast`); the index path above is for when that state cannot be used
(then the long CSVs are still brought up to date from the rows it kept, when they can be).
Both kinds of build render through :func:`_build_into`; what they differ in is where the
data comes from (:class:`_Whole`, ``publish.fast._Fast``).
"""
from __future__ import annotations

import errno
import hashlib
import os
import pickle
import re
import shutil
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable

import orjson
from markupsafe import Markup

from receivables.errors import DunError
from receivables.ledger import BookIndex, derive, index_book
from receivables.money import to_text
from receivables.tuning import FEW_STATEMENTS, REPORT_CHUNK, collecting

from . import charts, csvdata, engine, outdir
from .csvdata import csv_fast as _csv_fast
from .env import environment
from .messages import check_templates, draft_for_action
from .paths import ASSETS, CACHE, TEMPLATES
from .reportview import KPI_LABELS, KPI_NAMES, build_view, listing_lines, pdf_listings
from .statements import render_statement_html, statement_data

MANIFEST = ".dun-manifest.json"
PARTS = CACHE + "/report"  # the report PDF's cached parts (see _join_report)
FORMAT = "dun-site-1"
Progress = Callable[[int, int, str], None]

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)), *(f"lpt{i}" for i in range(1, 10))}


def safe_name(client_id: str) -> str:
    """A file name for a client id: letters, digits, ``._-`` only, never hidden or reserved;
    a short hash is added whenever anything had to change, so two ids never collide."""
    base = _UNSAFE.sub("_", client_id).strip("._") or "client"
    base = base[:60]
    if base != client_id or base.lower() in _RESERVED:
        base = f"{base}-{_id_hash(client_id)}"
    return base


def _id_hash(client_id: str) -> str:
    return hashlib.sha1(client_id.encode("utf-8")).hexdigest()[:8]


def file_names(client_ids: Iterable[str]) -> dict[str, str]:
    """Sanitised, unique (also on case-insensitive disks) file names for client ids."""
    names = {cid: safe_name(cid) for cid in client_ids}
    count: dict[str, int] = defaultdict(int)
    for n in names.values():
        count[n.casefold()] += 1
    return {cid: (f"{n}-{_id_hash(cid)}" if count[n.casefold()] > 1 else n) for cid, n in names.items()}


@dataclass
class PublishResult:
    out_dir: Path
    written: int = 0
    skipped: int = 0
    paths: list[Path] = field(default_factory=list)  # every output, relative to out_dir
    rewritten: list[str] = field(default_factory=list)  # outputs rendered this time
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)
    phases: dict[str, float] = field(default_factory=dict)  # seconds spent per phase (benchmarks)


class _Out:
    """Registers outputs inside the build folder; refuses escapes and duplicates."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.seen: dict[str, str] = {}
        self.root_s = str(self.root)
        self.dirs: set[str] = set()

    def path(self, rel: str) -> str:
        """The path to write ``rel`` at (a string: pathlib costs ~0.1 ms a file, which adds
        up over 4,000 outputs)."""
        parts = rel.split("/")
        if (not rel or rel.startswith("/") or "\\" in rel or "\x00" in rel
                or any(part in ("", ".", "..") for part in parts)):
            raise DunError(f"refusing to write {rel!r}: outside the output folder", "publish")
        # The build folder is new and ours (no symlinks in it), so a clean relative path
        # stays inside; normpath double-checks without a filesystem round trip.
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

    def forget(self, rel: str) -> None:
        """``rel`` was not written after all (its old copy is gone): it may be written later."""
        self.seen.pop(rel.casefold(), None)


def _h(*parts: bytes | str) -> str:
    h = hashlib.blake2b(digest_size=16)
    for part in parts:
        h.update(part.encode("utf-8") if isinstance(part, str) else part)
        h.update(b"\x00")
    return h.hexdigest()


@lru_cache(maxsize=1)
def _templates_hash() -> str:
    h = hashlib.blake2b(digest_size=16)
    h.update(FORMAT.encode())
    for p in sorted(TEMPLATES.rglob("*")):
        if p.is_file():
            h.update(str(p.relative_to(TEMPLATES)).encode())
            h.update(p.read_bytes())
    src = Path(__file__).resolve().parent
    for name in ("statements.py", "messages.py", "formatting.py", "markdown.py", "site.py", "charts.py",
                 "reportview.py", "csvdata.py"):
        h.update((src / name).read_bytes())
    return h.hexdigest()


def _per_client(book, policy, on, ledger, first_action, records, base_hash, clients, index) -> dict:
    """For each of ``clients``: its statement's fingerprint and its rows of the open-items
    CSV (run in a side process when there are many).

    A statement's own data (~0.1 ms) is its fingerprint, with the action whose message it
    carries, the date, the policy and the templates (``base_hash``): whatever is not in it
    cannot change the page. The open items depend on the client's records and the date only,
    so both are kept with the index for the clients a change did not touch."""
    fps = {}
    for cid in clients:
        action = first_action.get(cid)
        bare = statement_data(book, policy, cid, on, ledger=ledger, action=action, find_action=False,
                              records=records.get(cid, ()))
        fps[cid] = _h(base_hash, repr(bare), repr(action))
    return {"fingerprints": fps, "open_items": {cid: _open_item_rows(ledger, cid) for cid in clients},
            "parts": client_blobs(index, policy, on, ledger, clients)}


def client_blobs(book_or_index, policy, on: date, ledger, clients) -> dict[str, bytes]:
    """Each client's share of the report and its aged-receivables buckets, pickled: kept with
    the site so a later build in a new process merges them instead of reading every client
    (see publish.fast)."""
    parts = engine.report_module().client_parts(book_or_index, policy, on, clients)
    out = {}
    for cid, part in parts.items():
        aged = {r.currency: _aged_buckets(ledger, cid, r.currency) for r in part.rows}
        out[cid] = pickle.dumps((part, aged), protocol=pickle.HIGHEST_PROTOCOL)
    return out


def base_hash_of(policy, on: date) -> str:
    """What every page of a build depends on besides its data: the templates, the policy's
    rules (not where its file lies: a book moved or named by another path keeps its site)
    and the date."""
    return _h(_templates_hash(), _h(repr(replace(policy, source=""))), on.isoformat())


# The last build's (or prepare_statements') per-client entries, per book: (owner, base_hash,
# {client: (revision, entry)}). The owner is the derived state's key (derived.Derived: an entry
# counts while the client's revision is unchanged) or, for a bare book, its index itself.
_KEPT_STATEMENTS: dict = {}


@dataclass
class _StatementPlan:
    """Which statements' fingerprints (and open-items rows) are to be worked out: those not
    kept (:data:`_KEPT_STATEMENTS`) for this date, policy and templates (``base_hash``), the
    client's current action and its revision in the caller's derived state."""
    base_hash: str
    clients: list[str]
    first_action: dict
    action_keys: dict[str, str]
    records: dict[str, list]
    kept: dict[str, tuple]
    todo: list[str]
    derived: object = None  # the caller's derived.Derived of this book, if it has one

    @classmethod
    def make(cls, book, policy, on: date, index: BookIndex, agenda, derived=None) -> "_StatementPlan":
        base_hash = base_hash_of(policy, on)
        clients = sorted(book.clients)
        first_action: dict[str, object] = {}
        for a in agenda:
            if a.kind == "step" and a.channel != "phone" and a.client not in first_action:
                first_action[a.client] = a
        action_keys = {cid: repr(first_action.get(cid)) for cid in clients}
        known: dict = {}
        carried = _KEPT_STATEMENTS.get(derived.key.book_id if derived is not None else None)
        if carried is not None and carried[1] == base_hash:
            owner, _, entries = carried
            if derived is not None and owner == ("derived", derived.key):
                revisions = derived.revisions
                known = {cid: e for cid, (rev, e) in entries.items() if revisions.get(cid) == rev}
            elif owner is index:
                known = {cid: e for cid, (_, e) in entries.items()}
        kept = {cid: known[cid] for cid in clients if cid in known and known[cid][0] == action_keys[cid]}
        return cls(base_hash, clients, first_action, action_keys, _client_records(book), kept,
                   [cid for cid in clients if cid not in kept], derived)

    def keep(self, index: BookIndex, got: dict) -> dict[str, tuple]:
        """Every client's (action key, fingerprint, open-items rows, pickled report part), the
        kept and the ``got`` (from :func:`_per_client`), kept with ``index`` for the next build."""
        fps, rows, parts = got["fingerprints"], got["open_items"], got["parts"]
        entries = dict(self.kept)
        for cid in fps:
            entries[cid] = (self.action_keys[cid], fps[cid], rows[cid], parts[cid])
        entries = {cid: entries[cid] for cid in self.clients}
        d = self.derived
        if d is not None and set(d.revisions) == set(entries):
            _KEPT_STATEMENTS[d.key.book_id] = (("derived", d.key), self.base_hash,
                                               {cid: (d.revisions[cid], e) for cid, e in entries.items()})
        else:
            _KEPT_STATEMENTS[None] = (index, self.base_hash, {cid: (None, e) for cid, e in entries.items()})
        while len(_KEPT_STATEMENTS) > 2:  # the app's book and a bare one at most
            del _KEPT_STATEMENTS[next(iter(_KEPT_STATEMENTS))]
        return entries


def _statement(book, policy, on: date, ledger, plan: _StatementPlan, cid: str):
    """A client's statement with the message of its current action, as published."""
    action = plan.first_action.get(cid)
    bare = statement_data(book, policy, cid, on, ledger=ledger, action=action, find_action=False,
                          records=plan.records.get(cid, ()))
    draft = draft_for_action(action, book, policy, on, ledger) if action is not None else None
    return replace(bare, message=draft)


def _open_ledger(index: BookIndex, policy, on: date):
    """Only open invoices matter to statements, CSVs and drafts: the engine's open ledger
    skips deriving the whole paid history."""
    agenda_mod = engine.agenda_module()
    return agenda_mod.open_ledger(index, policy, on) if hasattr(agenda_mod, "open_ledger") else derive(index, on)


def prepare_statements(book, policy, on: date, index: BookIndex, derived=None) -> int:
    """Work out the statements' fingerprints and open items ahead of a build, kept with
    ``index`` (the app does this in a quiet moment when the book has a site, so its first
    publish after a change works out only the changed clients'). Returns how many were
    worked out."""
    with _quiet_gc():
        if derived is not None and derived.key.on == on:  # the caller's days of this very book
            from receivables.engine import adopt

            adopt(book, policy, on, derived.book_day, index)
        ledger = _open_ledger(index, policy, on)
        plan = _StatementPlan.make(book, policy, on, index, engine.build_agenda(index, policy, on), derived)
        if plan.todo:
            plan.keep(index, _per_client(book, policy, on, ledger, plan.first_action, plan.records, plan.base_hash,
                                         plan.todo, index))
        return len(plan.todo)


def _whole_long_csvs(book, on: date, show_internal: bool, old_files: dict, tag: str) -> list[csvdata.LongCsv]:
    return csvdata.build(csvdata.tables_of_records(book, on, show_internal), old_files, tag)


def _client_records(book) -> dict[str, list]:
    """The records a statement draws on (payments, adjustments, activities), by client."""
    by: dict[str, list] = defaultdict(list)
    for coll in (book.payments, book.adjustments, book.activities):
        for r in coll:
            by[r.client].append(r)
    return by


def _progress_noop(done: int, total: int, label: str) -> None:
    pass


def _resolve(repo_or_book, policy):
    if hasattr(repo_or_book, "book") and callable(repo_or_book.book):
        book = repo_or_book.book()
        if policy is None:
            policy = repo_or_book.policy()
    else:
        book = repo_or_book
    if policy is None:
        raise DunError("publishing needs the book's policy", "publish")
    return book, policy


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
    index: BookIndex | None = None,
    keep_workers: bool = False,
    derived=None,
) -> PublishResult:
    """Build the site for ``on`` into ``out_dir`` (see the module docstring).

    ``index`` is the caller's index of this book or of an earlier state of it (the app's,
    before its last change): the engine is then updated for the clients that changed
    instead of being built again (see :func:`receivables.ledger.index_book`).
    ``keep_workers`` (a long-lived caller, the app) keeps the warm PDF workers for the next
    build (:func:`publish.pdf.release_workers` stops them)."""
    if on is None:
        raise DunError("publishing needs a date", "publish", "pass --on or today's date")
    if out_dir is None:
        paths = getattr(repo_or_book, "paths", None)
        if paths is None:
            raise DunError("publishing needs an output folder", "publish", "pass --out DIR")
        out_dir = Path(getattr(paths, "root", paths)) / "site"
    t0 = time.perf_counter()
    repo = repo_or_book if hasattr(repo_or_book, "change_mark") else None
    if repo is not None and policy is None:
        policy = repo.policy()
    if policy is None:
        raise DunError("publishing needs the book's policy", "publish")
    check_templates(policy)
    progress = progress or _progress_noop
    out_dir = Path(out_dir).expanduser().resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    if out_dir.exists() and not out_dir.is_dir():
        raise DunError(f"{out_dir} exists and is not a folder", "--out")
    with outdir.site_lock(out_dir, waiting=lambda text: progress(0, 0, text)):  # one publish at a time
        _recover(out_dir)
        if out_dir.is_dir() and not (out_dir / MANIFEST).is_file() and any(out_dir.iterdir()):
            # The build replaces the folder whole: never do that to a folder dun did not make.
            raise DunError(f"{out_dir} is not empty and was not made by 'dun publish'; refusing to replace it",
                           "--out", "choose a new or empty folder")
        try:
            return _publish_locked(repo_or_book, repo, policy, on, out_dir, progress, incremental, pdf, workers,
                                   index, keep_workers, t0, derived)
        except OSError as e:
            if e.errno not in (errno.ENOSPC, errno.EDQUOT):
                raise
            raise DunError(f"could not write the site ({e.strerror}); the site is as it was", str(out_dir),
                           "free some disk space, then publish again") from None


def _publish_locked(repo_or_book, repo, policy, on: date, out_dir: Path, progress: Progress, incremental: bool,
                    pdf: bool, workers: int | None, index: BookIndex | None, keep_workers: bool,
                    t0: float, derived=None) -> PublishResult:
    from .pdf import PdfQueue

    # The PDF workers start first: their fork server imports WeasyPrint and matplotlib on the
    # other core while this one reads the book (~1.3 s).
    pdf_jobs = PdfQueue(workers, keep=keep_workers)
    if pdf:
        pdf_jobs.start(policy.publish.paper)
    try:
        return _publish(repo_or_book, repo, policy, on, out_dir, progress, incremental, pdf, index, pdf_jobs, t0,
                        derived)
    finally:
        pdf_jobs.close()


def _publish(repo_or_book, repo, policy, on: date, out_dir: Path, progress: Progress, incremental: bool, pdf: bool,
             index: BookIndex | None, pdf_jobs, t0: float, derived=None) -> PublishResult:
    old_manifest: dict = {}
    manifest_raw = b""
    if incremental and (out_dir / MANIFEST).is_file():
        try:
            manifest_raw = (out_dir / MANIFEST).read_bytes()
            old_manifest = orjson.loads(manifest_raw)
            if old_manifest.get("format") != FORMAT:
                old_manifest = {}
        except orjson.JSONDecodeError:
            old_manifest = {}
    old_files: dict = old_manifest.get("files", {})
    old_charts: dict = old_manifest.get("charts", {})

    from . import fast

    mark = repo.change_mark() if repo is not None else None  # before the book is read (see fast.save)
    state = fast.read_state(repo, policy, on, out_dir, manifest_raw) if repo is not None and old_files else None
    # the kept state of the last build, and only the clients changed since read from the book
    # (None: build from the whole book, with the caller's index if it has one)
    source = fast.source(repo, policy, on, state, old_files, out_dir)
    if source is None:
        book, policy = _resolve(repo_or_book, policy)
        derived = _adopt_derived(repo, book, policy, on, index, derived)
        source = _Whole(book, policy, on, index, old_files, derived)
        # the kept state's clients could not be used, its long-CSV rows may be: brought up to
        # date from the journal instead of every row digested again on the other core
        source.kept = fast.kept_rows(repo, state, out_dir)
        if repo is not None and index is None and not repo.client_docs_usable():
            # a new process that reads the whole book anyway (not the app, which has it and
            # must not wait for this): the next one reads its changed clients from the copy
            source.keep_docs = repo

    tmp = outdir.new_build(out_dir)
    result = PublishResult(out_dir=out_dir)
    try:
        _build(source, policy, on, out_dir, tmp, old_files, old_charts, progress, result, pdf, pdf_jobs)
        _swap(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if repo is not None and mark is not None:
        fast.save(repo, out_dir, mark, source)
    result.seconds = time.perf_counter() - t0
    return result


def _adopt_derived(repo, book, policy, on: date, index, derived):
    """Every client's day read through the derived layer (the caller's, if it is current: its
    revisions are the store's now; else read or worked out here), made the one the engine's
    functions answer from for this build. None for a bare book (no store to check against)."""
    if repo is None:
        return None
    import derived as derived_layer
    from receivables.engine import adopt

    if derived is None or derived.key != derived_layer.key_of(repo.book_id, policy, on) \
            or derived.revisions != repo.client_revisions():
        derived = derived_layer.current(repo, policy, on, derived, book=book)
    adopt(book, policy, on, derived.book_day, index if index is not None and index.book is book else None)
    return derived


def _build(source, policy, on, out_dir: Path, tmp: Path, old_files: dict, old_charts: dict, progress: Progress,
           result: PublishResult, want_pdf: bool, pdf_jobs) -> None:
    sides: list[_Side] = []
    try:
        with _quiet_gc():
            # what needs only the book starts on the other core before anything else
            source.start(sides)
            _build_into(source, policy, on, out_dir, tmp, old_files, old_charts, progress, result, want_pdf, pdf_jobs,
                        sides)
            # Let go of the engine's state (millions of objects) while the collector is still
            # paused: freed by reference counting, not walked by the collection that would
            # follow re-enabling it.
            for side in sides:
                side.close()
            sides.clear()
            source.release()
    finally:
        for side in sides:
            side.close()


class _Whole:
    """What the site shows, derived from the whole book (a first build, or a build without a
    usable kept state: in a new process, or in the app with its index of the book)."""

    early = False
    keep_docs = None  # a repository whose clients' documents to keep grouped (store.clientdocs)
    kept = None  # the last build's long-CSV rows (publish.fast.KeptRows), to update from the journal
    long_rows = None  # the long CSVs' rows, for the next build's csvdata.update (set by the build)

    def __init__(self, book, policy, on: date, base: BookIndex | None, old_files: dict, derived=None) -> None:
        self.book, self.policy, self.on, self.base, self.old_files = book, policy, on, base, old_files
        self.derived = derived if derived is not None and getattr(derived, "key", None) is not None \
            and derived.key.on == on else None
        self.entries: dict[str, tuple] = {}

    def start(self, sides: list) -> None:
        self.sides = sides
        self._long = None
        if self.kept is None:
            self._long = _Side(sides, _whole_long_csvs, self.book, self.on, self.policy.publish.internal_notes,
                               self.old_files, _templates_hash())
        if self.keep_docs is not None:
            _Side(sides, self.keep_docs.save_client_docs)

    def derive(self, phase: Callable[[str], None]) -> None:
        book, policy, on = self.book, self.policy, self.on
        index = self.index = self.base if self.base is not None and self.base.book is book else index_book(book)
        phase("book index")
        ledger = self.ledger = _open_ledger(index, policy, on)
        phase("open ledger")
        agenda = engine.build_agenda(index, policy, on)
        phase("agenda")
        self.agenda_count = len(agenda)
        self.actions = Counter(a.client for a in agenda)
        plan = self.plan = _StatementPlan.make(book, policy, on, index, agenda, self.derived)
        self.base_hash, self.clients = plan.base_hash, plan.clients
        # The statements' fingerprints: those of clients untouched since the last build from this
        # index (the app's) are kept with it; the rest, and the open items, on the other core while
        # the report is made here (in this process when only a few are wanted).
        self.per_client = _Side(self.sides, _per_client, book, policy, on, ledger, plan.first_action, plan.records,
                                plan.base_hash, plan.todo, index, here=len(plan.todo) <= FEW_STATEMENTS)
        self.early = self.per_client.future.done()
        phase("side process")

    def fingerprints(self) -> dict[str, tuple]:
        """Every client's (action key, fingerprint, open-items rows, pickled report part)."""
        self.entries = self.plan.keep(self.index, self.per_client.result())
        return self.entries

    def statement(self, cid: str):
        return _statement(self.book, self.policy, self.on, self.ledger, self.plan, cid)

    def view(self):
        return build_view(self.index, self.policy, self.on, ledger=self.ledger, agenda_count=self.agenda_count)

    def aged_csv(self, view) -> bytes:
        return _aged_csv(view, lambda cid, cur: _aged_buckets(self.ledger, cid, cur))

    def long_csvs(self) -> list[csvdata.LongCsv]:
        if self._long is None:
            from . import fast

            try:
                return fast.updated_long_csvs(self.kept, self.policy, self.on, self.old_files)
            except csvdata.Stale:  # digest every row after all
                return _whole_long_csvs(self.book, self.on, self.policy.publish.internal_notes, self.old_files,
                                        _templates_hash())
        return self._long.result()

    def long_block(self, name: str, rel: str) -> bytes:
        return csvdata.block(csvdata.tables_of_records(self.book, self.on, self.policy.publish.internal_notes), name,
                             rel, _templates_hash())

    def release(self) -> None:
        self.index = self.ledger = self.plan = self.per_client = self._long = self.base = self.derived = None


_SHARED: dict[int, tuple] = {}  # work for a forked side process, read by it from the parent's memory


def _run_shared(token: int):
    fn, args = _SHARED[token]
    return fn(*args)


class _Side:
    """``fn(*args)`` in a forked process, while this one goes on: the fork sees this process's
    memory as it is now (the book, the ledger), so nothing is pickled but the result. Where
    there is no ``fork`` (Windows) it runs here, when it is made."""

    def __init__(self, sides: list, fn, *args, here: bool = False) -> None:
        from .pdf import done_future, fork_context

        self.pool = None
        self.work = (fn, args)
        sides.append(self)
        ctx = None if here else fork_context()
        if ctx is None:
            self.future = done_future(fn, *args)
            return
        from concurrent.futures import ProcessPoolExecutor

        _SHARED[id(self)] = self.work
        from .lifeline import exit_with_parent

        self.pool = ProcessPoolExecutor(max_workers=1, mp_context=ctx, initializer=exit_with_parent)
        self.future = self.pool.submit(_run_shared, id(self))

    def result(self):
        from concurrent.futures.process import BrokenProcessPool

        try:
            return self.future.result()
        except BrokenProcessPool:  # the side process died (killed, out of memory): do it here
            fn, args = self.work
            return fn(*args)
        finally:
            self.close(wait=False)  # its work is done: let it exit without waiting for it

    def close(self, wait: bool = True) -> None:
        """Stop the side process; ``wait``: and join it (and its executor's thread: one left
        running at interpreter exit can race the exit's own wake-up call, "Bad file descriptor")."""
        if self.pool is not None:
            self.pool.shutdown(wait=wait, cancel_futures=True)
            if wait:
                self.pool = None
        _SHARED.pop(id(self), None)
        self.work = self.future = None


def _quiet_gc():
    """The engine's GC pause (a loaded book is millions of objects; see receivables.agenda)."""
    import contextlib

    mod = engine.agenda_module()
    return mod.quiet_gc() if hasattr(mod, "quiet_gc") else contextlib.nullcontext()


def _build_into(src, policy, on, out_dir: Path, tmp: Path, old_files: dict, old_charts: dict, progress: Progress,
                result: PublishResult, want_pdf: bool, pdf_jobs, sides: list) -> None:
    env = environment()
    out = _Out(tmp)
    new_files: dict[str, str] = {}
    clock = [time.perf_counter()]

    def phase(name: str) -> None:
        now = time.perf_counter()
        result.phases[name] = result.phases.get(name, 0.0) + now - clock[0]
        clock[0] = now

    src.derive(phase)
    base_hash, clients = src.base_hash, src.clients
    names = file_names(clients)
    total = len(clients) * (2 if want_pdf else 1) + 3
    done = 0

    out_dir_s = str(out_dir)

    def keep(rel: str, fingerprint: str) -> bool:
        """Link ``rel`` from the last build if its fingerprint matches; True if it did."""
        if old_files.get(rel) != fingerprint:
            return False
        target = out.path(rel)
        try:
            _link(os.path.join(out_dir_s, rel), target)
        except FileNotFoundError:
            out.forget(rel)  # gone from the old site: render it again
            return False
        result.skipped += 1
        new_files[rel] = fingerprint
        result.paths.append(Path(rel))
        return True

    def emit(rel: str, fingerprint: str, make: Callable[[], bytes | None]) -> bool:
        """Write ``rel`` unless its fingerprint matches the last build's; True if rendered."""
        if keep(rel, fingerprint):
            return False
        data = make()
        if data is None:
            return False
        _write(out.path(rel), data)
        result.written += 1
        result.rewritten.append(rel)
        new_files[rel] = fingerprint
        result.paths.append(Path(rel))
        return True

    # assets
    for p in sorted(ASSETS.rglob("*")):
        if p.is_file():
            rel = "assets/" + p.relative_to(ASSETS).as_posix()
            data = p.read_bytes()
            emit(rel, _h(data), lambda data=data: data)

    pdf_fps: dict[str, str] = {}
    item_rows: dict[str, bytes] = {}

    def statements() -> None:
        nonlocal done
        entries = src.fingerprints()
        item_rows.update((cid, e[2]) for cid, e in entries.items())
        phase("waiting for fingerprints")
        for cid in clients:
            fp = entries[cid][1]
            rel_html = f"clients/{names[cid]}.html"
            rel_pdf = f"clients/{names[cid]}.pdf"
            data_cache: dict = {}

            def data_for(cid=cid, cache=data_cache):
                if "d" not in cache:
                    cache["d"] = src.statement(cid)
                return cache["d"]

            pdf_name = f"{names[cid]}.pdf" if want_pdf else None
            emit(rel_html, fp, lambda: render_statement_html(data_for(), asset_prefix="../assets/", nav_prefix="../",
                                                             pdf_name=pdf_name).encode("utf-8"))
            done += 1
            progress(done, total, f"statement {cid}")
            if want_pdf:
                if keep(rel_pdf, fp):
                    done += 1
                    progress(done, total, f"statement {cid} (pdf unchanged)")
                else:
                    pdf_jobs.submit(rel_pdf, render_statement_html(data_for(), for_pdf=True), policy.publish.paper)
                    pdf_fps[rel_pdf] = fp

        phase("statements")

    # The statements right after the report's figures when their fingerprints are here already
    # (a republish: a few changed clients, worked out in this process), so their PDFs reach the
    # workers ahead of the report's parts; else the report first (its PDF parts are the
    # longest) while the side process works the fingerprints out.
    early = src.early
    view = src.view()
    phase("report figures")
    chart_cache: dict = old_charts if isinstance(old_charts, dict) else {}
    # Charts are drawn by the PDF workers (matplotlib is imported there) unless this process
    # has it already (the app); meanwhile the statements, the data and the index are made.
    call = pdf_jobs.call if want_pdf and "matplotlib" not in sys.modules else None
    chart_svgs = _report_charts(view, chart_cache, call)
    report_parts: list[str] = []

    def report() -> None:
        nonlocal done
        paper = policy.publish.paper
        report_tpl = env.get_template("report.html")
        base = dict(v=view, kpi_names=KPI_NAMES, kpi_labels=KPI_LABELS, locale=policy.defaults.locale,
                    company=policy.company, names=names, policy=policy, pdf_listings=pdf_listings)

        def part(html: str, resources: dict | None = None) -> str:
            """One part of the report PDF, to the workers unless the last build has it."""
            fp = _h(base_hash, html, paper)  # base_hash covers print.css
            rel = f"{PARTS}/{fp}.pdf"
            if rel in out.seen or rel in pdf_fps or keep(rel, fp):
                return rel
            pdf_jobs.submit(rel, html, paper, resources)
            pdf_fps[rel] = fp
            return rel

        # The report PDF renders in parts (front matter, the client listing in chunks, the
        # rest), each cached under its content hash, then joined and numbered: one payment
        # re-renders the front, the tail and the one or two listing chunks it touched. The
        # listing has no charts: its parts go to the workers before the charts are in.
        listing: list[str] = []
        if want_pdf:
            lines = listing_lines(view.clients, policy.defaults.locale)
            for start in range(0, max(len(lines) - 1, 1), REPORT_CHUNK):
                listing.append(part(report_tpl.render(**base, for_pdf=True, prefix="", pdf_part="list",
                                                      list_lines=[lines[0], *lines[1 + start:1 + start + REPORT_CHUNK]])))
        chart_svgs.wait()
        phase("charts")
        if want_pdf:
            pdf_ctx = {**base, "charts": chart_svgs.pdf}
            groups = [(c,) for c in view.currencies] or [()]  # one part per currency: a payment touches one

            def with_charts(html: str) -> str:
                return part(html, {r: doc for r, doc in chart_svgs.files.items() if r in html} or None)

            fronts = [with_charts(report_tpl.render(**pdf_ctx, for_pdf=True, prefix="", pdf_part="front",
                                                    part_currencies=g, part_first=i == 0,
                                                    part_last=i == len(groups) - 1))
                      for i, g in enumerate(groups)]
            tail = with_charts(report_tpl.render(**pdf_ctx, for_pdf=True, prefix="", pdf_part="tail"))
            report_parts.extend([*fronts, *listing, tail])
        phase("report PDF parts")
        report_html = report_tpl.render(**base, charts=chart_svgs, for_pdf=False, prefix="", pdf_part=None,
                                        part_currencies=view.currencies, part_first=True, part_last=True)
        emit("report.html", _h(report_html), lambda: report_html.encode("utf-8"))
        done += 1
        progress(done, total, "report")

        phase("report pages")

    def data_and_index() -> None:
        nonlocal done
        # accountant's data (payments and activities are append-only: their keys say if they changed)
        data = src.aged_csv(view)
        emit("data/aged-receivables.csv", _h(data), lambda: data)
        phase("aged csv")
        items = _csv_fast(OPEN_ITEMS_HEADER, [], OPEN_ITEMS_TEXT) + b"".join(item_rows[cid] for cid in clients)
        emit("data/open-items.csv", _h(items), lambda: items)
        phase("open items csv")
        # the same document as `dun report --json` (receivables.report.report_to_json)
        rj = orjson.dumps(view.engine_json, option=orjson.OPT_INDENT_2)
        emit("data/report.json", _h(rj), lambda: rj)
        done += 1
        progress(done, total, "data")

        phase("csv and json")
        index_html = env.get_template("index.html").render(
            v=view, company=policy.company, locale=policy.defaults.locale, on=on, clients=clients, names=names,
            pdf=want_pdf, agenda_count=view.agenda_count,
        )
        emit("index.html", _h(index_html), lambda: index_html.encode("utf-8"))

        phase("index")

    def long_csvs() -> None:
        # Long, append-mostly tables, in cached blocks (see publish.csvdata).
        longs = src.long_csvs()
        src.long_rows = {c.name: c.rows for c in longs} if all(c.rows is not None for c in longs) else None
        for name, header, text, blocks, fresh, _ in longs:
            for rel, fp in blocks:
                if rel not in out.seen:
                    emit(rel, fp, lambda rel=rel, name=name: fresh.get(rel) or src.long_block(name, rel))
            emit(f"data/{name}.csv", _h(name, *(fp for _, fp in blocks)),
                 lambda header=header, text=text, blocks=blocks:
                 _csv_fast(header, [], text) + b"".join((out.root / rel).read_bytes() for rel, _ in blocks))
        phase("payments and activities csv")

    if early:  # what needs neither the charts nor the side process first
        statements()
        data_and_index()
        report()
        long_csvs()
    else:
        report()
        statements()
        data_and_index()
        long_csvs()
    used_charts = chart_svgs.used
    if report_parts and not pdf_jobs.in_process and "pypdf" not in sys.modules:
        # the join below needs pypdf: imported while this thread waits
        import threading

        threading.Thread(target=__import__, args=("pypdf",), name="dun-import-pypdf", daemon=True).start()
    if pdf_jobs.in_process:  # WeasyPrint makes reference cycles: collect while rendering here
        with collecting():
            _collect(pdf_jobs, out, result, new_files, pdf_fps, done, progress)
    else:
        _collect(pdf_jobs, out, result, new_files, pdf_fps, done, progress)
    phase("waiting for PDFs")
    if report_parts:
        _join_report(out, out_dir, old_files, new_files, report_parts, policy.publish.paper, result)
        phase("report PDF")
    # The cached parts are not outputs of their own: count and list what the reader sees.
    hidden = CACHE + "/"
    parts_written = sum(1 for rel in result.rewritten if rel.startswith(hidden))
    parts_total = sum(1 for p in result.paths if p.as_posix().startswith(hidden))
    result.written -= parts_written
    result.skipped -= parts_total - parts_written
    result.rewritten = [rel for rel in result.rewritten if not rel.startswith(hidden)]
    result.paths = [p for p in result.paths if not p.as_posix().startswith(hidden)]
    (tmp / MANIFEST).write_bytes(orjson.dumps({"format": FORMAT, "on": on.isoformat(), "files": new_files,
                                               "charts": used_charts},
                                              option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2))


def _join_report(out: _Out, out_dir: Path, old_files: dict, new_files: dict, parts: list[str], paper: str,
                 result: PublishResult) -> None:
    """report.pdf from its cached parts, numbered "Page X of Y" over the whole (the page-number
    overlay for Y pages is cached too)."""
    from .pdf import join_numbered, page_numbers_pdf

    fp = _h("report.pdf", *parts)
    rel = "report.pdf"
    target = out.path(rel)
    if old_files.get(rel) == fp and (out_dir / rel).is_file():
        _link(out_dir / rel, target)
        result.skipped += 1
        for nrel, nfp in old_files.items():  # keep the page-number overlay for the next change
            if nrel.startswith(f"{PARTS}/pages-") and (out_dir / nrel).is_file() and nrel.casefold() not in out.seen:
                _link(out_dir / nrel, out.path(nrel))
                new_files[nrel] = nfp
    else:
        def numbers(pages: int) -> bytes:
            nfp = _h(_templates_hash(), "page numbers", str(pages), paper)
            nrel = f"{PARTS}/pages-{nfp}.pdf"
            npath = out.path(nrel)
            if old_files.get(nrel) == nfp and (out_dir / nrel).is_file():
                _link(out_dir / nrel, npath)
            else:
                _write(npath, page_numbers_pdf(pages, paper, "Management report"))
            new_files[nrel] = nfp
            return Path(npath).read_bytes()

        _write(target, join_numbered([(out.root / p).read_bytes() for p in parts], numbers))
        result.written += 1
        result.rewritten.append(rel)
    new_files[rel] = fp
    result.paths.append(Path(rel))


def _collect(pdf_jobs, out, result, new_files, pdf_fps, done, progress) -> None:
    total = done + len(pdf_jobs)
    if len(pdf_jobs):
        for rel, data in pdf_jobs.results():
            _write(out.path(rel), data)
            result.written += 1
            result.rewritten.append(rel)
            result.paths.append(Path(rel))
            new_files[rel] = pdf_fps[rel]
            done += 1
            progress(done, total, rel)
    progress(total, total, "done")


class _Charts(dict):
    """Charts by name, drawn only when their data changed since the last build; by the PDF
    workers when ``call`` hands work to them (see :meth:`wait`)."""

    def __init__(self, cache: dict, call: Callable | None = None) -> None:
        super().__init__()
        self.cache = cache
        self.call = call
        self.used: dict[str, str] = {}
        self.pdf: dict[str, Markup] = {}  # the same charts as <img> for the PDF (see publish.pdf.html_to_pdf)
        self.files: dict[str, tuple[bytes, str]] = {}  # their SVG documents by URL (relative to the assets)
        self._drawn: list[tuple] = []  # (name, key, SVG text or None: to be drawn, fn, args), in order
        self._sent = None  # the workers' answer for the charts to be drawn (see send)

    def draw(self, name: str, fn, *args) -> None:
        key = _h(name, repr(args), _templates_hash())
        svg = self.cache.get(key)
        if svg is None and self.call is None:
            svg = str(fn(*args))
        self._drawn.append((name, key, svg, fn, args))

    def send(self) -> "_Charts":
        """Hand the charts to be drawn to one worker, in one call (see charts.draw_all)."""
        todo = [(fn.__name__, args) for _, _, svg, fn, args in self._drawn if svg is None]
        if todo:
            self._sent = self.call(charts.draw_all, todo)
        return self

    def wait(self) -> "_Charts":
        """Every chart drawn (the workers' answers collected), in the order asked for."""
        drawn: list = []
        if self._sent is not None:
            try:
                drawn = self._sent.result()
            except Exception:  # the workers are gone (killed): drawn here
                drawn = []
        answers = iter(drawn)
        for name, key, svg, fn, args in self._drawn:
            if svg is None:
                svg = next(answers, None) or str(fn(*args))
            self._put(name, key, svg)
        self._drawn, self._sent = [], None
        return self

    def _put(self, name: str, key: str, svg: str) -> None:
        self.used[key] = svg
        self[name] = Markup(svg)
        # A standalone document: the size in user units comes from the viewBox; the page
        # sizes it like the inline chart (full width, height from the aspect ratio).
        doc = _VIEWBOX.sub(r'<svg\1 width="\2" height="\3" viewBox="0 0 \2 \3"', svg, count=1).encode("utf-8")
        rel = f"charts/{_h(doc)}.svg"
        self.files[rel] = (doc, "image/svg+xml")
        self.pdf[name] = Markup(f'<img src="{rel}" alt="" style="width: 100%; height: auto">')


_VIEWBOX = re.compile(r'<svg([^>]*?) viewBox="0 0 ([0-9.]+) ([0-9.]+)"')


def _report_charts(view, cache: dict | None = None, call: Callable | None = None) -> _Charts:
    """The report's charts, asked for (collect them with :meth:`_Charts.wait`)."""
    out = _Charts(cache or {}, call)
    for c in view.currencies:
        cur = c.currency
        out.draw(f"aging-{cur}", charts.aging_chart, c.aging, cur)
        if c.trend and any(x is not None for x in c.trend.get("dso", ())):
            out.draw(
                f"dso-{cur}", charts.trend_chart, c.trend_months, {"DSO": c.trend["dso"], "Countback": c.trend["dso_countback"],
                                  "Best possible": c.trend["best_possible_dso"], "ADD": c.trend["add"]},
                "days", f"DSO, countback DSO, best possible DSO and ADD in {cur}, last 12 months")
            out.draw(f"cei-{cur}", charts.trend_chart, c.trend_months, {"CEI": c.trend["cei"]}, "%",
                     f"Collection effectiveness index in {cur}, last 12 months")
        if c.top:
            out.draw(f"top-{cur}", charts.hbar_chart, tuple(r.name for r in c.top), tuple(r.balance for r in c.top),
                     cur, f"Top debtors in {cur}")
        if c.forecast:
            out.draw(f"forecast-{cur}", charts.weekly_chart, tuple(d.strftime("%d %b") for d, _ in c.forecast),
                     tuple(a for _, a in c.forecast), cur, f"Expected receipts in {cur}, next 13 weeks")
    if view.channels_365:
        out.draw("channels", charts.channel_chart, view.channels_365, "Follow-ups by channel, last 12 months")
    return out.send() if call is not None else out


def _aged_buckets(ledger, cid: str, cur: str) -> tuple[Decimal, ...]:
    """The client's outstanding in one currency by aging bucket (in BUCKETS order)."""
    from .engine import BUCKETS, bucket_of

    buckets = {b: Decimal(0) for b in BUCKETS}
    for st in ledger.open_invoices(cid, cur):
        buckets[bucket_of(st.days_overdue)] += st.outstanding
    return tuple(buckets.values())


def _aged_csv(view, buckets_of: Callable[[str, str], tuple]) -> bytes:
    from .engine import BUCKETS

    rows = []
    for r in view.clients:
        rows.append([r.id, r.name, r.currency, *(to_text(x, r.currency) for x in buckets_of(r.id, r.currency)),
                     to_text(r.balance, r.currency), to_text(r.overdue, r.currency), str(r.oldest_days)])
    header = ["client", "name", "currency", *BUCKETS, "balance", "overdue", "oldest_days_overdue"]
    return _csv_fast(header, rows, {"client", "name"})


OPEN_ITEMS_HEADER = ["client", "invoice", "issued", "due", "currency", "amount", "outstanding", "days_overdue",
                     "status", "reference"]
OPEN_ITEMS_TEXT = {"client", "invoice", "reference"}


def _open_item_rows(ledger, cid: str) -> bytes:
    """One client's lines of the open-items CSV (no header)."""
    rows = []
    for st in ledger.open_invoices(cid):
        inv = st.invoice
        rows.append([cid, inv.number, inv.issued.isoformat(), inv.due.isoformat(), inv.currency,
                     to_text(inv.amount, inv.currency), to_text(st.outstanding, inv.currency),
                     str(st.days_overdue), st.status, inv.reference])
    return _csv_fast(OPEN_ITEMS_HEADER, rows, OPEN_ITEMS_TEXT, with_header=False)


def _write(path: str, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)


def _link(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


_recover = outdir.recover
_swap = outdir.swap
