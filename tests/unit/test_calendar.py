"""Working days: statutory holidays, make-up working days, overrides and provisional results."""

import json
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from disclosure.calendar import DayKind, WorkingCalendar, YearOverride
from disclosure.errors import InvalidInput
from services.calendar import parse_overrides

CAL = WorkingCalendar()


def test_national_day_is_skipped_and_the_makeup_saturday_counts():
    assert CAL.add_working_days(date(2026, 9, 30), 1).value == date(2026, 10, 8)
    result = CAL.add_working_days(date(2026, 9, 29), 3)
    assert result.value == date(2026, 10, 9)
    assert [d.day for d in result.skipped if d.kind is DayKind.HOLIDAY] == [date(2026, 10, d) for d in range(1, 8)]
    assert "National Day" in result.explanation()
    # 2026-10-10 is a Saturday worked in exchange (调休上班日)
    assert CAL.day(date(2026, 10, 10)).kind is DayKind.MAKEUP
    after = CAL.add_working_days(date(2026, 10, 9), 1)
    assert after.value == date(2026, 10, 10)
    assert after.makeup_days == (date(2026, 10, 10),)
    assert "make-up" in after.explanation()


def test_starting_on_a_holiday_does_not_count_the_start_day():
    # find_workday-style counting from a holiday is off by one; ours is not
    assert CAL.add_working_days(date(2026, 10, 3), 1).value == date(2026, 10, 8)
    assert CAL.add_working_days(date(2026, 10, 3), 2).value == date(2026, 10, 9)
    assert CAL.add_working_days(date(2026, 10, 3), 0).value == date(2026, 10, 8)
    assert CAL.add_working_days(date(2026, 10, 8), 0).value == date(2026, 10, 8)


def test_beyond_the_known_calendar_the_result_is_marked_provisional():
    result = CAL.add_working_days(date(2026, 12, 30), 3)
    assert result.provisional
    assert "PROVISIONAL" in result.explanation()
    assert not CAL.add_working_days(date(2026, 11, 2), 3).provisional


def test_an_override_year_is_known_and_wins():
    override = YearOverride(2027, {date(2027, 1, 1): "元旦"}, frozenset({date(2027, 1, 9)}))
    calendar = WorkingCalendar([override])
    result = calendar.add_working_days(date(2026, 12, 30), 3)
    assert not result.provisional
    # 12-31 (1), 01-01 holiday, 01-02/03 weekend, 01-04 (2), 01-05 (3)
    assert result.value == date(2027, 1, 5)
    assert calendar.day(date(2027, 1, 9)).kind is DayKind.MAKEUP
    assert calendar.day(date(2027, 1, 1)).name == "元旦"


def _override_file(**year):
    entry = {"year": 2027, "source": "国办发明电〔2026〕7号", "holidays": [], "workdays": []} | year
    return json.dumps({"years": [entry]}).encode()


def test_override_files_are_validated_naming_the_problem():
    assert parse_overrides(_override_file(holidays=[{"date": "2027-01-01", "name": "元旦"}]))[0].year == 2027
    with pytest.raises(InvalidInput) as caught:
        parse_overrides(_override_file(holidays=[{"date": "2028-01-01", "name": "元旦"}], workdays=["2027-13-01"]))
    messages = [str(v) for v in caught.value.violations]
    assert any("$.years[0].workdays[0]" in m for m in messages), messages
    with pytest.raises(InvalidInput) as caught:
        parse_overrides(_override_file(holidays=[{"date": "2028-01-01", "name": "元旦"}]))
    assert "not in 2027" in str(caught.value.violations[0])
    with pytest.raises(InvalidInput):
        parse_overrides(_override_file(holidays=[{"date": "2027-02-07", "name": "春节"}], workdays=["2027-02-07"]))


@given(st.dates(min_value=date(2010, 1, 1), max_value=date(2026, 11, 30)), st.integers(min_value=0, max_value=40))
def test_n_working_days_after_counts_exactly_n_working_days(start, n):
    result = CAL.add_working_days(start, n)
    assert CAL.day(result.value).working
    assert result.value >= start
    if n > 0:
        assert CAL.count_working_days(start, result.value) == n
        assert CAL.count_working_days(start, result.value - timedelta(days=1)) == n - 1
    else:
        assert CAL.count_working_days(start, result.value) <= 1
