"""What a site shows, gathered before anything is rendered (Pelican style: context, then writers).

Every answer comes through the derived layer (:func:`derived.current`: each client's
:class:`~receivables.engine.ClientDay`, the agenda and the report, checked against the
store's per-client revisions); a bare :class:`~receivables.model.Book` (no store) is derived
here the same way, client by client, and folded. What a page needs beyond that is read from
the records of the clients it is about, and only when that page is to be made: a statement
whose fingerprint (the client's revision and the build's key) names a verified file of the
last site is not made at all. A client's rows of the CSVs (the long payments and activities CSVs, its open
items, its aging) are kept per revision (:mod:`publish.kept`); a build formats only the rows
of clients not kept, and decodes no other client's day. A full build is
this same path with nothing kept.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

from receivables.engine import ClientDay, derive_client, fold, group_by_client
from receivables.ledger import derive, index_book
from receivables.money import to_text
from receivables.tuning import FEW_CLIENTS, quiet_gc

from . import csvdata, engine, kept
from .digests import FORMAT, h, templates_hash
from .messages import draft_from_day
from .names import file_names
from .reportview import view_of
from .statements import statement_data

OPEN_ITEMS_HEADER = ["client", "invoice", "issued", "due", "currency", "amount", "outstanding", "days_overdue",
                     "status", "reference"]
OPEN_ITEMS_TEXT = {"client", "invoice", "reference"}


@dataclass
class Context:
    """One build's inputs (see the module docstring); ``records`` fill in as pages ask."""

    repo: object  # the store's repository, or None for a bare book
    book: object  # the bare book (None for a repository until the whole book is wanted)
    policy: object
    on: date
    want_pdf: bool
    book_id: str | None
    revisions: dict[str, str]
    days: Mapping[str, ClientDay]  # (the derived layer's: an entry is decoded when asked for)
    book_day: object  # its agenda, report and totals: a receivables.engine.BookDay, or derived's Fold
    derived: object = None  # derived.Derived (a repository's)
    clients: list[str] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)
    base: str = ""
    kept: kept.Kept = field(default_factory=kept.Kept)
    kept_key: str = ""
    records: dict = field(default_factory=dict)  # client -> its records (a Book of one client)
    rows: dict = field(default_factory=dict)  # client -> {table: (keys, lines)} (ROW_TABLES)

    # -- what the pages are named by -----------------------------------------------------------
    def statement_fp(self, cid: str, kind: str) -> str:
        """A statement's fingerprint: everything it is made from (the client's records by their
        revision, the build's key, its file name; the HTML page links to the PDF or not)."""
        return h(self.base, kind, cid, self.revisions[cid], self.names[cid], "pdf" if self.want_pdf else "no-pdf")

    # -- records, read only when a page needs them ---------------------------------------------
    def load(self, clients) -> None:
        """Read the records of ``clients`` (those not read yet): the whole book once when many."""
        todo = [cid for cid in clients if cid not in self.records]
        if not todo:
            return
        with quiet_gc():
            if self.book is None and len(todo) > FEW_CLIENTS:
                self.book = self.repo.book()
            if self.book is not None:
                if len(todo) > FEW_CLIENTS or self.repo is None:
                    groups = group_by_client(self.book)
                    self.records.update((cid, groups[cid]) for cid in todo)
                else:
                    self.records.update((cid, self.book.only(cid)) for cid in todo)
            else:
                self.records.update((cid, self.repo.client_book(cid)) for cid in todo)

    def statement(self, cid: str):
        """A client's statement with the message of its first written action, from its records."""
        self.load([cid])
        rec, day, policy, on = self.records[cid], self.days[cid], self.policy, self.on
        action = next((a for a in day.actions if a.kind == "step" and a.channel != "phone"), None)
        # every invoice of the client, not only its open ones: an invoice paid late still carries
        # its interest and compensation (a row of its own, in the total due), as in the
        # statement an e-mail attaches
        ledger = derive(index_book(rec), on)
        with engine.keeping_last():
            bare = statement_data(rec, policy, cid, on, ledger=ledger, action=action, find_action=False)
            # the message from the contexts kept with the client's day (no deriving again)
            draft = draft_from_day(action, day, rec.clients[cid], policy, on) if action is not None else None
        return replace(bare, message=draft)

    # -- the data files ------------------------------------------------------------------------
    def view(self):
        return view_of(self.book_day.report, self.book_day.totals.activity_year, len(self.book_day.agenda))

    def aged_csv(self, view) -> bytes:
        rows = []
        for r in view.clients:
            keys, lines = self.rows[r.id]["aging"]
            cells = (lines[keys.index(r.currency)].split(" ") if r.currency in keys
                     else [to_text(Decimal(0), r.currency)] * len(engine.BUCKETS))
            rows.append([r.id, r.name, r.currency, *cells,
                         to_text(r.balance, r.currency), to_text(r.overdue, r.currency), str(r.oldest_days)])
        header = ["client", "name", "currency", *engine.BUCKETS, "balance", "overdue", "oldest_days_overdue"]
        return csvdata.csv_fast(header, rows, {"client", "name"})

    def open_items_csv(self) -> bytes:
        return (csvdata.csv_fast(OPEN_ITEMS_HEADER, [], OPEN_ITEMS_TEXT)
                + "".join([line for cid in self.clients for line in self.rows[cid]["open-items"][1]]).encode("utf-8"))

    def client_rows(self) -> None:
        """Every client's rows of the CSVs (:data:`ROW_TABLES`): kept ones while the client's
        revision is the same, the others formatted from its records and its day."""
        show = self.policy.publish.internal_notes
        todo = []
        for cid in self.clients:
            got = self.kept.rows.get(cid)
            if got is not None and got[0] == self.revisions[cid]:
                self.rows[cid] = got[1]
            else:
                todo.append(cid)
        self.load(todo)
        for cid in todo:
            self.rows[cid] = {**csvdata.client_rows(self.records[cid], self.on, show), **day_rows(self.days[cid])}

    def long_csv(self, name: str) -> bytes:
        return csvdata.joined(name, (self.rows[cid][name] for cid in self.clients))

    def keep_for_next(self, charts: dict[str, str]) -> None:
        """Keep this build's rows and charts for the next build (a repository's book only)."""
        if self.book_id is None or self.repo is None:
            return
        data = kept.Kept({cid: (self.revisions[cid], self.rows[cid]) for cid in self.clients if cid in self.rows},
                         dict(charts))
        kept.write(self.book_id, self.kept_key, data)


ROW_TABLES = (*csvdata.LONG_TABLES, "open-items", "aging")


def day_rows(day: ClientDay) -> dict[str, tuple[list[str], list[str]]]:
    """A client's rows of the open-items CSV (keyed by invoice) and its aging cells (keyed by
    currency: the bucket amounts, space-separated), from its day."""
    rows, numbers = [], []
    for st in day.open:
        if st.outstanding > 0:
            inv = st.invoice
            numbers.append(inv.number)
            rows.append([day.client, inv.number, inv.issued.isoformat(), inv.due.isoformat(), inv.currency,
                         to_text(inv.amount, inv.currency), to_text(st.outstanding, inv.currency),
                         str(st.days_overdue), st.status, inv.reference])
    currencies = list(day.part.currencies)
    return {"open-items": (numbers, csvdata.format_lines(OPEN_ITEMS_HEADER, rows, OPEN_ITEMS_TEXT)),
            "aging": (currencies, [" ".join(to_text(x, cur) for x in day.part.currencies[cur].aging)
                                   for cur in currencies])}


def gather(repo_or_book, policy, on: date, want_pdf: bool, previous=None) -> Context:
    """The context of a build of ``repo_or_book`` (a repository, or a bare book) on ``on``.
    ``previous``: the caller's :class:`derived.Derived` of this book, if it has one."""
    from derived import code_version, policy_digest

    repo = repo_or_book if hasattr(repo_or_book, "client_revisions") else None
    with quiet_gc():
        if repo is not None:
            import derived as derived_layer

            d = derived_layer.current(repo, policy, on, previous)
            # (the fold, not d.book_day: a build needs no action's message context decoded)
            ctx = Context(repo, None, policy, on, want_pdf, repo.cache_id, dict(d.revisions), d.days,
                          d.fold, d)
        else:
            book = repo_or_book
            groups = group_by_client(book)
            days = {cid: derive_client(groups[cid], policy, on, cid) for cid in book.clients}
            # no store to name the records' state: a digest of the records themselves does
            revisions = {cid: h(repr(groups[cid])) for cid in book.clients}
            ctx = Context(None, book, policy, on, want_pdf, None, revisions, days, fold(days, on), None,
                          records=dict(groups))
    ctx.clients = sorted(ctx.days)
    ctx.names = file_names(ctx.clients)
    ctx.base = h(FORMAT, templates_hash(), policy_digest(policy), code_version(), on.isoformat(), ctx.book_id or "")
    ctx.kept_key = kept.key_digest(FORMAT, ctx.book_id or "", policy_digest(policy), code_version(),
                                   templates_hash(), on.isoformat())
    ctx.kept = kept.read(ctx.book_id, ctx.kept_key, ROW_TABLES)
    return ctx
