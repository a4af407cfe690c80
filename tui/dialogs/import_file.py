"""Import a file (clients, invoices, payments, a bank statement, a Xero export) from inside
the app, as ``dun import`` does: all or nothing, rows already in the book skipped. The queue,
the panels and the counts follow at once."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from receivables.errors import DunError
from store.importing import KINDS

from .. import actions
from ..fmt import safe
from ..messages import ImportDone
from .base import PENDING, Field, FormDialog

_SIZES = ((1024 * 1024, "MB"), (1024, "kB"))


def _kind(text: str) -> str:
    """One of KINDS, or enough of one to tell which ("pay", "b")."""
    t = text.strip().lower()
    got = [k for k in KINDS if k.startswith(t)] if t else []
    if len(got) != 1:
        raise DunError(f"{text.strip()!r} is not a kind of file dun imports", "kind", ", ".join(KINDS))
    return got[0]


def _file(text: str) -> Path:
    p = Path(text.strip()).expanduser()
    if not p.exists():
        raise DunError("no such file", "file", "type the path (a ~ for your home folder works)")
    if not p.is_file():
        raise DunError("is not a file", "file", "name the file itself")
    return p


def _size(p: Path, text: str) -> str:
    try:
        n = p.stat().st_size
    except OSError:  # (gone since it was typed: the import says so)
        return ""
    shown = next((f"{n / unit:.1f} {name}" for unit, name in _SIZES if n >= unit), f"{n} bytes")
    return f"= {p.resolve()} ({shown})"


class ImportDialog(FormDialog):
    TITLE_TEXT = "Import a file"
    BINDINGS = [Binding("ctrl+o", "check", "Check", id="import.check",
                        tooltip="Say what the file would add, writing nothing (a dry run)")]

    def fields(self) -> list[Field]:
        return [
            Field("kind", "Kind", "payments", _kind, help="clients, invoices, payments, bank or xero"),
            Field("file", "File", "", _file, placeholder="e.g. ~/Downloads/statement.ofx", note=_size),
        ]

    def first_focus(self) -> Any:
        return self.query_one("#in-file")

    def compose_extra(self) -> ComposeResult:
        yield Static("", id="import-preview", markup=False)
        yield Static("ctrl+o checks the file and writes nothing; ctrl+s imports it. All or nothing: a bad row "
                     "refuses the whole file, naming the row, and nothing changes. Rows already in the book are "
                     "skipped, so a file imported twice adds nothing.\n"
                     "CSV columns — clients: id,name,email,phone,terms_days,credit_limit,currency · invoices: "
                     "number,client,issued,due,amount,currency,reference · payments: "
                     "date,client,amount,currency,reference,invoice. bank: OFX/QFX, camt.053 or the CSV of "
                     "policy.toml [bank]; xero: Xero's sales-invoice export.", classes="dim", markup=False)

    def save(self, v: dict[str, Any]) -> Any:
        """The import runs in a worker (a bank statement into a large book takes seconds): the
        form says so and takes no second save meanwhile."""
        if self._importing:
            return PENDING
        self._importing = True
        self._file = v["file"]
        dry, self._dry = self._dry, False
        self.query_one("#form-error", Static).update(f"{'Checking' if dry else 'Importing'} {v['file'].name}…")
        self.run_import(v["kind"], v["file"], dry)
        return PENDING

    _importing = False
    _dry = False
    _file: Path | None = None

    def on_values(self, values: dict[str, Any]) -> None:
        self.query_one("#import-preview", Static).update("")  # (what was checked is no longer what is typed)

    def action_check(self) -> None:
        """ctrl+o: the save's checks and the import's, as a dry run (nothing written)."""
        if not self._importing:
            self._dry = True
            self.action_save()
            self._dry = False

    @work(thread=True, exclusive=True, group="import", description="import a file")
    def run_import(self, kind: str, path: Path, dry_run: bool = False) -> None:
        try:
            self.post_message(ImportDone(done=actions.import_file(self.app.repo, kind, path, self.app.on, dry_run)))
        except DunError as e:
            self.post_message(ImportDone(error=e))
        except Exception as e:  # (shown, the app kept alive; nothing was stored: a commit is all or nothing)
            self.post_message(ImportDone(error=DunError(f"{type(e).__name__}: {e}", "import")))

    def action_cancel(self) -> None:
        if self._importing:  # (a commit is all or nothing: it is not stopped half-way, and its end is shown here)
            self.app.notify("The import goes on until it is done or refused (all or nothing).", timeout=4)
            return
        super().action_cancel()

    def on_import_done(self, message: ImportDone) -> None:
        self._importing = False
        if message.error is not None:  # (the file and the row it names are what the owner needs here)
            p = message.error.problem
            self.saving_failed(DunError(f"{p.where}: {p.message}" if p.where else p.message, "", p.hint))
            return
        done = message.done
        lines = done.lines()
        more = [*lines[1:6], *done.warnings[:3]]
        if done.dry_run:  # (the form stays, with what an import would do under it)
            self.query_one("#form-error", Static).update("")
            self.query_one("#import-preview", Static).update(safe("\n".join([lines[0], *more]), lines=True))
            return
        self.app.notify(safe("\n".join([lines[0], *more])), title=f"Imported {self._file.name}", markup=False,
                        timeout=12)
        self.saved(done)
