"""The demo generator's working records: constants, money from whole minor units, the
per-client behaviour, invoices as they are worked on, the records collected before ids are
given, and the final :class:`Book` built from them."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from ..model import (
    Activity,
    Adjustment,
    Allocation,
    Book,
    Client,
    Dispute,
    Invoice,
    InvoiceLine,
    Payment,
    PaymentPlan,
    PromiseToPay,
)
from ..policy import Step

ZERO = Decimal(0)
CENT = Decimal("0.01")
DAY = timedelta(days=1)
HISTORY_DAYS = 540  # invoices spread over the last ~18 months

# The ladder of the repo's policy.toml, used when no policy is given.
DEFAULT_STEPS: tuple[Step, ...] = (
    Step("courtesy", -3, "email", "courtesy", title="Courtesy reminder"),
    Step("reminder", 1, "email", "reminder", title="Friendly reminder"),
    Step("call", 10, "phone", "call", min_overdue=Decimal("100.00"), title="Phone call"),
    Step("second-reminder", 21, "email", "second_reminder", title="Second reminder"),
    Step("final-notice", 35, "letter", "final_notice", required=True, credit_hold=True, title="Final notice"),
    Step("agency", 50, "letter", "agency", escalate="agency", min_overdue=Decimal("250.00"), title="Hand over to agency"),
)

# -- money helpers (integers of minor units; never floats) ---------------------------------------

def money(minor: int, places: int = 2) -> Decimal:
    return Decimal(minor).scaleb(-places)


def pct(amount: Decimal, percent: int) -> Decimal:
    """``percent``% of an amount, rounded half-up to pence."""
    return (amount * percent / 100).quantize(CENT, rounding=ROUND_HALF_UP)


def weekday(d: date) -> date:
    wd = d.weekday()
    return d + timedelta(days=7 - wd) if wd >= 5 else d


# -- internal working records ---------------------------------------------------------------------

@dataclass(slots=True)
class Profile:
    kind: str  # prompt, steady, slow, late, drifting
    mean: float  # days late, on average
    spread: float
    partial: float  # probability an invoice is paid in two parts
    batch: bool  # pays on a weekly payment run (one remittance for several invoices)
    size: str  # small, medium, large
    start: date  # first invoice
    stop: date | None = None  # pays nothing from this date on (a broken promise)


@dataclass(slots=True)
class Inv:
    number: str
    client: str
    issued: date
    due: date
    amount: Decimal
    currency: str
    tax: Decimal
    lines: tuple[InvoiceLine, ...]
    reference: str
    pay: date | None = None  # when the (rest of the) invoice is paid; None: not by today
    events: list = field(default_factory=list)  # (date, amount) settlements, for the ladder
    pauses: list = field(default_factory=list)  # (start, end or None): the ladder waits
    settled: date | None = None
    special: str = ""  # set by a scenario: the natural payment is not generated

    def outstanding(self, on: date) -> Decimal:
        out = self.amount
        for d, amt in self.events:
            if d <= on:
                out -= amt
        return out


METHODS = {"GBP": "BACS", "EUR": "SEPA transfer", "USD": "wire transfer"}


class Out:
    """Collects generated records before ids are given in date order."""

    def __init__(self) -> None:
        self.payments: list[tuple] = []  # (date, client, currency, amount, allocations, method, reference)
        self.adjustments: list[tuple] = []  # (date, kind, client, amount, currency, invoice, reason)
        self.activities: list[tuple] = []  # (date, order, client, kwargs)
        self.promises: list[tuple] = []  # (made, client, amount, currency, by, invoices)
        self.disputes: list[tuple] = []  # (opened, invoice, client, reason, resolved, resolution)
        self.plans: list[tuple] = []

    def pay(self, inv_list: list[tuple["Inv", Decimal]], d: date, client: str, currency: str,
            extra: Decimal = ZERO, method: str = "", reference: str = "") -> None:
        method = method or METHODS.get(currency, "bank transfer")
        allocs = []
        total = extra
        for inv, amt in inv_list:
            inv.events.append((d, amt))
            allocs.append(Allocation(inv.number, amt))
            total += amt
        self.payments.append((d, client, currency, total, tuple(allocs), method, reference))

    def adjust(self, inv: "Inv", d: date, kind: str, amount: Decimal, reason: str) -> None:
        inv.events.append((d, amount))
        self.adjustments.append((d, kind, inv.client, amount, inv.currency, inv.number, reason))

    def activity(self, d: date, client: str, **kw) -> None:
        self.activities.append((d, len(self.activities), client, kw))


def assemble(clients: dict[str, Client], invs: list[Inv], out: Out) -> Book:
    invoices = {
        i.number: Invoice(i.number, i.client, i.issued, i.due, i.currency, i.amount, i.tax, i.lines, i.reference)
        for i in invs
    }
    payments = tuple(
        Payment(f"PAY-{n:06d}", d, cl, amt, cur, method, ref, allocs)
        for n, (d, cl, cur, amt, allocs, method, ref) in enumerate(sorted(out.payments, key=lambda t: (t[0], t[1])), start=1)
    )
    adjustments = tuple(
        Adjustment(f"ADJ-{n:06d}", kind, d, cl, amt, cur, inv, reason)
        for n, (d, kind, cl, amt, cur, inv, reason) in enumerate(sorted(out.adjustments, key=lambda t: (t[0], t[2], t[5] or "")), start=1)
    )
    activities = tuple(
        Activity(id=f"ACT-{n:06d}", date=d, client=cl, **kw)
        for n, (d, _, cl, kw) in enumerate(sorted(out.activities, key=lambda t: (t[0], t[2], t[1])), start=1)
    )
    promises = tuple(
        PromiseToPay(f"PRM-{n:06d}", cl, made, amt, cur, by, invs_)
        for n, (made, cl, amt, cur, by, invs_) in enumerate(sorted(out.promises, key=lambda t: (t[0], t[1])), start=1)
    )
    disputes = tuple(
        Dispute(f"DSP-{n:06d}", inv, cl, reason, opened, resolved, resolution)
        for n, (opened, inv, cl, reason, resolved, resolution) in enumerate(sorted(out.disputes, key=lambda t: (t[0], t[1])), start=1)
    )
    plans = tuple(
        PaymentPlan(f"PLN-{n:06d}", cl, created, cur, invs_, inst)
        for n, (created, cl, cur, invs_, inst) in enumerate(sorted(out.plans, key=lambda t: (t[0], t[1])), start=1)
    )
    return Book(clients=clients, invoices=invoices, payments=payments, adjustments=adjustments,
                activities=activities, promises=promises, plans=plans, disputes=disputes)
