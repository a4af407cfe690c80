"""Reading the tables of ``policy.toml`` with bounds: :class:`Reader` collects every problem
(naming the file and the key) while it reads, and the readers of the ladder's steps and of
the interest rules, the two tables with most to check."""
from __future__ import annotations

import difflib
from datetime import date
from decimal import Decimal
from typing import Any

from .dates import window_problem
from .errors import Problem
from .model import CHANNELS
from .money import _AMOUNT_RE, MINOR_UNITS
from .policytypes import (
    ESCALATIONS,
    REGIME_CURRENCY,
    REGIME_TABLE,
    REGIMES,
    TABLE_LABEL,
    InterestPolicy,
    ReferenceRate,
    Step,
)

# The generic bounds of a number in the policy; each key narrows them (see parse_policy).
MAX_COUNT = 100_000
MAX_NUMBER = Decimal(10) ** 15  # as for amounts: at most 15 digits before the point
MAX_PLACES = 6
DAYS = 3650  # ten years: the longest span of days any key of the ladder may name
PERCENT = Decimal(100)


class Reader:
    """Collects problems while reading one table of the TOML document."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = source
        self.problems = problems

    def problem(self, key: str, message: str, hint: str = "") -> None:
        self.problems.append(Problem(message, f"{self.source}: {key}", hint))

    def unknown(self, key: str, name: str, allowed) -> None:
        """A key the table does not have: the close one if it looks like a typo, else them all."""
        close = difflib.get_close_matches(name, sorted(allowed), n=1, cutoff=0.75)
        hint = f"did you mean {close[0]}?" if close else f"known keys: {', '.join(sorted(allowed))}"
        self.problem(key, "unknown key", hint)

    def table(self, doc: dict, key: str, allowed: set[str]) -> dict:
        value = doc.get(key, {})
        if not isinstance(value, dict):
            self.problem(key, "must be a table", f"write it as [{key}]")
            return {}
        for k in value:
            if k not in allowed:
                self.unknown(f"{key}.{k}", k, allowed)
        return value

    def get(self, tbl: dict, prefix: str, key: str, kind: type | tuple, default: Any) -> Any:
        if key not in tbl:
            return default
        value = tbl[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        ok = isinstance(value, kinds) and not (isinstance(value, bool) and bool not in kinds)
        if not ok:
            names = " or ".join(_KIND_NAMES.get(k, k.__name__) for k in kinds)
            self.problem(f"{prefix}{key}", f"must be {names}, not {short(value)}")
            return default
        return value

    def bounded(self, key: str, value, low, high, default):
        """``value`` if ``low <= value <= high``, else a problem naming the range and ``default``."""
        if low <= value <= high:
            return value
        self.problem(key, f"must be from {low} to {high}, not {short(value)}")
        return default

    def count(self, tbl: dict, prefix: str, key: str, default: int, minimum: int = 0,
              maximum: int = MAX_COUNT) -> int:
        value = self.get(tbl, prefix, key, int, default)
        if value is None:
            return default
        return self.bounded(f"{prefix}{key}", value, minimum, maximum, default)

    def decimal(self, tbl: dict, prefix: str, key: str, default: Decimal | None,
                low: Decimal = -MAX_NUMBER, high: Decimal = MAX_NUMBER) -> Decimal | None:
        """A number (TOML float or int, or a string of digits), finite, within ``low``..``high``
        and with at most ``MAX_PLACES`` decimals, so no later sum or rounding fails on it."""
        if key not in tbl:
            return default
        value = tbl[key]
        where = f"{prefix}{key}"
        if isinstance(value, bool):
            self.problem(where, f"must be a number, not {value!r}")
            return default
        if isinstance(value, int):
            value = Decimal(value)
        elif isinstance(value, Decimal):
            if not value.is_finite():
                self.problem(where, "must be a finite number")
                return default
        elif isinstance(value, str) and _AMOUNT_RE.fullmatch(value.strip()):
            value = Decimal(value.strip())
        else:
            self.problem(where, f"must be a number like 8 or \"4.75\", not {short(value)}")
            return default
        if not low <= value <= high:
            self.problem(where, f"must be from {low} to {high}, not {short(value)}")
            return default
        if value.as_tuple().exponent < -MAX_PLACES:
            self.problem(where, f"has more than {MAX_PLACES} decimal places", f"round it, e.g. {value:.2f}")
            return default
        return value


def short(value: Any) -> str:
    """A value for a message: repr, cut short (a 10,000-digit number stays readable)."""
    text = repr(value) if not isinstance(value, Decimal) else str(value)
    return text if len(text) <= 40 else text[:37] + "..."



_KIND_NAMES = {int: "a whole number", str: "text", bool: "true or false", date: "a date (YYYY-MM-DD)"}


STEP_KEYS = {"id", "after_due_days", "channel", "template", "min_overdue", "credit_hold", "required", "escalate", "title",
              "fee"}


def read_steps(raw: Any, r: Reader) -> tuple[Step, ...]:
    if not isinstance(raw, list):
        r.problem("steps", "must be an array of tables", "write each step as [[steps]]")
        return ()
    steps: list[Step] = []
    seen: set[str] = set()
    for n, s in enumerate(raw, start=1):
        where = f"steps[{n}]"
        if not isinstance(s, dict):
            r.problem(where, "must be a table", "write each step as [[steps]]")
            continue
        sid = s.get("id")
        for k in s:
            if k not in STEP_KEYS:
                r.unknown(f"{where}{f' ({sid})' if isinstance(sid, str) and sid.strip() else ''}.{k}", k, STEP_KEYS)
        if not isinstance(sid, str) or not sid.strip():
            r.problem(f"{where}.id", "missing: every step needs an id", 'add id = "reminder-1" (letters, digits, - and _)')
            continue
        where = f"steps[{n}] ({sid})"
        if not all(ch.isascii() and (ch.isalnum() or ch in "-_") for ch in sid):
            r.problem(f"{where}.id", f"{sid!r} may hold only letters, digits, - and _")
        if sid in seen:
            r.problem(f"{where}.id", f"duplicate step id {sid!r}", "give every step its own id")
        seen.add(sid)
        pre = f"{where}."
        after = r.get(s, pre, "after_due_days", int, None)
        if after is None and "after_due_days" not in s:
            r.problem(f"{pre}after_due_days", "missing", "days after the due date (negative: before)")
        elif after is not None:
            after = r.bounded(f"{pre}after_due_days", after, -365, DAYS, None)
        channel = r.get(s, pre, "channel", str, "email")
        if channel not in CHANNELS:
            r.problem(f"{pre}channel", f"must be one of {', '.join(CHANNELS)}, not {channel!r}")
        template = r.get(s, pre, "template", str, "")
        if not template:
            r.problem(f"{pre}template", "missing", "name a message template in site_templates/messages/")
        elif not all(ch.isascii() and (ch.isalnum() or ch in "-_") for ch in template):
            r.problem(f"{pre}template", f"{template!r} may hold only letters, digits, - and _")
        escalate = r.get(s, pre, "escalate", str, None)
        if escalate is not None and escalate not in ESCALATIONS:
            r.problem(f"{pre}escalate", f'must be "agency" or "legal", not {escalate!r}')
        min_overdue = r.decimal(s, pre, "min_overdue", None, Decimal(0))
        fee = r.decimal(s, pre, "fee", None, Decimal(0))
        if fee is not None and fee <= 0:
            r.problem(f"{pre}fee", f"must be more than 0, not {fee}", "leave it out for no fee")
        if after is None:
            continue
        if steps and after < steps[-1].after_due_days:
            r.problem(f"{pre}after_due_days", f"{after} comes before the previous step's {steps[-1].after_due_days}",
                      "list the steps in ladder order")
        steps.append(
            Step(
                id=sid,
                after_due_days=after,
                channel=channel,
                template=template,
                min_overdue=min_overdue,
                credit_hold=r.get(s, pre, "credit_hold", bool, False),
                required=r.get(s, pre, "required", bool, False),
                escalate=escalate,
                title=r.get(s, pre, "title", str, "") or sid,
                fee=fee,
            )
        )
    return tuple(steps)


INTEREST_KEYS = {"regime", "margin", "annual_rate", "charge", "reference", "rates", "reference_rates",
                  "compensation", "legal_basis", "claim_prefix", "claim_terms_days"}


def _read_rate_list(raw: Any, where: str, r: Reader) -> tuple[ReferenceRate, ...]:
    if not isinstance(raw, list):
        r.problem(where, "must be an array of tables", f"write each rate as [[{where}]]")
        return ()
    rates: list[ReferenceRate] = []
    for n, rr in enumerate(raw, start=1):
        at = f"{where}[{n}]."
        if not isinstance(rr, dict):
            r.problem(at[:-1], "must be a table")
            continue
        for k in rr:
            if k not in ("from", "rate"):
                r.unknown(f"{at}{k}", k, ("from", "rate"))
        start = rr.get("from")
        if not isinstance(start, date) or hasattr(start, "hour"):
            r.problem(f"{at}from", "must be a date such as 2025-08-07 (no quotes)")
            continue
        if window_problem(start) is not None:
            r.problem(f"{at}from", window_problem(start))
            continue
        if "rate" not in rr:
            r.problem(f"{at}rate", "missing", 'e.g. rate = "4.00" (percent)')
            continue
        rate = r.decimal(rr, at, "rate", None, -PERCENT, PERCENT)
        if rate is None:
            continue
        if any(x.start == start for x in rates):
            r.problem(f"{at}from", f"{start} is listed twice", "keep one rate per date")
        rates.append(ReferenceRate(start, rate))
    return tuple(sorted(rates, key=lambda x: x.start))


def read_interest(t: dict, r: Reader) -> InterestPolicy:
    regime = r.get(t, "interest.", "regime", str, "none")
    if regime not in REGIMES:
        r.problem("interest.regime", f"must be one of {', '.join(REGIMES)}, not {regime!r}")
        regime = "none"
    tables: dict[str, tuple[ReferenceRate, ...]] = {}
    raw_tables = t.get("rates", {})
    if not isinstance(raw_tables, dict):
        r.problem("interest.rates", "must hold one array per reference rate", "write [[interest.rates.boe]]")
        raw_tables = {}
    for name, raw in raw_tables.items():
        if not name or not all(ch.isascii() and (ch.isalnum() or ch in "-_") for ch in name):
            r.problem(f"interest.rates.{name}", "a table name may hold only letters, digits, - and _")
            continue
        tables[name] = _read_rate_list(raw, f"interest.rates.{name}", r)
    if "reference_rates" in t:
        # the single table of older policies was the Bank of England's: read it as that one
        if "boe" in tables:
            r.problem("interest.reference_rates", "is the older name of [[interest.rates.boe]], which is also given",
                      "move any rate it has that the new table lacks, then delete it")
        else:
            tables["boe"] = _read_rate_list(t["reference_rates"], "interest.reference_rates", r)
    reference = r.get(t, "interest.", "reference", str, REGIME_TABLE.get(regime, ""))
    if regime in REGIME_TABLE:
        if reference not in tables or not tables[reference]:
            hint = f"add the {TABLE_LABEL.get(reference, reference)} history as [[interest.rates.{reference}]] " \
                   "(see the policy.toml that comes with dun)"
            if reference == "ecb" and "reference_rates" in t:
                hint = "[[interest.reference_rates]] is read as the Bank of England table; " + hint
            r.problem(f"interest.rates.{reference}", f"the {regime} regime reads [[interest.rates.{reference}]], "
                      "which is missing or empty", hint)
    comp: dict[str, Decimal] = {}
    raw_comp = t.get("compensation", {})
    if not isinstance(raw_comp, dict):
        r.problem("interest.compensation", "must be a table of fixed sums by currency", 'write USD = "45.00"')
        raw_comp = {}
    for cur in raw_comp:
        amt = r.decimal(raw_comp, "interest.compensation.", cur, None, Decimal(0))
        if cur not in MINOR_UNITS:
            r.problem(f"interest.compensation.{cur}", f"unknown currency {cur!r}", "use an ISO 4217 code such as USD")
        elif cur == REGIME_CURRENCY.get(regime):
            r.problem(f"interest.compensation.{cur}", f"the law fixes the {cur} sums of the {regime} regime",
                      "list only other currencies here")
        elif amt is not None and amt < 0:
            r.problem(f"interest.compensation.{cur}", "must not be negative")
        elif amt is not None and amt.as_tuple().exponent < -MINOR_UNITS[cur]:  # (it was rounded without a word)
            r.problem(f"interest.compensation.{cur}", f"{amt} has more decimals than {cur} allows ({MINOR_UNITS[cur]})",
                      f"write it with {MINOR_UNITS[cur]} decimal places at most")
        elif amt is not None:
            comp[cur] = amt
    prefix = r.get(t, "interest.", "claim_prefix", str, "CHG-")
    if not prefix or not all(ch.isascii() and (ch.isalnum() or ch in "-_/") for ch in prefix):
        r.problem("interest.claim_prefix", f"{prefix!r} may hold only letters, digits, -, _ and /", 'e.g. "CHG-"')
    policy = InterestPolicy(
        regime=regime,
        margin=r.decimal(t, "interest.", "margin", Decimal("8"), Decimal(0), PERCENT),
        annual_rate=r.decimal(t, "interest.", "annual_rate", Decimal("0"), Decimal(0), PERCENT),
        charge=r.get(t, "interest.", "charge", bool, False),
        reference_rates=tables.get(reference, ()) if regime in REGIME_TABLE else (),
        reference=reference if regime in REGIME_TABLE else "",
        tables=tuple(sorted(tables.items())),
        compensation=tuple(sorted(comp.items())),
        legal_basis=r.get(t, "interest.", "legal_basis", str, ""),
        claim_prefix=prefix,
        claim_terms_days=r.count(t, "interest.", "claim_terms_days", 14, 0, DAYS),
    )
    # SI 2002/1675 art. 4: "The rate of interest ... shall be 8 per cent per annum over the
    # official dealing rate in force on the reference date" -- the UK margin is fixed.
    # Directive 2011/7/EU art. 2(6): "the reference rate plus at least eight percentage points"
    # -- a member state may set more (Germany 9, BGB s.288(2); France 10, L441-10), never less.
    if regime == "uk-late-payment" and policy.margin != 8:
        r.problem("interest.margin", f"is {policy.margin}, but the Act's statutory interest is 8 points over the "
                  "base rate (SI 2002/1675 art. 4)", 'set margin = 8, or use regime = "contract" for another rate')
    elif regime == "eu-late-payment" and policy.margin < 8:
        r.problem("interest.margin", f"is {policy.margin}, but Directive 2011/7/EU art. 2(6) sets at least 8 points "
                  "over the reference rate", 'set margin = 8 (or your country\'s, e.g. 9 in Germany), or use '
                  'regime = "contract"')
    # the sentence a claim quotes must cite the regime's own law (a book switched to another
    # regime kept the UK Act's sentence on every claim and statement)
    cites = _cites(policy.legal_basis)
    if cites and regime != "none" and cites != regime:
        r.problem("interest.legal_basis", f"cites the law of the {cites} regime, but the regime is {regime}",
                  "delete legal_basis to use the regime's own sentence, or write the one you claim under")
    if regime == "contract" and "annual_rate" not in t:
        r.problem("interest.annual_rate", 'the contract regime needs annual_rate (percent), e.g. annual_rate = "6"')
    return policy


def _cites(text: str) -> str:
    """The statutory regime whose law a legal-basis sentence names, if any."""
    uk = any(w in text for w in ("Late Payment of Commercial Debts", "SI 2002/1675", "Bank of England"))
    eu = "2011/7" in text
    return "uk-late-payment" if uk and not eu else "eu-late-payment" if eu and not uk else ""
