"""A republish (``dun pay`` then ``dun publish``, or ``P`` in the app) without deriving the whole book.

Every build made from a book (not a bare :class:`Book`) leaves, in ``BOOK/.cache``, the
state it was made from: for every client its statement's fingerprint and action, its
open-items rows, its share of the report (:func:`receivables.report.client_parts`) and its
aged-receivables buckets, with the *mark* of the book's committed state it read
(:meth:`store.Repository.change_mark`) and a hash of the site's manifest. The next build
asks the book which clients changed since that mark (the journal says), reads only those
clients' records, works their entries out as a whole build would, merges the report from
every client's part (:func:`receivables.report.report_from_parts`), and renders the site
as usual: unchanged statements are linked from the old site, the report is rendered again.
A changed client's records come from the copy of every client's documents the whole-book
build kept (:mod:`store.clientdocs`) and the journal since, so no table of the book is
parsed for them. The payments and activities CSVs are brought up to date from the last
build's rows (kept in the state) and the documents the journal put since
(:func:`publish.csvdata.update`); when they cannot be, a side process parses those two
tables and keys their blocks from the stored documents, decoding only the rows of a new
block.

Whenever the state cannot be trusted the build reads the whole book instead: no state, a
state of another dun (its code), another date, policy or set of templates, a site changed
since (its manifest), a book rewritten since (a checkpoint, a restored backup: the mark is
unknown), a change that touched something of no one client, or many changed clients.

The app uses the state too (its repository has the book in memory, so reading a changed
client is taking that client's records from it): merging the kept entries is quicker than
updating its index and working out every statement's fingerprint. When the state cannot be
used, a build from the whole book still brings the long CSVs up to date from the rows the
state kept (:func:`kept_rows`), if those can be trusted.

The state is a pickle, so it lives in the user's own cache folder (:func:`state_path`),
never in the book or the output folder: either may have been prepared by someone else.
"""
from __future__ import annotations

import hashlib
import pickle
from collections import Counter
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from receivables.errors import DunError
from receivables.ledger import index_book

from . import csvdata, engine
from .reportview import view_of
from .site import (
    MANIFEST,
    _aged_csv,
    _open_ledger,
    _per_client,
    _Side,
    _statement,
    _StatementPlan,
    _templates_hash,
    base_hash_of,
)

STATE_FORMAT = "dun-site-state-2"
MAX_CHANGED = 200  # more changed clients than this: reading the whole book is as quick


@lru_cache(maxsize=1)
def _code_hash() -> str:
    """The code that makes the state: a state made by another version is not used."""
    h = hashlib.sha256()
    root = Path(__file__).resolve().parent.parent
    for pkg in ("receivables", "publish"):
        for p in sorted((root / pkg).glob("*.py")):
            h.update(p.name.encode())
            h.update(p.read_bytes())
    return h.hexdigest()


def state_path(repo, out_dir: Path) -> Path:
    """In the user's cache folder, named for the book's and the site's folders: never in the
    book or the site, which may come from someone else (a pickle read from there could run
    code). A state is still checked against the book's mark and the site's manifest."""
    from store.files import user_cache_dir

    book = hashlib.sha256(str(Path(repo.paths.root).resolve()).encode()).hexdigest()[:16]
    site = hashlib.sha256(str(Path(out_dir).resolve()).encode()).hexdigest()[:16]
    return user_cache_dir() / "site-state" / f"{book}-{site}.pickle"


def _manifest_hash(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def save(repo, out_dir: Path, mark: str, source) -> None:
    """Keep the state the build of ``source`` was made from (see the module docstring).
    Written after the site is swapped in: a crash between the two leaves a state whose
    manifest hash no longer matches, so it is not used."""
    from store.files import atomic_write

    entries = source.entries
    path = state_path(repo, out_dir)
    try:
        if not entries or len(entries) != len(source.clients):
            path.unlink(missing_ok=True)
            return
        state = {
            "format": STATE_FORMAT, "code": _code_hash(), "base_hash": source.base_hash, "mark": mark,
            "manifest": _manifest_hash((out_dir / MANIFEST).read_bytes()), "entries": entries,
            "actions": dict(source.actions), "long": source.long_rows,
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL))
    except OSError:
        # the site is published; only the next build's head start is lost
        try:
            path.unlink(missing_ok=True)
        except OSError:
            pass


def read_state(repo, policy, on: date, out_dir: Path, manifest_raw: bytes) -> dict | None:
    """The kept state, if it was made by this code, for this date, policy and templates, and
    from the site as it is (its manifest); None otherwise. Read once per build: both
    :func:`source` and :func:`kept_rows` start from it."""
    path = state_path(repo, out_dir)
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    try:
        state = pickle.loads(raw)
    except Exception:  # a damaged or foreign file: build from the whole book
        return None
    if not isinstance(state, dict) or state.get("format") != STATE_FORMAT or state.get("code") != _code_hash():
        return None
    if state.get("base_hash") != base_hash_of(policy, on) or state.get("manifest") != _manifest_hash(manifest_raw):
        return None
    return state


class KeptRows(NamedTuple):
    """The last build's long-CSV rows and the documents of those tables the journal put since."""
    rows: dict
    puts: list
    out_dir: str


MAX_PUTS = 20_000  # more documents put since the last build: digesting every row is as quick


def kept_rows(repo, state: dict | None, out_dir: Path | str) -> KeptRows | None:
    """The last build's long-CSV rows, if they can be brought up to date from the journal
    (:func:`updated_long_csvs`) instead of every row digested again; decided before the build
    starts, so that when they cannot, the rows are digested on the other core."""
    if state is None or not state.get("long") or set(state["long"]) != set(csvdata.LONG_TABLES):
        return None
    puts = repo.puts_since(state["mark"], csvdata.LONG_TABLES)
    if puts is None or len(puts) > MAX_PUTS:
        return None
    return KeptRows(state["long"], puts, str(out_dir))


def updated_long_csvs(kept: KeptRows, policy, on: date, old_files: dict) -> list[csvdata.LongCsv]:
    """The long CSVs from the last build's rows and the documents the journal put since
    (:func:`publish.csvdata.update`); raises :class:`publish.csvdata.Stale` when they cannot be."""
    show, tag = policy.publish.internal_notes, _templates_hash()
    out = []
    for name in csvdata.LONG_TABLES:
        docs = [doc for table, doc in kept.puts if table == name]
        try:
            out.append(csvdata.update(name, kept.rows[name], docs, on, show, old_files, kept.out_dir, tag))
        except (KeyError, TypeError, ValueError, AttributeError) as e:  # an odd document: read the tables
            raise csvdata.Stale(str(e)) from None
    return out


def source(repo, policy, on: date, state: dict | None, old_files: dict, out_dir: Path):
    """The site's data from the kept ``state`` (:func:`read_state`) and the changed clients'
    records, or None (no state, the mark unknown, many clients changed)."""
    if state is None:
        return None
    changed = repo.clients_changed_since(state["mark"])
    if changed is None or len(changed) > MAX_CHANGED:
        return None
    try:
        return _Fast(repo, policy, on, state, changed, old_files, str(out_dir))
    except DunError:
        raise
    except Exception:  # pragma: no cover - anything unexpected: the whole book is always right
        return None


class _Fast:
    """What the site shows: the kept entries, with the changed clients' worked out again."""

    early = True  # every fingerprint is known before the report is made

    long_rows = None  # set by the build

    def __init__(self, repo, policy, on: date, state: dict, changed: set[str], old_files: dict,
                 out_dir: str) -> None:
        self.repo, self.policy, self.on, self.old_files, self.out_dir = repo, policy, on, old_files, out_dir
        self.base_hash = state["base_hash"]
        self.kept = kept_rows(repo, state, out_dir)
        entries = dict(state["entries"])
        actions = dict(state["actions"])
        self.own: dict[str, tuple] = {}
        for cid in sorted(changed):
            book = repo.client_book(cid)
            if cid not in book.clients:  # pragma: no cover - clients are never deleted
                entries.pop(cid, None)
                actions.pop(cid, None)
                continue
            index = index_book(book)
            ledger = _open_ledger(index, policy, on)
            agenda = engine.build_agenda(index, policy, on)
            plan = _StatementPlan.make(book, policy, on, index, agenda)
            got = _per_client(book, policy, on, ledger, plan.first_action, plan.records, plan.base_hash, [cid], index)
            entries[cid] = (plan.action_keys[cid], got["fingerprints"][cid], got["open_items"][cid], got["parts"][cid])
            actions[cid] = len(agenda)
            self.own[cid] = (book, ledger, plan)
        self.clients = sorted(entries)
        self.entries = {cid: entries[cid] for cid in self.clients}
        self.actions = actions

    def start(self, sides: list) -> None:
        self._long = None
        if self.kept is None:  # no rows to update: a side process reads the two tables
            self._long = _Side(sides, _repo_long_csvs, self.repo, self.on, self.policy.publish.internal_notes,
                               self.old_files, _templates_hash())

    def derive(self, phase) -> None:
        self._parts = {cid: pickle.loads(e[3]) for cid, e in self.entries.items()}
        phase("kept state")

    def fingerprints(self) -> dict[str, tuple]:
        return self.entries

    def statement(self, cid: str):
        book, ledger, plan = self.own[cid]
        return _statement(book, self.policy, self.on, ledger, plan, cid)

    def view(self):
        parts = {cid: p[0] for cid, p in self._parts.items()}
        rep = engine.report_module().report_from_parts(parts, self.on)
        year: Counter = Counter()
        for p in parts.values():
            year.update(p.activity_year)
        return view_of(rep, year, sum(self.actions.values()))

    def aged_csv(self, view) -> bytes:
        return _aged_csv(view, lambda cid, cur: self._parts[cid][1][cur])

    def long_csvs(self) -> list[csvdata.LongCsv]:
        if self._long is None:
            try:
                return updated_long_csvs(self.kept, self.policy, self.on, self.old_files)
            except csvdata.Stale:  # read the two tables after all
                return _repo_long_csvs(self.repo, self.on, self.policy.publish.internal_notes, self.old_files,
                                       _templates_hash())
        return self._long.result()

    def long_block(self, name: str, rel: str) -> bytes:
        return csvdata.block(_repo_long_tables(self.repo, self.on, self.policy.publish.internal_notes), name, rel,
                             _templates_hash())

    def release(self) -> None:
        self._parts = self.own = self._long = None


def _repo_long_tables(repo, on: date, show_internal: bool) -> list[csvdata.Table]:
    return csvdata.tables_of_docs(repo.documents("payments"), repo.documents("activities"), on, show_internal)


def _repo_long_csvs(repo, on: date, show_internal: bool, old_files: dict, tag: str) -> list[csvdata.LongCsv]:
    """The payments and activities CSVs' blocks (see publish.csvdata), from the book's stored
    documents: run in a side process, which reads them from this process's memory."""
    return csvdata.build(_repo_long_tables(repo, on, show_internal), old_files, tag)


__all__ = ["save", "read_state", "source", "kept_rows", "updated_long_csvs", "state_path", "STATE_FORMAT"]
