"""The book on disk. Nothing outside this package imports tinydb.

A book is a folder::

    BOOK/
      policy.toml     the firm's collection policy (a copy of the repo's default, edited by the owner)
      book.json       the store: a TinyDB document (one table per record kind + "meta")
      book.journal    committed changes since book.json was last rewritten (one line each)
      .lock           who holds the write lock
      backups/        rotating daily backups (BOOK/backups/book-YYYY-MM-DD.json)
      site/           published output (dun publish)
      outbox/         e-mail ready to send (dun mail)

Public API (see :mod:`store.repository`)::

    init_book(path, book=None) -> BookPaths # new book with the default policy (empty, or holding a
                                            # whole Book validated at once: fast path for dun demo)
    open_book(path, readonly=False) -> Repository
        # DunError if missing/corrupt; BookLocked (a DunError) naming the holder if another
        # process writes; callers that can live with reading (the TUI) reopen readonly=True.
    repo.paths, repo.read_only, repo.version
    repo.policy() -> Policy                 # BOOK/policy.toml, validated (DunError on problems)
    repo.book() -> Book                     # every record, immutable; cached until the next write
    repo.client_book(client_id) -> Book     # just one client's records (fast; Book.partial is True)
    repo.refresh() -> bool                  # re-read if another process committed since
    # for derived copies of the book (the published site, publish.fast): what changed since a state
    repo.change_mark() -> str               # names the committed state now
    repo.clients_changed_since(mark)        # -> set of client ids, or None if it cannot be told
    repo.puts_since(mark, tables)           # -> [(table, stored document)] put since, or None
    repo.documents(table) -> list[dict]     # one table's stored documents, undecoded
    # writes: each validates (receivables.validate), then commits atomically and durably,
    # or raises DunError and changes nothing; ids left "" are assigned ("PAY-000123").
    repo.add_client(c) / repo.update_client(c) / repo.set_hold(client_id, hold, reason="")
    repo.add_invoice(i) / repo.update_invoice(i)
    repo.record_payment(p) -> Payment       # allocations as given (see ledger.propose_allocation)
    repo.add_adjustment(a) -> Adjustment    # credit note / write-off / adjustment
    repo.log_activity(a) -> Activity        # append-only
    repo.add_promise(p) -> PromiseToPay
    repo.add_plan(p) -> PaymentPlan / repo.cancel_plan(plan_id, on)
    repo.open_dispute(d) -> Dispute / repo.resolve_dispute(dispute_id, on, resolution="")
    repo.commit(records) -> list            # many new records in one all-or-nothing commit (imports)
    repo.check() -> list[Problem]           # validate the whole book, change nothing
    repo.close()
    list_backups(path) / restore_backup(path, name)
"""
from .backups import list_backups, restore_backup  # noqa: F401
from .repository import (  # noqa: F401  (the package's public API)
    BookLocked,
    BookPaths,
    ReadOnlyBook,
    Repository,
    init_book,
    open_book,
)
