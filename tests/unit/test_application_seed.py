"""The seed's plan of a year of applications: deterministic, complete, realistic, never after today."""

from collections import Counter
from datetime import date

import pytest

from disclosure.application_replies import reply_leaf
from disclosure.applications import ApplicationAct
from disclosure.calendar import WorkingCalendar
from disclosure.errors import InvalidInput
from disclosure.report_rows import ApplicantType, Table3Leaf
from services.application_seed import COVERAGE_FROM, Route, plan_year

CALENDAR = WorkingCalendar()
TODAY = date(2026, 12, 2)


def plan(year=2025, count=100, *, seed=7, today=TODAY, extensions=True):
    return plan_year(year, count, seed=seed, today=today, calendar=CALENDAR, extensions=extensions)


def test_the_same_seed_gives_the_same_plan_and_another_seed_another():
    assert plan() == plan()
    assert plan(seed=8) != plan()
    assert plan(year=2024) != plan()


@pytest.mark.parametrize("year", [2025, 2026])
def test_a_hundred_cases_hold_every_applicant_type_every_row_and_every_route(year):
    cases = plan(year).cases
    assert len(cases) == 100
    assert {c.applicant_type for c in cases} == set(ApplicantType)
    assert {c.outcome for c in cases if c.outcome} == set(Table3Leaf)
    assert {c.route for c in cases} == set(Route)
    types = Counter(c.applicant_type for c in cases)
    assert types.most_common(1)[0][0] is ApplicantType.NATURAL_PERSON
    assert types[ApplicantType.NATURAL_PERSON] >= 70


def test_every_case_keeps_to_the_law_its_route_takes():
    for case in plan(count=150).cases:
        days = [case.received_on, *(s.on for s in case.steps)]
        assert days == sorted(days), case
        assert all(CALENDAR.day(d).working for d in days)
        acts = [s.act for s in case.steps]
        replies = [s.reply for s in case.steps if s.act is ApplicationAct.REPLY]
        assert [reply_leaf(r) for r in replies if r] in ([], [case.leaf])
        assert acts[-1] is ApplicationAct.ARCHIVE  # a past year: every path is complete
        assert (ApplicationAct.EXTEND in acts) == (case.route is Route.EXTENDED)
        assert case.application["received"] == {next(iter(case.application["received"])): case.received_on.isoformat()}


def test_the_current_year_stops_at_today_and_carries_over_what_is_open():
    today = date(2026, 7, 15)
    cases = plan(2026, 80, today=today).cases
    assert max(s.on for c in cases for s in c.steps) <= today
    assert max(c.received_on for c in cases) <= today
    still_open = [c for c in cases if c.outcome is None]
    assert still_open
    assert all(c.received_on >= date(2026, 5, 1) for c in still_open)  # only the recent ones
    assert len(cases) == len(still_open) + sum(1 for c in cases if c.outcome)


def test_a_past_year_carries_cases_into_the_next_one():
    cases = plan(2025, 50).cases
    carried = [c for c in cases if c.closed_on is not None and c.closed_on.year == 2026]
    assert carried
    assert all(c.received_on.year == 2025 for c in cases)


def test_without_an_approver_nothing_is_extended():
    cases = plan(extensions=False).cases
    assert not any(s.act is ApplicationAct.EXTEND for c in cases for s in c.steps)
    assert {c.outcome for c in cases if c.outcome} == set(Table3Leaf)


def test_small_plans_and_the_coverage_threshold():
    assert len(plan(count=1).cases) == 1
    assert len(plan(count=COVERAGE_FROM).cases) == COVERAGE_FROM
    assert {c.outcome for c in plan(count=COVERAGE_FROM).cases if c.outcome} == set(Table3Leaf)


@pytest.mark.parametrize(
    ("year", "count", "today", "option"),
    [(2007, 10, TODAY, "--year"), (2027, 10, TODAY, "--year"), (2026, 0, TODAY, "--count"),
     (2026, 10_001, TODAY, "--count"), (2026, 10, date(2026, 1, 1), "--year")],
)  # fmt: skip
def test_a_year_or_count_out_of_range_names_the_option(year, count, today, option):
    with pytest.raises(InvalidInput, match=rf"^{option}: "):
        plan(year, count, today=today)


def test_names_and_descriptions_are_invented():
    cases = plan(count=150).cases
    for case in cases:
        applicant = case.application["applicant"]
        assert applicant["email"].endswith("@example.org")
        assert "演示数据" in applicant["id_proof"]
        assert applicant["address"].startswith("示范市")
        assert not any(ch.isdigit() for ch in applicant["id_proof"])
