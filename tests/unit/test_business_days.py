import warnings
from datetime import UTC, date, datetime

import pytest

from simexit.domain.business_days import BusinessCalendar, CalendarNotPublished, due_at


def test_china_counts_adjusted_working_saturdays():
    cn = BusinessCalendar("CN")
    assert cn.is_business_day(date(2026, 10, 10))  # Saturday, 调休 working day
    assert not cn.is_business_day(date(2026, 10, 5))  # National Day holiday, a Monday
    # 1 Oct 2026 (holiday) + 3 business days → Thu 8, Fri 9, Sat 10 (adjusted)
    assert cn.add_business_days(date(2026, 10, 1), 3) == date(2026, 10, 10)


def test_germany_and_us():
    assert BusinessCalendar("DE", "BY").add_business_days(date(2026, 9, 30), 3) == date(2026, 10, 5)
    assert not BusinessCalendar("US").is_business_day(date(2026, 7, 3))  # Independence Day (observed)


def test_due_at_is_end_of_local_business_day_in_utc():
    due = due_at(BusinessCalendar("CN"), datetime(2026, 9, 30, 17, tzinfo=UTC), 3, "Asia/Shanghai")
    assert due == datetime(2026, 10, 10, 15, 59, 59, tzinfo=UTC)


def test_overrides_win():
    cal = BusinessCalendar("DE", None, {date(2026, 12, 24): False})
    assert cal.add_business_days(date(2026, 12, 23), 1) == date(2026, 12, 28)


def test_unpublished_chinese_year_warns_and_overrides_silence_it():
    with pytest.warns(CalendarNotPublished):
        BusinessCalendar("CN").add_business_days(date(2027, 3, 1), 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        BusinessCalendar("CN", None, {date(2027, 2, 20): True}).add_business_days(date(2027, 3, 1), 2)


def test_naive_timestamps_are_refused():
    from simexit.domain.errors import InvalidInput
    with pytest.raises(InvalidInput):
        due_at(BusinessCalendar("US"), datetime(2026, 1, 1), 1, "America/New_York")
