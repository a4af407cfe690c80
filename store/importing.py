"""One import of a file into a book, whatever its kind, for ``dun import`` and the app's
Import dialog alike: the file's records worked out against the book (pure functions in
:mod:`receivables`), then stored in one all-or-nothing commit unless it is a dry run.

A bad row refuses the whole file (one line naming the file, the row and the column) and
changes nothing; rows already in the book are skipped, so importing a file twice changes
nothing."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from receivables.errors import DunError

KINDS = ("clients", "invoices", "payments", "xero", "bank")
MAX_FILE_BYTES = 256 * 1024 * 1024  # a file this big is no export or statement a small firm makes


@dataclass(frozen=True)
class Imported:
    """What an import did: ``result`` is the kind's result (``lines()`` says it in words),
    ``stored`` the records the commit stored (none in a dry run)."""

    kind: str
    source: str
    result: Any
    stored: tuple
    dry_run: bool

    def lines(self) -> list[str]:
        """The summary, then the rows not imported (CSV kinds), as the CLI prints them."""
        if self.kind in ("xero", "bank"):
            lines = list(self.result.lines())
        else:
            lines = [self.result.summary(), *self.result.skipped_rows]
        if self.dry_run:
            lines[0] += "  (dry run: nothing written)"
        return lines

    @property
    def warnings(self) -> tuple[str, ...]:
        return tuple(getattr(self.result, "warnings", ()) or ())


def read_file(path: Path) -> bytes:
    """The file's bytes, or one line saying why they cannot be read."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise DunError(f"is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB", str(path),
                           "split it, or check that it is the right file")
        return path.read_bytes()
    except FileNotFoundError:
        raise DunError("file not found", str(path), "check the path") from None
    except IsADirectoryError:
        raise DunError("is a folder, not a file", str(path), "name the CSV file") from None
    except OSError as e:
        raise DunError(f"cannot be read: {e.strerror}", str(path)) from None


def import_into(repo, kind: str, data: bytes, source: str, on: date, *, paid_on: date | None = None,
                dry_run: bool = False) -> Imported:
    """Import ``data`` (the file named ``source``) of ``kind`` into the book as of ``on``
    (today: invoices and payments dated after it are refused); ``paid_on``: Xero's payments'
    date. Raises DunError (nothing changed) for a file or row that cannot be imported."""
    if kind not in KINDS:
        raise DunError(f"unknown import kind {kind!r}", "import", f"use one of {', '.join(KINDS)}")
    policy = repo.policy()
    updates: tuple = ()
    if kind == "xero":
        from receivables.xero import import_xero

        result = import_xero(data, repo.book(), policy.defaults, source=source, today=on, paid_on=paid_on)
        records, updates = result.records, result.updates
    elif kind == "bank":
        from receivables.bank import read_statement
        from receivables.matching import import_bank

        result = import_bank(read_statement(data, source, policy.bank), RepoSource(repo), on)
        records, updates = result.records, result.updates
    else:
        from receivables.imports import import_file

        result = import_file(kind, data, repo.book(), policy.defaults, source=source,
                             charge_prefix=policy.interest.claim_prefix, on=on)
        records = result.records
    stored: tuple = ()
    if not dry_run and (records or updates):
        stored = tuple(repo.commit(list(records), list(updates)) or ())
    return Imported(kind, source, result, stored, dry_run)


class RepoSource:
    """What bank matching reads, straight from the store's documents (see
    :class:`receivables.matching.BookSource`): a statement of thousands of lines into a large
    book need not decode the whole book."""

    def __init__(self, repo) -> None:
        from . import codec

        self.repo, self.codec = repo, codec
        self.clients = repo.clients()
        self.aliases = [codec.alias_from_doc(d) for d in repo.documents("aliases")]
        self._receipts = {d["id"]: d for d in repo.documents("receipts")}

    def receipt(self, rid: str):
        doc = self._receipts.get(rid)
        return None if doc is None else self.codec.receipt_from_doc(doc)

    def sync(self, kind: str):
        return next((self.codec.sync_from_doc(d) for d in self.repo.documents("syncs") if d.get("id") == kind), None)

    def invoice_positions(self):
        from .openitems import invoice_positions

        return invoice_positions(self.repo)
