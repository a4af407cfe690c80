"""Business days: weekends and the public holidays of ``[calendar] country``/``subdivision``.

Holidays come from the ``holidays`` package, loaded one year at a time and cached for
the life of the process (per country, subdivision and year). :func:`calendar_for` returns
one shared :class:`BusinessCalendar` per (country, subdivision); its
:meth:`~BusinessCalendar.next_business_day` memoises answers, so the agenda can ask it for
every open invoice without cost.
"""
from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

from .errors import DunError

_ONE = timedelta(days=1)


class BusinessCalendar:
    """Which days are business days (Monday to Friday, not a public holiday)."""

    __slots__ = ("country", "subdivision", "_years", "_next")

    def __init__(self, country: str, subdivision: str | None = None) -> None:
        self.country = country
        self.subdivision = subdivision or None
        self._years: dict[int, frozenset[date]] = {}
        self._next: dict[date, date] = {}
        self._load(2000)  # fail early, with a clear message, on an unknown country or subdivision

    def _load(self, year: int) -> frozenset[date]:
        days = self._years.get(year)
        if days is None:
            import holidays

            try:
                h = holidays.country_holidays(self.country, subdiv=self.subdivision, years=year)
            except NotImplementedError as e:
                key = "calendar.subdivision" if self.subdivision and "subdivision" in str(e) else "calendar.country"
                raise DunError(
                    f"no public-holiday calendar for {self.country}"
                    + (f"/{self.subdivision}" if self.subdivision else ""),
                    f"policy.toml: {key}",
                    "use an ISO 3166 country code such as GB, DE or US (and a subdivision it has, e.g. ENG)",
                ) from None
            days = frozenset(d for d in h if d.year == year)
            self._years[year] = days
        return days

    def holidays(self, year: int) -> frozenset[date]:
        """The public holidays of ``year`` (weekends are not listed)."""
        return self._load(year)

    def is_business_day(self, d: date) -> bool:
        return d.weekday() < 5 and d not in self._load(d.year)

    def next_business_day(self, d: date) -> date:
        """``d`` itself if it is a business day, else the first business day after it."""
        hit = self._next.get(d)
        if hit is not None:
            return hit
        cur = d
        while not self.is_business_day(cur):
            cur += _ONE
        self._next[d] = cur
        return cur

    def add_business_days(self, d: date, n: int) -> date:
        """The ``n``-th business day after ``d`` (n >= 0; n = 0 gives next_business_day(d))."""
        cur = self.next_business_day(d)
        for _ in range(n):
            cur = self.next_business_day(cur + _ONE)
        return cur


@lru_cache(maxsize=16)
def business_calendar(country: str, subdivision: str | None = None) -> BusinessCalendar:
    return BusinessCalendar(country, subdivision)


def calendar_for(policy) -> BusinessCalendar:
    """The calendar of a :class:`~receivables.policy.Policy` (``[calendar]``)."""
    cal = policy.calendar
    return business_calendar(cal.country, cal.subdivision or None)
