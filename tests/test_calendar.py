from datetime import date

import pytest

from receivables.calendar import BusinessCalendar, business_calendar, calendar_for
from receivables.errors import DunError
from receivables.policy import Calendar, Policy


def test_weekend_moves_to_monday():
    cal = business_calendar("GB", "ENG")
    assert cal.next_business_day(date(2026, 2, 1)) == date(2026, 2, 2)  # Sunday -> Monday
    assert cal.next_business_day(date(2026, 2, 3)) == date(2026, 2, 3)  # a Tuesday stays


def test_christmas_and_observed_boxing_day_are_skipped():
    cal = business_calendar("GB", "ENG")
    # 25 Dec 2026 is a Friday; Boxing Day falls on Saturday and is observed on Monday 28
    assert not cal.is_business_day(date(2026, 12, 25))
    assert not cal.is_business_day(date(2026, 12, 28))
    assert cal.next_business_day(date(2026, 12, 25)) == date(2026, 12, 29)


def test_subdivision_holidays_differ():
    eng = business_calendar("GB", "ENG")
    sct = business_calendar("GB", "SCT")
    friday = date(2026, 1, 2)  # 2 January is a bank holiday in Scotland only
    assert eng.next_business_day(friday) == friday
    assert sct.next_business_day(friday) == date(2026, 1, 5)


def test_calendar_comes_from_policy_and_is_shared():
    p = Policy(calendar=Calendar("DE", "BY"))
    cal = calendar_for(p)
    assert cal is calendar_for(Policy(calendar=Calendar("DE", "BY")))
    assert not cal.is_business_day(date(2026, 1, 6))  # Epiphany in Bavaria
    assert cal.is_business_day(date(2026, 1, 6)) is False
    assert business_calendar("DE", "BE").is_business_day(date(2026, 1, 6))  # not in Berlin


def test_add_business_days():
    cal = business_calendar("GB", "ENG")
    assert cal.add_business_days(date(2026, 12, 24), 1) == date(2026, 12, 29)
    assert cal.add_business_days(date(2026, 12, 24), 0) == date(2026, 12, 24)


def test_unknown_country_is_a_user_error():
    with pytest.raises(DunError) as e:
        BusinessCalendar("XX")
    assert "calendar.country" in str(e.value)
    with pytest.raises(DunError) as e:
        BusinessCalendar("GB", "NOPE")
    assert "calendar.subdivision" in str(e.value)
