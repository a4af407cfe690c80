"""The engine's records: what a client's or the book's day is made of (plain frozen data)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from operator import attrgetter

from ..model import PUT_OFF, PaymentPlan, PromiseToPay, record_maker
from ..tuning import quiet_gc  # noqa: F401  (re-exported: the engine's callers use it)

ZERO = Decimal(0)
HUNDRED = Decimal(100)
TENTH = Decimal("0.1")
INSTALLMENT_REMINDER_DAYS = 3
KINDS = ("step", "promise", "installment", "dispute", "credit_review", "credit")
NOT_DONE = PUT_OFF  # (receivables.model: snoozed, skipped)
HOLD_LIFTED = "hold_lifted"
BUCKETS = ("current", "1-30", "31-60", "61-90", "91-120", "120+")
WEEKS = 13
TOP = 10
DOUBTFUL_DAYS = 90
ACTIVITY_DAYS = 30


def bucket_of(days_overdue: int) -> str:
    return BUCKETS[bucket_index(days_overdue)]


def bucket_index(d: int) -> int:
    """The index in BUCKETS of ``d`` days overdue."""
    return 0 if d <= 0 else 1 if d <= 30 else 2 if d <= 60 else 3 if d <= 90 else 4 if d <= 120 else 5


def tenth(x: Decimal) -> Decimal:
    return x.quantize(TENTH, rounding=ROUND_HALF_UP)


def in_date_order(records):
    """The records sorted by date (stable); as given when they already are, as a log is."""
    dates = [r.date for r in records]
    if all(a <= b for a, b in zip(dates, dates[1:])):
        return records
    return sorted(records, key=attrgetter("date"))


# ---------------------------------------------------------------------------------------
# the agenda's records


@dataclass(frozen=True, slots=True)
class Action:
    client: str
    kind: str  # one of KINDS
    step: str | None
    channel: str
    invoices: tuple[str, ...]
    amount: Decimal  # what those invoices still owe
    currency: str
    template: str | None
    title: str
    reason: str
    since: date
    ref: str | None = None  # promise, plan or dispute id
    escalate: str | None = None  # "agency" | "legal"
    credit_hold: bool = False  # doing this step puts the client on hold
    priority: tuple = ()  # (tier, weighted overdue amount, days overdue): higher is more urgent
    client_name: str = ""
    overdue: Decimal = ZERO  # the part of ``amount`` that is overdue
    days_overdue: int = 0  # the oldest of the invoices
    risk: int = 0
    key: str = ""  # what an activity's ``step`` holds when it does this action

    @property
    def id(self) -> str:
        """A stable id for the action on its date: client, currency and key."""
        return f"{self.client}/{self.currency}/{self.key}"


@dataclass(frozen=True, slots=True)
class PromiseStatus:
    promise: PromiseToPay
    invoices: tuple[str, ...]  # covered
    paid: Decimal  # paid toward it since it was made (as of the date)
    state: str  # "open" | "kept" | "broken" | "followed-up" | "superseded" (by a later promise)
    deadline: date  # by + grace
    kept_on: date | None = None


@dataclass(frozen=True, slots=True)
class PlanStatus:
    plan: PaymentPlan
    paid: Decimal
    state: str  # "active" | "completed" | "broken" | "cancelled"
    next_index: int | None  # first unmet installment (0-based)
    broken_on: date | None = None


@dataclass(frozen=True, slots=True)
class ClientStatus:
    client: str
    hold: bool
    hold_reason: str
    handed_over: dict  # invoice number -> "agency" | "legal" (open invoices only)
    promises: tuple[PromiseStatus, ...]  # open and broken-not-followed-up
    plan: PlanStatus | None  # the active plan, if any
    disputes: tuple  # open Dispute records
    over_credit_limit: bool
    credit_limit: Decimal | None
    balance: Decimal  # in the client's own currency
    credit_review_due: date | None  # when the credit review became due, if it is


@dataclass(frozen=True, slots=True)
class Behaviour:
    """How a client has paid over the 12 months before a date."""

    paid_count: int
    avg_days_to_pay: Decimal | None  # to one decimal
    avg_days_late: Decimal | None
    worsening: bool
    recent_days_late: Decimal | None
    earlier_days_late: Decimal | None
    promises_made: int
    promises_kept: int
    promises_broken: int

    @property
    def promises_kept_rate(self) -> Decimal | None:
        n = self.promises_kept + self.promises_broken
        return None if n == 0 else tenth(Decimal(self.promises_kept) * HUNDRED / n)  # half-up, as the book's rate


@dataclass(frozen=True, slots=True)
class Risk:
    score: int  # 0-100
    reasons: tuple[str, ...]


# ---------------------------------------------------------------------------------------
# the report's records


@dataclass(frozen=True, slots=True)
class Figures:
    """DSO and friends for one currency on one date."""

    date: date
    total: Decimal  # AR
    current: Decimal  # AR not yet due
    sales_90d: Decimal
    dso: Decimal | None
    best_possible_dso: Decimal | None
    add: Decimal | None
    dso_countback: Decimal | None
    cei: Decimal | None

    @property
    def overdue(self) -> Decimal:
        return self.total - self.current


@dataclass(frozen=True, slots=True)
class CurrencyFigures:
    currency: str
    aging: dict  # bucket -> Decimal, in BUCKETS order
    total: Decimal
    overdue: Decimal
    credit: Decimal  # unallocated client credit
    sales_90d: Decimal
    dso: Decimal | None
    best_possible_dso: Decimal | None
    add: Decimal | None
    dso_countback: Decimal | None
    cei: Decimal | None
    open_invoices: int


@dataclass(frozen=True, slots=True)
class ClientFigures:
    client: str
    name: str
    currency: str
    balance: Decimal
    open_amount: Decimal
    overdue: Decimal
    open_invoices: int
    oldest_days_overdue: int
    avg_days_to_pay: Decimal | None
    avg_days_late: Decimal | None
    worsening: bool
    promises_kept_rate: Decimal | None
    risk: int
    risk_reasons: tuple[str, ...]
    hold: bool
    hold_reason: str
    over_credit_limit: bool
    credit_limit: Decimal | None
    handed_over: int  # open invoices handed over
    disputes: int


@dataclass(frozen=True, slots=True)
class ForecastWeek:
    start: date
    end: date
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Forecast:
    currency: str
    weeks: tuple[ForecastWeek, ...]
    later: Decimal
    doubtful: Decimal

    @property
    def total(self) -> Decimal:
        return sum((w.amount for w in self.weeks), ZERO)


@dataclass(frozen=True, slots=True)
class Escalation:
    client: str
    name: str
    invoice: str
    to: str  # "agency" | "legal"
    outstanding: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class Hold:
    client: str
    name: str
    reason: str


@dataclass(frozen=True, slots=True)
class DisputeLine:
    id: str
    client: str
    name: str
    invoice: str
    reason: str
    opened: date
    outstanding: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class PlanLine:
    id: str
    client: str
    name: str
    currency: str
    total: Decimal
    paid: Decimal
    installments: int
    next_due: date | None
    next_amount: Decimal | None


@dataclass(frozen=True, slots=True)
class PromiseFigures:
    made: int  # in the 365 days ending on the date
    kept: int
    broken: int
    open: int

    @property
    def kept_rate(self) -> Decimal | None:
        n = self.kept + self.broken
        return None if n == 0 else tenth(Decimal(self.kept) * HUNDRED / n)


@dataclass(frozen=True, slots=True)
class Report:
    on: date
    currencies: dict  # code -> CurrencyFigures
    clients: tuple  # ClientFigures, largest balance first
    forecast: dict  # code -> Forecast
    trend: dict  # code -> tuple[Figures, ...] (11 month-ends, then the date)
    top_debtors: dict  # code -> tuple[ClientFigures, ...]
    escalations: tuple
    holds: tuple
    disputes: tuple
    plans: tuple
    promises: PromiseFigures
    activity: dict  # channel -> count over ACTIVITY_DAYS days ending on the date
    activity_from: date


# Each of these is made for every client on every date asked about: record_maker builds the
# same records (class, fields, equality) without a frozen class's field-by-field __init__.
make_status = record_maker(ClientStatus)
make_behaviour = record_maker(Behaviour)
make_risk = record_maker(Risk)
make_figures = record_maker(ClientFigures)
