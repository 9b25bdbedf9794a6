"""The annual report (政府信息公开工作年度报告, 2021 format) assembled and checked before any output.

``build_report`` takes what the record yields (Table 3's grouped cases, the published 规章 /
行政规范性文件) and what the disclosure office entered (figures, the texts of parts 一, 五, 六),
computes Tables 2, 3 and 4 for the year, and runs every check (勾稽关系) before returning:

- Table 3, per column: 一 + 二 = 三（七） + 四; 三（七） = the sum of the 21 leaves; per row 总计 = the six
  applicant columns; no negative cell; 二 = last year's 四 — against the figures the office entered
  for last year (``previous_carried_out``) when it did, else against last year's table counted from
  the same record (equal by construction, checked all the same);
- Table 2: no negative value, the fee in 万元 with at most four places; 现行有效 = last year's
  现行有效 + 本年制发 − 本年废止, and never more repealed than were in force or issued;
- Table 4: no negative value; in each group 总计 = 结果维持 + 结果纠正 + 其他结果 + 尚未审结.

A failure raises ``ReportCheckFailed`` naming table, row and column. A missing text or missing
figures raise ``ReportIncomplete`` naming what is missing, unless a draft is asked for: then the
report is computed with ``DRAFT_TEXT`` in each missing part and zeros for missing figures, its
title marked （草稿） and ``missing`` naming each gap (a draft is for the office to check the tables
while the texts are being written; it is never published). The report only counts: it carries no
applicant's name or any other personal data. Pure.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from disclosure.annual_figures import PART_TITLES, OfficeFigures, ReportIncomplete, ReportPart, parse_figures
from disclosure.annual_table3 import COLUMNS, CaseTally, Row, check_table3, table3_from_tallies
from disclosure.annual_tables import (
    RegulationFact,
    Table2Row,
    Table4Row,
    check_table2,
    check_table4,
    regulation_rows,
    table2,
    table4,
)
from disclosure.errors import Violation
from disclosure.report_rows import ROW_CARRIED_OUT

FORMAT = "2021"
DRAFT_TEXT = "（公开办尚未填写本部分）"


@dataclass(frozen=True, slots=True)
class AnnualReport:
    """One agency's report for one year, every check passed."""

    year: int
    agency: str
    agency_name: str
    texts: Mapping[ReportPart, str]
    table2: list[Table2Row]
    table3: list[Row]
    table4: list[Table4Row]
    missing: tuple[str, ...] = ()  # a draft's gaps: the parts' headings, "figures"

    @property
    def title(self) -> str:
        """The report's title as agencies publish it (marked （草稿） while something is missing)."""
        return report_title(self.agency_name, self.year) + ("（草稿）" if self.missing else "")

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON: parts' texts, and ``table2`` / ``table3`` / ``table4`` with ``rows``."""
        return {
            "title": self.title,
            "year": self.year,
            "agency": self.agency,
            "format": FORMAT,
            "draft": bool(self.missing),
            "missing": list(self.missing),
            "parts": {part.value: {"title": part.heading, "text": self.texts[part]} for part in ReportPart},
            "table2": {"title": PART_TITLES["二"], "rows": [row.as_dict() for row in self.table2]},
            "table3": {"title": PART_TITLES["三"], "columns": list(COLUMNS),
                       "rows": [row.as_dict() for row in self.table3]},
            "table4": {"title": PART_TITLES["四"], "rows": [row.as_dict() for row in self.table4]},
        }  # fmt: skip


def report_title(agency_name: str, year: int) -> str:
    """The title agencies publish their report under."""
    return f"{agency_name}{year}年政府信息公开工作年度报告"


def carried_out(rows: Iterable[Row]) -> dict[str, int]:
    """Row 四 of a Table 3, per column."""
    return dict(next(row for row in rows if row.label == ROW_CARRIED_OUT).values)


def build_report(
    *,
    year: int,
    agency: str,
    agency_name: str,
    cases: Iterable[CaseTally],
    regulations: Iterable[RegulationFact],
    figures: OfficeFigures | None,
    texts: Mapping[ReportPart, str],
    draft: bool = False,
) -> AnnualReport:
    """Every table computed and every check run; the first failure raises, naming its cell or part.

    Missing texts or figures raise ``ReportIncomplete``, or with ``draft`` are filled in and listed."""
    missing = [part for part in ReportPart if not texts.get(part, "").strip()]
    problems = [Violation(f"part {part.heading}", "the disclosure office has not entered its text") for part in missing]
    if figures is None:
        problems.append(Violation(f"figures {year}", "the disclosure office has not entered the figures of "
                                  "Table 2 (行政许可, 行政处罚, 行政强制, 行政事业性收费) and Table 4"))  # fmt: skip
    if problems and not draft:
        raise ReportIncomplete(problems)
    gaps = tuple(part.heading for part in missing) + (("figures",) if figures is None else ())
    texts = {part: texts[part].strip() if part not in missing else DRAFT_TEXT for part in ReportPart}
    figures = figures if figures is not None else parse_figures({})
    grouped, documents = list(cases), list(regulations)
    this_year, last_year = table3_from_tallies(grouped, year), table3_from_tallies(grouped, year - 1)
    check_table3(last_year)
    previous = figures.previous_carried_out if figures.previous_carried_out is not None else carried_out(last_year)
    check_table3(this_year, last_years_carried_out=previous)
    rows2 = table2(documents, figures.table2, year)
    check_table2(rows2, previous=regulation_rows(documents, year - 1))
    rows4 = table4(figures.table4)
    check_table4(rows4)
    return AnnualReport(year, agency, agency_name, texts, rows2, this_year, rows4, gaps)
