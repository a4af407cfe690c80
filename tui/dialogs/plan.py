"""Start a payment plan over some of a client's open invoices."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from textual.app import ComposeResult
from textual.widgets import Static

from receivables.errors import DunError
from receivables.plans import split_installments

from .. import actions
from ..fmt import money
from .base import Field, FormDialog, date_parser, int_parser

ZERO = Decimal(0)


class PlanDialog(FormDialog):
    def __init__(self, client: str, invoices: list[str] | None = None) -> None:
        super().__init__()
        self.client = client
        self.invoices = invoices or []
        self.TITLE_TEXT = f"Payment plan — {client}"

    def _open(self) -> dict[str, Any]:
        return {s.invoice.number: s for s in self.app.state.ledger_for(self.client).open_invoices(self.client) if not s.disputed}

    def fields(self) -> list[Field]:
        client = self.app.state.book.clients.get(self.client)
        if client is not None:
            self.TITLE_TEXT = f"Payment plan — {client.name}"
        open_ = self._open()

        def invoices(text: str) -> tuple[str, ...]:
            folded = {k.casefold(): k for k in open_}  # (typed in lower case: the number as the book has it)
            nums = tuple(dict.fromkeys(folded.get(x.strip().casefold(), x.strip())
                                       for x in text.replace(",", " ").split() if x.strip()))
            if not nums:
                raise DunError("name at least one invoice", "invoices")
            curs = set()
            for n in nums:
                if n not in open_:
                    which = ", ".join(list(open_)[:6]) + (" …" if len(open_) > 6 else "")
                    raise DunError(f"{n} is not an open, undisputed invoice of {self.client}", "invoices",
                                   f"its open ones: {which}" if open_ else "it has none")
                curs.add(open_[n].invoice.currency)
            if len(curs) > 1:
                raise DunError("all invoices of a plan must be in one currency", "invoices")
            return nums

        default = " ".join(self.invoices or list(open_)[:10])
        return [
            Field("invoices", "Invoices", default, invoices),
            Field("count", "Installments", "3", int_parser(1, 120)),
            Field("every", "Every (days)", "30", int_parser(1, 366)),
            Field("first", "First installment", (self.app.on + timedelta(days=7)).isoformat(),
                  date_parser(not_before=self.app.on)),
        ]

    def first_focus(self) -> Any:
        """The invoices come proposed (the one selected, else the client's open ones): typing
        starts at the number of installments."""
        if self.query_one("#in-invoices").value.strip():
            return self.query_one("#in-count")
        return super().first_focus()

    def compose_extra(self) -> ComposeResult:
        yield Static("", id="plan-preview", markup=False)

    def _total(self, nums) -> tuple[Decimal, str]:
        open_ = self._open()
        total = sum((open_[n].outstanding for n in nums), ZERO)
        cur = open_[nums[0]].invoice.currency if nums else "GBP"
        return total, cur

    def on_values(self, v: dict[str, Any]) -> None:
        out = self.query_one("#plan-preview", Static)
        if not all(v.get(k) is not None for k in ("invoices", "count", "every", "first")):
            out.update("")
            return
        total, cur = self._total(v["invoices"])
        try:
            items = split_installments(total, cur, v["count"], v["first"], v["every"])
        except DunError as e:
            out.update(str(e))
            return
        lines = [f"Covers {money(total, cur)}:"]
        for k, i in enumerate(items[:6], 1):
            lines.append(f"  {k}. {i.due.isoformat()}  {money(i.amount, cur)}")
        if len(items) > 6:
            lines.append(f"  … {len(items) - 6} more, last {items[-1].due.isoformat()} {money(items[-1].amount, cur)}")
        out.update("\n".join(lines))

    def save(self, v: dict[str, Any]) -> Any:
        return actions.start_plan(self.app.repo, self.client, v["invoices"], v["count"], v["first"], v["every"],
                                  self.app.on)
