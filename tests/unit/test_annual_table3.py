"""Table 3 counted from random application histories: every 勾稽 check holds, and a broken table names its cell."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from disclosure.annual_table3 import ReportCheckFailed, Row, check_table3, table3
from disclosure.report_rows import (
    ROW_CARRIED_IN,
    ROW_CARRIED_OUT,
    ROW_NEW,
    ROW_RESULTS_TOTAL,
    ApplicantType,
    CaseFact,
    Table3Leaf,
)

YEAR = 2026


@st.composite
def case(draw: st.DrawFn) -> CaseFact:
    received = draw(st.dates(min_value=date(YEAR - 2, 1, 1), max_value=date(YEAR + 1, 12, 31)))
    kind = draw(st.sampled_from(ApplicantType))
    if draw(st.booleans()):
        return CaseFact(kind, received)
    closed = received + timedelta(days=draw(st.integers(min_value=0, max_value=120)))
    return CaseFact(kind, received, closed, draw(st.sampled_from(Table3Leaf)))


def by_label(rows: list[Row]) -> dict[str, Row]:
    return {row.label: row for row in rows}


@given(st.lists(case(), max_size=60))
def test_random_histories_pass_every_check_and_carry_over(facts: list[CaseFact]) -> None:
    last_year, this_year = table3(facts, YEAR - 1), table3(facts, YEAR)
    check_table3(last_year)
    check_table3(this_year, last_years_carried_out=by_label(last_year)[ROW_CARRIED_OUT].values)
    assert by_label(this_year)[ROW_CARRIED_IN].values == by_label(last_year)[ROW_CARRIED_OUT].values
    assert by_label(this_year)[ROW_NEW].values["总计"] == sum(f.received_on.year == YEAR for f in facts)


def test_a_partly_disclosed_case_counts_only_under_its_own_row() -> None:
    rows = table3([CaseFact(ApplicantType.RESEARCH, date(YEAR, 3, 2), date(YEAR, 3, 20), Table3Leaf.PARTLY_DISCLOSED)],
                  YEAR)  # fmt: skip
    counted = [row.label for row in rows if row.values["科研机构"] and row.label not in {ROW_NEW, ROW_RESULTS_TOTAL}]
    assert counted == [Table3Leaf.PARTLY_DISCLOSED.label]


def test_a_case_open_at_the_years_end_is_carried_into_the_next() -> None:
    facts = [CaseFact(ApplicantType.NATURAL_PERSON, date(YEAR, 12, 28)),
             CaseFact(ApplicantType.NATURAL_PERSON, date(YEAR, 12, 29), date(YEAR + 1, 1, 5), Table3Leaf.DISCLOSED)]  # fmt: skip
    assert by_label(table3(facts, YEAR))[ROW_CARRIED_OUT].values["自然人"] == 2
    following = by_label(table3(facts, YEAR + 1))
    assert following[ROW_CARRIED_IN].values["自然人"] == 2
    assert following[Table3Leaf.DISCLOSED.label].values["自然人"] == 1
    assert following[ROW_CARRIED_OUT].values["自然人"] == 1


def test_a_broken_table_names_the_cell() -> None:
    rows = table3([CaseFact(ApplicantType.COMMERCIAL, date(YEAR, 5, 6))], YEAR)
    broken = [replace(row, values={**row.values, "商业企业": 0, "总计": 0}) if row.label == ROW_CARRIED_OUT else row
              for row in rows]  # fmt: skip
    with pytest.raises(ReportCheckFailed, match='row "四、结转下年度继续办理" column "商业企业": 一\\+二 = 1 but'):
        check_table3(broken)
    wrong_total = [replace(row, values={**row.values, "总计": 5}) if row.label == ROW_NEW else row for row in rows]
    with pytest.raises(ReportCheckFailed, match='row "一、本年新收政府信息公开申请数量" column "总计"'):
        check_table3(wrong_total)
    with pytest.raises(ReportCheckFailed, match="last year's 四 was 3"):
        check_table3(rows, last_years_carried_out={"商业企业": 3})


def test_a_closing_before_receipt_is_refused() -> None:
    with pytest.raises(ReportCheckFailed, match="before it was received"):
        table3([CaseFact(ApplicantType.OTHER, date(YEAR, 5, 6), date(YEAR, 5, 1), Table3Leaf.DISCLOSED)], YEAR)
