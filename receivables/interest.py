"""Late-payment interest and fixed compensation (``[interest]`` in the policy).

Rules (the README repeats them):

- ``regime = "none"`` gives zero interest and zero compensation.
- The yearly rate of a debt is fixed by when it fell due. For the statutory regimes
  (``uk-late-payment``, ``eu-late-payment``) it is the reference rate in force on
  31 December before (debts due 1 January-30 June) or on 30 June (due 1 July-31
  December), plus ``margin`` percentage points. If the table starts after that day, the
  earliest listed rate is used. For ``contract`` it is ``annual_rate``, with no margin.
- Simple interest accrues daily on the outstanding amount from the day after the due
  date: the sum over the periods between settlements of outstanding x rate/100 x days/365,
  up to the as-of date or full settlement. A settlement dated D reduces the balance from
  D on (interest runs up to and including the day before it is paid: a debt paid on the
  due date + 10 carries 10 days). Settlements before the due date simply reduce the
  principal. The sum is exact Decimal arithmetic, rounded half-up to the currency's minor
  unit once, at the end.
- Compensation is claimed once per invoice that was paid late or is overdue on the as-of
  date: UK 40 below 1,000, 70 from 1,000 up to 9,999.99, 100 from 10,000 (by the invoice
  amount); EU 40; none under ``contract``. The figure is taken in the invoice's currency.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Iterable

from .ledger import InvoiceState, Ledger, Settlement
from .money import round_money
from .policy import InterestPolicy, Policy

ZERO = Decimal(0)
_DAYS_A_YEAR = Decimal(365)
_HUNDRED = Decimal(100)
STATUTORY = ("uk-late-payment", "eu-late-payment")


@dataclass(frozen=True, slots=True)
class InterestResult:
    interest: Decimal  # rounded to the currency's minor unit
    compensation: Decimal
    rate: Decimal  # percent a year, margin included
    days: int  # days on which interest ran
    currency: str = ""

    @property
    def total(self) -> Decimal:
        return self.interest + self.compensation


def reference_date(due: date) -> date:
    """The day whose reference rate fixes the rate of a debt due on ``due``."""
    return date(due.year - 1, 12, 31) if due.month <= 6 else date(due.year, 6, 30)


def annual_rate(due: date, ip: InterestPolicy) -> Decimal:
    """The yearly rate (percent) for a debt that fell due on ``due``."""
    if ip.regime == "none":
        return ZERO
    if ip.regime == "contract":
        return ip.annual_rate or ZERO
    rates = ip.reference_rates
    if not rates:
        return ip.margin or ZERO
    ref = reference_date(due)
    base = rates[0].rate
    for r in rates:  # sorted by start at load
        if r.start <= ref:
            base = r.rate
        else:
            break
    return base + (ip.margin or ZERO)


def compensation(amount: Decimal, regime: str) -> Decimal:
    """The fixed sum for one late invoice of ``amount`` under ``regime``."""
    if regime == "uk-late-payment":
        if amount < 1000:
            return Decimal(40)
        if amount < 10000:
            return Decimal(70)
        return Decimal(100)
    if regime == "eu-late-payment":
        return Decimal(40)
    return ZERO


def invoice_interest(
    state: InvoiceState | Ledger,
    settlements: Iterable[Settlement] | Policy,
    interest_policy: InterestPolicy | str,
    asof: date,
) -> InterestResult:
    """Interest and compensation on one invoice as of ``asof``.

    Called as ``invoice_interest(state: InvoiceState, settlements, policy.interest, asof)``;
    also accepts ``invoice_interest(ledger, policy, number, asof)`` (the state is then
    taken from the ledger, which must be as of ``asof``, or derived for that one invoice).
    """
    if isinstance(state, Ledger):
        return _from_ledger(state, settlements, interest_policy, asof)
    inv = state.invoice
    cur = inv.currency
    regime = interest_policy.regime
    if regime == "none":
        return InterestResult(ZERO, ZERO, ZERO, 0, cur)
    rate = annual_rate(inv.due, interest_policy)
    due = inv.due
    balance = inv.amount
    acc = ZERO  # sum of balance x days
    days = 0
    start = due  # interest for day d accrues on the balance before settlements dated d
    late = False
    for s in settlements:
        if s.date > asof:
            break
        if s.date > start and balance > 0:
            n = (s.date - start).days
            acc += balance * n
            days += n
            late = True
        if s.date > start:
            start = s.date
        balance -= s.amount
    if asof > start and balance > 0:
        n = (asof - start).days
        acc += balance * n
        days += n
        late = True
    interest = round_money(acc * rate / _HUNDRED / _DAYS_A_YEAR, cur) if acc else round_money(ZERO, cur)
    comp = compensation(inv.amount, regime) if late else ZERO
    return InterestResult(interest, round_money(comp, cur) if comp else round_money(ZERO, cur), rate, days, cur)


def _from_ledger(ledger: Ledger, policy: Policy, number: str, asof: date) -> InterestResult:
    from .ledger import invoice_state, is_disputed

    settlements = ledger.index.settlements.get(number, ())
    st = ledger.invoices.get(number) if ledger.asof == asof else None
    if st is None:
        inv = ledger.book.invoices[number]
        st = invoice_state(inv, settlements, asof, is_disputed(ledger.index, number, asof))
    ip = policy.interest if isinstance(policy, Policy) else policy
    return invoice_interest(st, settlements, ip, asof)


def client_interest(ledger: Ledger, policy: Policy, client_id: str) -> dict[str, InterestResult]:
    """Interest and compensation per invoice of one client (every invoice issued by the
    ledger's date that ran late, paid or not), keyed by invoice number, oldest due first."""
    ip = policy.interest
    out: dict[str, InterestResult] = {}
    if ip.regime == "none":
        return out
    settlements = ledger.index.settlements
    asof = ledger.asof
    for st in ledger.client_invoices(client_id):
        inv = st.invoice
        if asof <= inv.due:
            continue
        if st.settled_on is not None and st.settled_on <= inv.due:
            continue
        r = invoice_interest(st, settlements.get(inv.number, ()), ip, asof)
        if r.interest or r.compensation:
            out[inv.number] = r
    return out


def interest_totals(results: dict[str, InterestResult] | Iterable[InterestResult]) -> dict[str, tuple[Decimal, Decimal]]:
    """Totals by currency: ``{currency: (interest, compensation)}``."""
    items = results.values() if isinstance(results, dict) else results
    out: dict[str, tuple[Decimal, Decimal]] = {}
    for r in items:
        i, c = out.get(r.currency, (ZERO, ZERO))
        out[r.currency] = (i + r.interest, c + r.compensation)
    return out
