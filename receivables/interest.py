"""Late-payment interest and fixed compensation (``[interest]`` in the policy).

Rules (the README repeats them):

- ``regime = "none"`` gives zero interest and zero compensation; ``contract`` runs at
  ``annual_rate`` with no margin and no compensation.
- ``uk-late-payment``: one rate for the life of the debt, fixed by the day interest starts
  to run (the day after the due date). The Late Payment of Commercial Debts (Rate of
  Interest) (No. 3) Order 2002 (SI 2002/1675):

      art. 3: "the official dealing rate" means the rate announced from time to time by the
      Monetary Policy Committee of the Bank of England ("the Bank") and for the time being
      in force as the official dealing rate [...]
      art. 4: The rate of statutory interest [...] shall be 8 per cent per annum over the
      official dealing rate in force on 30th June (in the case of interest which starts to
      run between 1st July and 31st December) or 31st December (in the case of interest
      which starts to run between 1st January and 30th June), immediately before the day
      on which statutory interest starts to run.

  So a debt due 30 June 2025 starts to run on 1 July 2025 and takes the rate in force on
  30 June 2025; one due 31 December takes the rate of that 31 December.
- ``eu-late-payment``: the rate moves half-year by half-year over the life of the debt.
  Directive 2011/7/EU art. 2(6): "'statutory interest for late payment' means simple
  interest for late payment at a rate which is equal to the sum of the reference rate and
  at least eight percentage points"; art. 2(7): "'reference rate' means [...] for a Member
  State whose currency is the euro [...] the interest rate applied by the European Central
  Bank to its most recent main refinancing operations"; and the Directive's semester rule:
  the applicable reference rate "for the first semester of the year concerned shall be the
  rate in force on 1 January of that year; for the second semester [...] the rate in force
  on 1 July of that year". As transposed in Germany, BGB §247(1): "Er verändert sich zum
  1. Januar und 1. Juli eines jeden Jahres um die Prozentpunkte, um welche die Bezugsgröße
  seit der letzten Veränderung des Basiszinssatzes gestiegen oder gefallen ist.
  Bezugsgröße ist der Zinssatz für die jüngste Hauptrefinanzierungsoperation der
  Europäischen Zentralbank vor dem ersten Kalendertag des betreffenden Halbjahrs."
  (the Basiszinssatz is therefore not the ECB rate itself: it is 3.62 adjusted by the ECB
  rate's moves since 2002, e.g. 1.62 against the ECB's 2.50 on 1 January 2023).
  The days of a debt are split at every 1 January / 1 July and at every settlement.
- The reference rate comes from the table the regime reads (``[[interest.rates.boe]]``,
  ``[[interest.rates.ecb]]``, or the one ``[interest] reference`` names). A day before the
  table's first entry is an error naming the table to extend — never a fallback; the
  result then says "not computed" and why (:attr:`InterestResult.error`).
- Simple interest accrues on the amount outstanding for each day from the day after the due
  date up to and including the as-of date (or the day the debt is paid: a debt paid on the
  due date + 10 carries 10 days — the day count is payment date minus due date, as in
  gov.uk's example). A settlement dated D reduces the balance from the day after D;
  settlements before the due date simply reduce the principal. Days already claimed on a
  charge document (see :mod:`receivables.claims`) no longer accrue.
- Rounding: interest = sum over the periods of basis x rate/100 x days / 365, in exact
  Decimal arithmetic, rounded ONCE at the end, half-up to the currency's minor unit.
  Rounding the daily figure first (as gov.uk's illustration does, 23p a day x 50 = £11.50)
  compounds an error of up to half a penny per day; rounding once gives the true figure
  (£1,000 at 8.5% for 50 days = £11.64) and is what a court's calculation gives.
- Compensation once per invoice that was paid late or is overdue: UK (Act s.5A) 40 below
  1,000, 70 from 1,000 up to 9,999.99, 100 from 10,000, by the invoice amount, in GBP; EU
  (Directive art. 6) 40, in EUR. An invoice in another currency takes the fixed sum
  ``[interest.compensation]`` lists for that currency, else it is "not computed" with the
  reason (:attr:`InterestResult.compensation_note`). None under ``contract``.
- A charge document (an invoice of kind ``charge``) carries no interest or compensation.
"""
from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Iterable

from .ledger import InvoiceState, Ledger, Settlement
from .model import Book, InterestSegment
from .money import round_money
from .policy import REGIME_CURRENCY, TABLE_LABEL, InterestPolicy, Policy, ReferenceRate

ZERO = Decimal(0)
_DAYS_A_YEAR = Decimal(365)
_HUNDRED = Decimal(100)
_DAY = timedelta(days=1)
STATUTORY = ("uk-late-payment", "eu-late-payment")


class RateMissing(Exception):
    """A day the reference-rate table does not cover (the message is one line)."""


@dataclass(frozen=True, slots=True)
class Claimed:
    """What charge documents already claim on one invoice."""

    until: date | None = None  # the last day of interest claimed
    compensation: bool = False


@dataclass(frozen=True, slots=True)
class InterestResult:
    interest: Decimal  # rounded to the currency's minor unit
    compensation: Decimal
    rate: Decimal  # percent a year, margin included (the latest period's)
    days: int  # days on which interest ran (and is not yet claimed)
    currency: str = ""
    segments: tuple[InterestSegment, ...] = ()
    error: str = ""  # interest not computed: why (one line)
    compensation_note: str = ""  # compensation not computed: why (one line)

    @property
    def total(self) -> Decimal:
        return self.interest + self.compensation

    @property
    def start(self) -> date | None:
        return self.segments[0].start if self.segments else None

    @property
    def end(self) -> date | None:
        return self.segments[-1].end if self.segments else None

    @property
    def rates(self) -> tuple[Decimal, ...]:
        return tuple(dict.fromkeys(g.rate for g in self.segments))

    @property
    def problem(self) -> str:
        return "; ".join(x for x in (self.error, self.compensation_note) if x)


def uk_reference_day(starts: date) -> date:
    """SI 2002/1675 art. 4: the 30 June or 31 December immediately before the day on which
    statutory interest starts to run (``starts`` = the day after the due date)."""
    return date(starts.year - 1, 12, 31) if starts.month <= 6 else date(starts.year, 6, 30)


def reference_date(due: date) -> date:
    """The day whose Bank Rate fixes the UK rate of a debt due on ``due``."""
    return uk_reference_day(due + _DAY)


def half_year_start(day: date) -> date:
    """1 January or 1 July: the day whose reference rate applies to ``day`` (EU rule)."""
    return date(day.year, 1, 1) if day.month <= 6 else date(day.year, 7, 1)


def rate_in_force(rates: tuple[ReferenceRate, ...], day: date, table: str = "boe") -> Decimal:
    """The reference rate in force on ``day``; :class:`RateMissing` when the table starts later."""
    starts = [r.start for r in rates]
    k = bisect_right(starts, day)
    if k == 0:
        label = TABLE_LABEL.get(table, table)
        first = f"it starts on {rates[0].start}" if rates else "it is empty"
        raise RateMissing(f"interest not computed: [[interest.rates.{table}]] ({label}) has no rate in force on "
                          f"{day} ({first}); extend that table in policy.toml back to {day}")
    return rates[k - 1].rate


def annual_rate(due: date, ip: InterestPolicy) -> Decimal:
    """The yearly rate (percent) of a debt due on ``due`` for its first day of interest
    (UK: for its whole life). Raises :class:`RateMissing`."""
    if ip.regime == "none":
        return ZERO
    if ip.regime == "contract":
        return ip.annual_rate or ZERO
    starts = due + _DAY
    day = uk_reference_day(starts) if ip.regime == "uk-late-payment" else half_year_start(starts)
    return rate_in_force(ip.reference_rates, day, ip.reference) + (ip.margin or ZERO)


def compensation(amount: Decimal, regime: str) -> Decimal:
    """The statutory fixed sum for one late invoice of ``amount`` in the regime's currency."""
    if regime == "uk-late-payment":  # Late Payment of Commercial Debts (Interest) Act 1998 s.5A(2)
        if amount < 1000:
            return Decimal(40)
        if amount < 10000:
            return Decimal(70)
        return Decimal(100)
    if regime == "eu-late-payment":  # Directive 2011/7/EU art. 6(1): a minimum fixed sum of EUR 40
        return Decimal(40)
    return ZERO


def fixed_sum(amount: Decimal, currency: str, ip: InterestPolicy) -> tuple[Decimal, str]:
    """(compensation, note): the fixed sum in ``currency``, or zero and why not."""
    legal = REGIME_CURRENCY.get(ip.regime)
    if legal is None:
        return ZERO, ""
    if currency == legal:
        return compensation(amount, ip.regime), ""
    explicit = ip.fixed_sum(currency)
    if explicit is not None:
        return explicit, ""
    return ZERO, (f"compensation not computed: the {ip.regime} regime fixes it in {legal}, not {currency}; "
                  f"set [interest.compensation] {currency} = \"...\" in policy.toml to claim a fixed sum")


def _periods(due: date, amount: Decimal, settlements: Iterable[Settlement], asof: date,
             after: date) -> tuple[list[tuple[date, date, Decimal]], Decimal | None]:
    """Runs of days (first, last, balance) with a constant balance > 0, between the day
    after ``after`` and ``asof``; and the debt when it first ran late (None: it never did)."""
    out: list[tuple[date, date, Decimal]] = []
    late: Decimal | None = None
    balance = amount
    start = due  # the day before the next day to accrue; day d accrues on the balance before settlements dated d

    def run(a: date, b: date) -> None:
        a = max(a, after)
        if b > a:
            out.append((a + _DAY, b, balance))

    for s in settlements:
        if s.date > asof:
            break
        if s.date > start:
            if balance > 0:
                if late is None:
                    late = balance
                run(start, s.date)
            start = s.date
        balance -= s.amount
    if asof > start and balance > 0:
        if late is None:
            late = balance
        run(start, asof)
    return out, late


def _segments(due: date, runs: list[tuple[date, date, Decimal]], ip: InterestPolicy) -> list[InterestSegment]:
    """Each run with its rate; EU runs are split at 1 January and 1 July."""
    if not runs:
        return []
    margin = ip.margin or ZERO
    if ip.regime == "contract":
        return [InterestSegment(a, b, bal, ip.annual_rate or ZERO) for a, b, bal in runs]
    if ip.regime == "uk-late-payment":
        rate = annual_rate(due, ip)
        return [InterestSegment(a, b, bal, rate) for a, b, bal in runs]
    out = []
    for a, b, bal in runs:
        while a <= b:
            h = half_year_start(a)
            h_end = date(h.year, 6, 30) if h.month == 1 else date(h.year, 12, 31)
            last = min(b, h_end)
            out.append(InterestSegment(a, last, bal, rate_in_force(ip.reference_rates, h, ip.reference) + margin))
            a = last + _DAY
    return out


def invoice_interest(
    state: InvoiceState | Ledger,
    settlements: Iterable[Settlement] | Policy,
    interest_policy: InterestPolicy | str,
    asof: date,
    claimed: Claimed | None = None,
) -> InterestResult:
    """Interest and compensation on one invoice as of ``asof``, net of what ``claimed``
    says charge documents already claim.

    Called as ``invoice_interest(state: InvoiceState, settlements, policy.interest, asof)``;
    also accepts ``invoice_interest(ledger, policy, number, asof)`` (the state is then
    taken from the ledger, which must be as of ``asof``, or derived for that one invoice,
    and the claims from the ledger's book).
    """
    if isinstance(state, Ledger):
        return _from_ledger(state, settlements, interest_policy, asof)
    inv = state.invoice
    cur = inv.currency
    ip = interest_policy
    zero = round_money(ZERO, cur)
    if ip.regime == "none" or inv.kind == "charge":
        return InterestResult(zero, zero, ZERO, 0, cur)
    claimed = claimed or Claimed()
    after = max(inv.due, claimed.until) if claimed.until else inv.due
    runs, late = _periods(inv.due, inv.amount, settlements, asof, after)
    # Act s.5A(1)-(2): "Once statutory interest begins to run in relation to a qualifying debt,
    # the supplier shall be entitled to a fixed sum ... (a) for a debt less than £1000, the sum of
    # £40; (b) for a debt of £1000 or more, but less than £10,000, the sum of £70; (c) for a debt
    # of £10,000 or more, the sum of £100." The debt is what was unpaid when interest began to
    # run (the invoice less what was paid or credited by its due date), the amount the interest
    # itself runs on; a £1,200 invoice £300 of which was paid on time is a late debt of £900.
    comp, note = (ZERO, "") if late is None or claimed.compensation else fixed_sum(late, cur, ip)
    comp = round_money(comp, cur)
    try:
        segments = _segments(inv.due, runs, ip)
    except RateMissing as e:
        return InterestResult(zero, comp, ZERO, 0, cur, (), str(e), note)
    interest = segments_interest(segments, cur)
    rate = segments[-1].rate if segments else (_safe_rate(inv.due, ip))
    return InterestResult(interest, comp, rate, sum(g.days for g in segments), cur, tuple(segments), "", note)


def segments_interest(segments: Iterable[InterestSegment], currency: str) -> Decimal:
    """The interest on ``segments``: basis x rate/100 x days / 365 summed exactly, rounded once,
    half-up to the currency's minor unit (the module docstring)."""
    acc = sum((g.basis * g.rate * g.days for g in segments), ZERO)
    return round_money(acc / _HUNDRED / _DAYS_A_YEAR, currency)


def _safe_rate(due: date, ip: InterestPolicy) -> Decimal:
    try:
        return annual_rate(due, ip)
    except RateMissing:
        return ZERO


# ---------------------------------------------------------------------------------------
# what charge documents already claim

# (the invoices mapping it was built from, the date, the index): one at a time, read and replaced
# as one tuple (two threads may ask for different books' claims: the app's screen drafts while
# its worker works days out)
_CLAIMS: list = [None]


def claims_index(book: Book, asof: date) -> dict[str, Claimed]:
    """What the book's charge documents issued by ``asof`` claim, by invoice number (kept for
    the last book and date). A claim posted later claims nothing yet: before, a day before
    it showed the invoice's interest and compensation as 0 (already claimed)."""
    invoices = book.invoices
    kept = _CLAIMS[0]
    if kept is not None and kept[0] is invoices and kept[1] == asof:
        return kept[2]
    until: dict[str, date] = {}
    comp: set[str] = set()
    for inv in invoices.values():
        if inv.kind != "charge" or inv.issued > asof:
            continue
        for c in inv.charges:
            if c.kind == "interest" and c.end is not None:
                if c.invoice not in until or c.end > until[c.invoice]:
                    until[c.invoice] = c.end
            elif c.kind == "compensation":
                comp.add(c.invoice)
    idx = {n: Claimed(until.get(n), n in comp) for n in until.keys() | comp}
    _CLAIMS[0] = (invoices, asof, idx)
    return idx


def _from_ledger(ledger: Ledger, policy: Policy, number: str, asof: date) -> InterestResult:
    from .ledger import invoice_state, is_disputed

    settlements = ledger.index.settlements.get(number, ())
    st = ledger.invoices.get(number) if ledger.asof == asof else None
    if st is None:
        inv = ledger.book.invoices[number]
        st = invoice_state(inv, settlements, asof, is_disputed(ledger.index, number, asof))
    ip = policy.interest if isinstance(policy, Policy) else policy
    return invoice_interest(st, settlements, ip, asof, claims_index(ledger.book, asof).get(number))


def client_interest(ledger: Ledger, policy: Policy, client_id: str) -> dict[str, InterestResult]:
    """Interest and compensation per invoice of one client (every invoice issued by the
    ledger's date that ran late, paid or not, and is not fully claimed), keyed by invoice
    number, oldest due first. An invoice whose interest could not be computed is included
    with its :attr:`InterestResult.error`."""
    ip = policy.interest
    if ip.regime == "none":
        return {}
    return late_results(ledger.client_invoices(client_id), ledger.index.settlements, ip, ledger.asof,
                        claims_index(ledger.book, ledger.asof))


def late_results(states: Iterable[InvoiceState], settlements, ip: InterestPolicy, asof: date,
                 claims: dict) -> dict[str, InterestResult]:
    """:func:`client_interest` over ``states`` (each invoice's state as of ``asof``): those that
    ran late, paid or not, with something not yet claimed, in the order given."""
    out: dict[str, InterestResult] = {}
    for st in states:
        inv = st.invoice
        if asof <= inv.due or inv.kind == "charge":
            continue
        if st.settled_on is not None and st.settled_on <= inv.due:
            continue
        r = invoice_interest(st, settlements.get(inv.number, ()), ip, asof, claims.get(inv.number))
        if r.interest or r.compensation or r.problem:
            out[inv.number] = r
    return out


def interest_of(index, policy: Policy, numbers: Iterable[str], on: date) -> dict[str, InterestResult]:
    """Interest and compensation on the invoices ``numbers`` as of ``on`` (an agenda action's
    invoices), from a :class:`~receivables.ledger.BookIndex`; unknown numbers are left out."""
    from .ledger import invoice_state

    claims = claims_index(index.book, on)
    out: dict[str, InterestResult] = {}
    for n in numbers:
        inv = index.book.invoices.get(n)
        if inv is None or inv.issued > on:
            continue
        s = index.settlements.get(n, ())
        out[n] = invoice_interest(invoice_state(inv, s, on, False), s, policy.interest, on, claims.get(n))
    return out


def interest_totals(results: dict[str, InterestResult] | Iterable[InterestResult]) -> dict[str, tuple[Decimal, Decimal]]:
    """Totals by currency: ``{currency: (interest, compensation)}``."""
    items = results.values() if isinstance(results, dict) else results
    out: dict[str, tuple[Decimal, Decimal]] = {}
    for r in items:
        i, c = out.get(r.currency, (ZERO, ZERO))
        out[r.currency] = (i + r.interest, c + r.compensation)
    return out


def interest_problem_list(book: Book, policy: Policy, on: date) -> list:
    """A :class:`~receivables.errors.Problem` for every invoice whose interest cannot be
    computed as of ``on`` (a day outside the rate table; ``dun check`` lists them)."""
    from .errors import Problem
    from .ledger import derive

    out: list[Problem] = []
    if policy.interest.regime not in STATUTORY:
        return out
    ledger = derive(book, on)
    for client_id in book.clients:
        for number, r in client_interest(ledger, policy, client_id).items():
            if r.error:
                out.append(Problem(r.error, f"invoice {number} ({client_id})"))
    return out


STALE_TABLE_DAYS = 183  # a reference-rate table whose newest entry is older than this is worth a look


def stale_rate_table(policy: Policy, on: date) -> str:
    """One line when the rate table the regime reads ends long before ``on`` (its newest entry
    more than :data:`STALE_TABLE_DAYS` earlier): its last rate is used for every later day, so
    a decision left out gives debts a wrong rate. "" otherwise. (A rate may well stand that
    long: the line asks for a look, it is not an error.)"""
    ip = policy.interest
    if ip.regime not in STATUTORY or not ip.reference_rates:
        return ""
    newest = max(r.start for r in ip.reference_rates)
    if (on - newest).days <= STALE_TABLE_DAYS:
        return ""
    label = TABLE_LABEL.get(ip.reference, ip.reference)
    return (f"the newest entry of [[interest.rates.{ip.reference}]] ({label}) is from {newest.isoformat()}, "
            f"{(on - newest).days} days before {on.isoformat()}: check for rate decisions since and add them "
            f"(its last rate is used for every later day)")

