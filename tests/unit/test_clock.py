"""The statutory clock: due dates checked against calendars worked by hand, histories refused with
the input named, and properties over random histories.

The 2026 arrangement used below (chinesecalendar 1.11, 国办发明电〔2025〕7号): Spring Festival
02-15 … 02-23 off, make-up Saturdays 02-14 and 02-28; Qingming 04-04 … 04-06; Labour Day
05-01 … 05-05 off, make-up Saturday 05-09; Dragon Boat 06-19 … 06-21; Mid-Autumn 09-25 … 09-27 and
National Day 10-01 … 10-07 off, make-up Sunday 09-20 and Saturday 10-10.
"""

import ast
import json
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, reject, settings
from hypothesis import strategies as st

from disclosure.calendar import WorkingCalendar, YearOverride
from disclosure.clock import (
    TRANSITIONS,
    Approval,
    ClockState,
    Extended,
    Given,
    Paused,
    Restarted,
    Resumed,
    Started,
    StatutoryClock,
    history_violations,
    labelled,
    reply_clock,
)
from disclosure.clock_due import DayUse, compute_due
from disclosure.clock_text import as_dict, explanation_lines
from disclosure.errors import InvalidInput
from disclosure.time_limits import RULES, DeadlineKind, PauseReason

CAL = WorkingCalendar()
OPTIONS = {Given.RECEIVED: "RECEIVED", Given.CORRECTED: "--correction-received", Given.PAUSE: "--pause",
           Given.EXTENSION: "--extend"}  # fmt: skip
REPLY = DeadlineKind.APPLICATION_REPLY


def d(month, day, year=2026):
    return date(year, month, day)


def days(month, first, last, year=2026):
    """The calendar days first … last of one month."""
    return [date(year, month, n) for n in range(first, last + 1)]


def due(received, **given):
    clock, sources = reply_clock(received, **given)
    return compute_due(clock, CAL.day, where=labelled(sources, OPTIONS))


def counted(result):
    return [entry.day for entry in result.counted]


def refused(received, **given):
    with pytest.raises(InvalidInput) as caught:
        due(received, **given)
    return [str(v) for v in caught.value.violations]


# --- calendars worked by hand ------------------------------------------------------------------


def test_the_2026_arrangement_the_hand_worked_calendars_rely_on():
    makeup = [d(2, 14), d(2, 28), d(5, 9), d(9, 20), d(10, 10)]
    assert all(CAL.day(day).working and day.weekday() >= 5 for day in makeup)
    off = [*days(2, 15, 23), *days(4, 4, 6), *days(5, 1, 5), *days(6, 19, 21), *days(9, 25, 27), *days(10, 1, 7)]
    assert not any(CAL.day(day).working for day in off)
    assert all(CAL.day(day).name for day in off)
    assert not any(CAL.day(day).provisional for day in [*makeup, *off])


def test_twenty_working_days_in_a_plain_month():
    # received Monday 03-02 (not counted); four full weeks and the Monday after
    result = due(d(3, 2))
    assert counted(result) == [*days(3, 3, 6), *days(3, 9, 13), *days(3, 16, 20), *days(3, 23, 27), d(3, 30)]
    assert result.due == d(3, 30)
    assert [e.day for e in result.skipped] == [d(3, 7), d(3, 8), d(3, 14), d(3, 15), d(3, 21), d(3, 22), d(3, 28),
                                               d(3, 29)]  # fmt: skip
    assert not result.provisional


def test_across_the_spring_festival_both_makeup_saturdays_count():
    result = due(d(2, 10))
    assert counted(result) == [
        *days(2, 11, 13), d(2, 14),  # 1-3, make-up Saturday 4
        *days(2, 24, 27), d(2, 28),  # 5-8, make-up Saturday 9
        *days(3, 2, 6), *days(3, 9, 13), d(3, 16),  # 10-20
    ]  # fmt: skip
    assert result.due == d(3, 16)
    assert result.makeup_days == (d(2, 14), d(2, 28))
    holidays = [e for e in result.skipped if e.use is DayUse.HOLIDAY]
    assert [e.day for e in holidays] == days(2, 15, 23)
    assert {e.name for e in holidays} == {"Spring Festival"}
    assert [e.day for e in result.skipped if e.use is DayUse.WEEKEND] == [d(3, 1), d(3, 7), d(3, 8), d(3, 14),
                                                                          d(3, 15)]  # fmt: skip


def test_across_mid_autumn_and_national_day():
    # the make-up Sunday 09-20 lies before receipt and does not count
    result = due(d(9, 21))
    assert counted(result) == [
        *days(9, 22, 24), *days(9, 28, 30),  # 1-6 (09-25 … 27 Mid-Autumn)
        d(10, 8), d(10, 9), d(10, 10),  # 7-9 (10-01 … 07 National Day; 10-10 a make-up Saturday)
        *days(10, 12, 16), *days(10, 19, 23), d(10, 26),  # 10-20
    ]  # fmt: skip
    assert result.due == d(10, 26)
    assert result.makeup_days == (d(10, 10),)
    assert [e.day for e in result.skipped if e.use is DayUse.HOLIDAY] == [*days(9, 25, 27), *days(10, 1, 7)]


def test_a_consultation_pause_across_national_day():
    # acceptance: 09-24 (a working day) counts; 09-25 … 10-09 do not, whatever they are
    result = due(d(9, 21), pauses=[(d(9, 24), d(10, 9))])
    assert counted(result) == [
        *days(9, 22, 24),  # 1-3, the last one the day the consultation was sent
        d(10, 10),  # 4, the make-up Saturday right after the answer
        *days(10, 12, 16), *days(10, 19, 23), *days(10, 26, 30), d(11, 2),  # 5-20
    ]  # fmt: skip
    assert result.due == d(11, 2)
    assert [e.day for e in result.paused_days] == [*days(9, 25, 30), *days(10, 1, 9)]
    # the pause kept five working days out of the count: 09-28, 09-29, 09-30, 10-08, 10-09
    assert [e.day for e in result.paused_days if e.working] == [*days(9, 28, 30), d(10, 8), d(10, 9)]
    assert result.skipped == tuple(e for e in result.days if e.use is DayUse.WEEKEND)


def test_a_pause_that_starts_on_a_holiday_counts_nothing_that_day():
    # P = 10-02 (National Day): not a working day, so not counted; 10-03 … 10-09 paused
    result = due(d(9, 21), pauses=[(d(10, 2), d(10, 9))])
    assert counted(result) == [
        *days(9, 22, 24), *days(9, 28, 30),  # 1-6
        d(10, 10), *days(10, 12, 16), *days(10, 19, 23), *days(10, 26, 28),  # 7-20
    ]  # fmt: skip
    assert result.due == d(10, 28)
    assert [e.day for e in result.days if e.day in {d(10, 1), d(10, 2)}] == [d(10, 1), d(10, 2)]
    assert {e.use for e in result.days if e.day in {d(10, 1), d(10, 2)}} == {DayUse.HOLIDAY}
    assert [e.day for e in result.paused_days] == days(10, 3, 9)


def test_a_pause_over_the_spring_festival_loses_the_makeup_saturday():
    # P = 02-13 (Friday) counts as day 4; 02-14 (make-up) … 02-24 are paused
    result = due(d(2, 9), pauses=[(d(2, 13), d(2, 24))])
    assert counted(result) == [
        *days(2, 10, 13),  # 1-4
        *days(2, 25, 28),  # 5-8 (02-28 a make-up Saturday)
        *days(3, 2, 6), *days(3, 9, 13), d(3, 16), d(3, 17),  # 9-20
    ]  # fmt: skip
    assert result.due == d(3, 17)
    assert [e.day for e in result.paused_days if e.working] == [d(2, 14), d(2, 24)]
    assert due(d(2, 9)).due == d(3, 13)  # without the pause: two working days earlier


def test_a_correction_restarts_the_count_and_an_extension_adds_after_it():
    # acceptance: the corrected application arrives Monday 05-11; that day is not counted
    result = due(d(5, 6), corrected=d(5, 11), extension=10)
    assert counted(result) == [
        *days(5, 12, 15), *days(5, 18, 22), *days(5, 25, 29), *days(6, 1, 5), d(6, 8),  # 1-20
        *days(6, 9, 12), *days(6, 15, 18), d(6, 22), d(6, 23),  # extension 21-30 (Dragon Boat 06-19 … 21)
    ]  # fmt: skip
    assert result.due_before_extension == d(6, 8)
    assert result.due == d(6, 23)
    assert result.restarted
    assert result.start == d(5, 11)
    assert result.received == d(5, 6)
    assert [e.day for e in result.skipped if e.use is DayUse.HOLIDAY] == days(6, 19, 21)
    assert [e.number > 20 for e in result.counted] == [False] * 20 + [True] * 10
    # without the correction the make-up Saturday 05-09 would have counted and the reply was due 06-02
    assert counted(due(d(5, 6)))[:3] == [d(5, 7), d(5, 8), d(5, 9)]
    assert due(d(5, 6)).due == d(6, 2)


def test_a_correction_received_after_labour_day():
    result = due(d(4, 29), corrected=d(5, 6))
    assert counted(result) == [d(5, 7), d(5, 8), d(5, 9), *days(5, 11, 15), *days(5, 18, 22), *days(5, 25, 29),
                               d(6, 1), d(6, 2)]  # fmt: skip
    assert result.due == d(6, 2)
    assert result.makeup_days == (d(5, 9),)


def test_an_extension_across_national_day():
    result = due(d(9, 1), extension=5)
    assert counted(result) == [
        *days(9, 2, 4), *days(9, 7, 11), *days(9, 14, 18), d(9, 20), *days(9, 21, 24), d(9, 28), d(9, 29),  # 1-20
        d(9, 30), d(10, 8), d(10, 9), d(10, 10), d(10, 12),  # extension 21-25
    ]  # fmt: skip
    assert result.due_before_extension == d(9, 29)
    assert result.due == d(10, 12)
    assert result.makeup_days == (d(9, 20), d(10, 10))


def test_correction_pause_and_extension_together():
    result = due(d(9, 10), corrected=d(9, 15), pauses=[(d(9, 29), d(10, 12))], extension=3)
    assert counted(result) == [
        *days(9, 16, 18), d(9, 20), *days(9, 21, 24), d(9, 28), d(9, 29),  # 1-10 (09-29: consultation sent)
        *days(10, 13, 16), *days(10, 19, 23), d(10, 26),  # 11-20
        *days(10, 27, 29),  # extension 21-23
    ]  # fmt: skip
    assert result.due_before_extension == d(10, 26)
    assert result.due == d(10, 29)
    assert [e.day for e in result.paused_days] == [d(9, 30), *days(10, 1, 12)]


def test_a_pause_before_the_correction_is_superseded():
    result = due(d(5, 6), pauses=[(d(5, 7), d(5, 8))], corrected=d(5, 11))
    assert result.due == due(d(5, 11)).due == d(6, 8)
    assert [type(e) for e in result.superseded] == [Started, Paused, Resumed]
    assert result.pauses == ()


def test_two_pauses_and_one_answered_the_day_it_was_sent():
    result = due(d(3, 2), pauses=[(d(3, 4), d(3, 4)), (d(3, 10), d(3, 12)), (d(3, 12), d(3, 13))])
    # 03-04 counts (nothing paused); 03-11, 03-12 and 03-13 do not
    assert counted(result) == [*days(3, 3, 6), d(3, 9), d(3, 10), *days(3, 16, 20), *days(3, 23, 27),
                               *days(3, 30, 31), d(4, 1), d(4, 2)]  # fmt: skip
    assert result.due == d(4, 2)


def test_a_pause_on_the_day_of_receipt():
    result = due(d(3, 2), pauses=[(d(3, 2), d(3, 4))])
    assert counted(result)[0] == d(3, 5)
    assert result.due == d(4, 1)


def test_an_open_pause_stops_the_clock():
    clock = StatutoryClock.start(REPLY, d(9, 21)).append(Paused(d(9, 24), PauseReason.THIRD_PARTY_CONSULTATION))
    assert clock.state is ClockState.PAUSED
    result = compute_due(clock, CAL.day)
    assert result.due is None
    assert result.paused_since == d(9, 24)
    assert len(result.counted) == 3
    assert result.remaining == 17
    assert "尚余17个" in explanation_lines(result)[-1]
    resumed = compute_due(clock.append(Resumed(d(10, 9))), CAL.day)
    assert resumed.due == d(11, 2)


def test_beyond_the_known_calendar_the_due_date_is_provisional():
    result = due(d(12, 20))
    assert result.due == d(1, 15, 2027)
    assert result.provisional
    assert result.provisional_from == d(1, 1, 2027)
    assert any("PROVISIONAL" in line for line in explanation_lines(result))
    assert not due(d(11, 2)).provisional
    known = WorkingCalendar([YearOverride(2027, {d(1, 1, 2027): "元旦"})])
    clock, _ = reply_clock(d(12, 20))
    result = compute_due(clock, known.day)
    assert not result.provisional
    assert result.due == d(1, 18, 2027)  # 2027-01-01 is a holiday there


def test_the_explanation_tells_the_computation_in_both_languages():
    lines = explanation_lines(due(d(5, 6), corrected=d(5, 11), pauses=[(d(5, 13), d(5, 14))], extension=10))
    text = "\n".join(lines)
    assert lines[0].startswith("答复政府信息公开申请：20个工作日（《中华人民共和国政府信息公开条例》第三十三条）")
    assert "reply to an application: 20 working days (Regulation Art. 33)" in lines[0]
    assert "收到申请：2026-05-06，当日不计入 / received 2026-05-06; that day not counted" in text
    assert "补正后收到：2026-05-11" in text
    assert "2026-05-13为工作日，计入第2日" in text
    assert "extended by 10 working days, approval not recorded" in text
    assert "端午节，跳过 / holiday (Dragon Boat Festival), skipped" in text
    assert lines[-1] == "期限：2026-06-24 / due: 2026-06-24"
    assert all(" / " in line for line in lines if not line.startswith("  "))


def test_the_json_form_carries_every_day():
    result = due(d(9, 21), pauses=[(d(9, 24), d(10, 9))])
    data = json.loads(json.dumps(as_dict(result), ensure_ascii=False))
    assert data["due"] == "2026-11-02"
    assert data["legal_basis"]["citation"] == "《中华人民共和国政府信息公开条例》第三十三条"
    assert [c["date"] for c in data["counted"]] == [e.day.isoformat() for e in result.counted]
    assert data["pauses"] == [{"from": "2026-09-24", "to": "2026-10-09", "reason": "consultation", "note": ""}]
    assert data["makeup_days"] == ["2026-10-10"]
    assert len(data["paused_days"]) == 15
    assert data["provisional"] is False
    assert data["text"][-1] == "期限：2026-11-02 / due: 2026-11-02"


def test_recorded_approval_and_other_kinds():
    approval = Approval("公开办主任 李某", d(6, 1))
    clock = StatutoryClock.start(REPLY, d(5, 11)).append(Extended(10, approval))
    assert compute_due(clock, CAL.day).due == d(6, 23)
    assert "经公开办主任 李某于2026-06-01批准" in "\n".join(explanation_lines(compute_due(clock, CAL.day)))
    art26 = compute_due(StatutoryClock.start(DeadlineKind.PROACTIVE_PUBLICATION, d(9, 30)), CAL.day)
    assert art26.due == CAL.add_working_days(d(9, 30), 20).value
    assert explanation_lines(art26)[1].startswith("信息形成或者变更：2026-09-30")
    assert compute_due(StatutoryClock.start(DeadlineKind.CORRECTION_REQUEST, d(9, 30)), CAL.day).due == d(10, 15)
    interpretation = StatutoryClock.start(DeadlineKind.INTERPRETATION, d(9, 30), working_days=3)
    assert compute_due(interpretation, CAL.day).due == d(10, 10)
    for kind, rule in RULES.items():
        assert rule.basis_zh, kind
        assert rule.basis_en, kind
        assert rule.text, kind


# --- histories refused, with the input named ---------------------------------------------------


def test_a_pause_ending_before_it_starts():
    assert refused(d(5, 6), pauses=[(d(5, 20), d(5, 19))]) == [
        "--pause: the pause from 2026-05-20 to 2026-05-19 ends before it starts"
    ]


def test_overlapping_pauses():
    assert refused(d(5, 6), pauses=[(d(5, 25), d(6, 2)), (d(5, 20), d(5, 29))]) == [
        "--pause: the pause starting 2026-05-25 overlaps the pause from 2026-05-20 to 2026-05-29"
    ]


def test_a_pause_before_receipt():
    assert refused(d(5, 6), pauses=[(d(5, 1), d(5, 7))]) == [
        "--pause: the pause starting 2026-05-01 starts before the application was received (2026-05-06)"
    ]


@pytest.mark.parametrize("days_", [0, 21, 100])
def test_an_extension_outside_1_to_20(days_):
    assert refused(d(5, 6), extension=days_) == [
        f"--extend: an extension is 1 to 20 working days (Art. 33), not {days_}"
    ]


def test_a_correction_before_receipt():
    assert refused(d(5, 6), corrected=d(5, 5)) == [
        "--correction-received: the corrected application cannot be received (2026-05-05) before the application (2026-05-06)"
    ]


def test_a_correction_during_a_pause():
    assert refused(d(5, 6), corrected=d(5, 12), pauses=[(d(5, 8), d(5, 14))]) == [
        "--correction-received: the corrected application is received (2026-05-12) during the pause from 2026-05-08 to 2026-05-14"
    ]


def test_a_pause_after_the_reply_was_due():
    assert refused(d(5, 6), pauses=[(d(8, 8), d(8, 14))]) == [
        "--pause: the pause starting 2026-08-08 starts after the reply was already due (2026-06-02)"
    ]
    assert due(d(5, 6), pauses=[(d(6, 2), d(6, 5))]).due == d(6, 2)  # sent on the last day: nothing left to count


def test_every_problem_is_reported_at_once():
    assert refused(d(5, 6), corrected=d(5, 1), pauses=[(d(5, 20), d(5, 19))], extension=30) == [
        "--correction-received: the corrected application cannot be received (2026-05-01) before the application (2026-05-06)",
        "--extend: an extension is 1 to 20 working days (Art. 33), not 30",
        "--pause: the pause from 2026-05-20 to 2026-05-19 ends before it starts",
    ]


def test_histories_refused_at_their_event():
    start = Started(d(5, 6))
    cases = [
        ((start, Extended(15), Extended(6)), "$.events[2]", "extensions would total 21 working days; at most 20"),
        ((start, Started(d(5, 7))), "$.events[1]", "the clock has already started"),
        ((start, Resumed(d(5, 7))), "$.events[1]", "no pause is open"),
        ((start, Paused(d(5, 7)), Paused(d(5, 8))), "$.events[2]", "a pause is already open"),
        ((start, Paused(d(5, 7)), Restarted(d(5, 8))), "$.events[2]", "cannot restart the clock while it is paused"),
        ((Paused(d(5, 7)),), "$.events[0]", "the clock must start with the day of receipt"),
        ((start, Extended(5, Approval(" ", d(5, 7)))), "$.events[1]", "approval of the head of the disclosure office"),
        ((start, Extended(5, Approval("李某", d(5, 5)))), "$.events[1]", "before the application was received"),
        ((start, Restarted(d(5, 11)), Restarted(d(5, 8))), "$.events[2]", "before the event recorded before it"),
    ]
    for events, path, message in cases:
        found = history_violations(StatutoryClock(REPLY, events))
        assert [v.path for v in found] == [path], events
        assert message in found[0].message, events


def test_what_a_kind_does_not_allow():
    art26 = StatutoryClock.start(DeadlineKind.PROACTIVE_PUBLICATION, d(5, 6))
    with pytest.raises(InvalidInput, match=r"\$\.events\[1\]: a clock for proactive publication cannot be paused"):
        art26.append(Paused(d(5, 7)))
    with pytest.raises(InvalidInput, match=r"\$\.kind: an extension of the reply period is not a clock of its own"):
        StatutoryClock.start(DeadlineKind.REPLY_EXTENSION, d(5, 6))
    with pytest.raises(InvalidInput, match=r"\$\.working_days: the agency's limit"):
        StatutoryClock.start(DeadlineKind.INTERPRETATION, d(5, 6))
    with pytest.raises(InvalidInput, match=r"\$\.working_days: reply to an application is 20 working days by law"):
        StatutoryClock.start(REPLY, d(5, 6), working_days=30)
    assert [v.path for v in history_violations(StatutoryClock(REPLY, ()))] == ["$.events"]


def test_an_extension_approved_after_the_period_ran_out():
    late = StatutoryClock.start(REPLY, d(5, 6)).append(Extended(5, Approval("李某", d(6, 3))))
    with pytest.raises(InvalidInput, match=r"\$\.events\[1\]: approved on 2026-06-03, after the period ran out"):
        compute_due(late, CAL.day)
    in_time = StatutoryClock.start(REPLY, d(5, 6)).append(Extended(5, Approval("李某", d(6, 2))))
    assert compute_due(in_time, CAL.day).due == d(6, 9)


def test_append_keeps_the_old_clock_and_refuses_a_bad_event():
    clock = StatutoryClock.start(REPLY, d(5, 6))
    longer = clock.append(Paused(d(5, 8)))
    assert clock.events == (Started(d(5, 6)),)
    assert longer.events == (Started(d(5, 6)), Paused(d(5, 8)))
    with pytest.raises(InvalidInput):
        longer.append(Resumed(d(5, 7)))


def test_the_transition_table_is_the_whole_story():
    assert TRANSITIONS[(ClockState.NOT_STARTED, Started)] is ClockState.RUNNING
    assert (ClockState.PAUSED, Restarted) not in TRANSITIONS
    assert (ClockState.NOT_STARTED, Paused) not in TRANSITIONS


def test_the_clock_modules_import_only_the_standard_library_and_the_core():
    core = Path(__file__).resolve().parents[2] / "disclosure"
    for name in ("clock.py", "clock_due.py", "clock_text.py", "time_limits.py"):
        for node in ast.walk(ast.parse((core / name).read_text("utf-8"))):
            modules = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                modules = [node.module]
            for module in modules:
                top = module.split(".")[0]
                assert top in sys.stdlib_module_names or top in {"disclosure", "__future__"}, (name, module)
                assert module != "disclosure.calendar", (name, "the calendar is passed in")


# --- properties --------------------------------------------------------------------------------

RECEIVED = st.dates(min_value=date(2025, 1, 1), max_value=date(2026, 12, 31))
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(RECEIVED, st.integers(0, 40), st.integers(0, 40))
def test_a_pause_never_makes_the_due_date_earlier(received, offset, length):
    plain = due(received)
    start = received + timedelta(days=offset)
    try:
        paused = due(received, pauses=[(start, start + timedelta(days=length))])
    except InvalidInput as exc:
        assert start > plain.due  # the only way a pause from receipt on is refused
        assert "after the reply was already due" in str(exc)
        return
    assert paused.due >= plain.due
    lost = sum(e.working for e in paused.paused_days)  # the working days the pause kept out of the count
    assert paused.due == CAL.add_working_days(plain.due, lost).value


@FAST
@given(RECEIVED, st.integers(1, 20))
def test_an_extension_of_n_adds_exactly_n_working_days(received, n):
    plain, extended = due(received), due(received, extension=n)
    assert extended.due == CAL.add_working_days(plain.due, n).value
    assert extended.due_before_extension == plain.due
    assert len(extended.counted) == 20 + n


@FAST
@given(RECEIVED, st.integers(0, 30), st.integers(0, 25), st.integers(0, 25), st.one_of(st.none(), st.integers(1, 20)))
def test_the_days_of_the_explanation_account_for_every_day(received, corrected_after, offset, length, extension):
    corrected = received + timedelta(days=corrected_after) if corrected_after else None
    base = corrected or received
    pause = (base + timedelta(days=offset), base + timedelta(days=offset + length))
    try:
        result = due(received, corrected=corrected, pauses=[pause], extension=extension)
    except InvalidInput:
        reject()
    n = extension or 0
    assert [e.number for e in result.counted] == list(range(1, 21 + n))
    assert len(result.counted) == 20 + n
    assert [e.day for e in result.days] == [base + timedelta(days=i) for i in range(1, len(result.days) + 1)]
    assert result.days[-1].day == result.due
    assert CAL.day(result.due).working
    for entry in result.days:
        inside = pause[0] < entry.day <= pause[1]
        assert (entry.use is DayUse.PAUSED) == inside
        if not inside:
            assert entry.counted == CAL.day(entry.day).working
    assert result.remaining == 0


KINDS = ["consult", "consult", "consult", "extend", "extend", "restart", "open", "start"]
STEP = st.tuples(st.sampled_from(KINDS), st.integers(-2, 12), st.integers(-1, 12))


@st.composite
def histories(draw):
    """Reply clocks as they are recorded — mostly in order, sometimes not, with bad extensions now and then."""
    received = draw(st.dates(date(2025, 1, 1), date(2026, 10, 31)))
    events, day = [Started(received)], received
    for step, gap, n in draw(st.lists(STEP, max_size=6)):
        day += timedelta(days=gap)
        if step == "consult":
            events += [Paused(day, draw(st.sampled_from(PauseReason))), Resumed(day + timedelta(days=n))]
            day += timedelta(days=max(n, 0))
        else:
            events.append({"open": Paused(day), "restart": Restarted(day), "extend": Extended(n),
                           "start": Started(day)}[step])  # fmt: skip
    return StatutoryClock(REPLY, tuple(events))


@settings(max_examples=200, deadline=None)
@given(histories())
def test_any_history_is_computed_or_refused_with_its_event_named(clock):
    try:
        result = compute_due(clock, CAL.day)
    except InvalidInput as exc:
        assert all(v.path.startswith("$.events[") for v in exc.violations)
        assert all(int(v.path[len("$.events[") : -1]) < len(clock.events) for v in exc.violations)
        event("refused")
        return
    event("computed" if len(clock.events) > 1 else "only the receipt")
    assert history_violations(clock) == []
    if result.due is None:
        assert clock.state is ClockState.PAUSED
        assert result.remaining > 0
        return
    assert CAL.day(result.due).working
    assert len(result.counted) == 20 + result.extension_days
    assert result.days[-1].day == result.due
    plain = compute_due(StatutoryClock.start(REPLY, result.start), CAL.day)
    assert result.due >= plain.due  # pauses and extensions only ever move it later


@FAST
@given(RECEIVED, st.integers(1, 30))
def test_a_restart_is_the_same_as_receiving_the_corrected_application_first(received, after):
    corrected = received + timedelta(days=after)
    assert due(received, corrected=corrected).due == due(corrected).due
