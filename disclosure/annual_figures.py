"""What the disclosure office enters for the annual report: Table 2's figures, Table 4, texts.

``parse_figures`` reads the figures file (``govpub report figures --file``, ``PUT …/figures``)::

    {"table2": {"行政许可": 12, "行政处罚": 30, "行政强制": 2, "行政事业性收费": "1.2500"},
     "table4": {"行政复议": {"结果维持": 1, "结果纠正": 0, "其他结果": 0, "尚未审结": 1, "总计": 2},
                "未经复议直接起诉": {…}, "复议后起诉": {…}},
     "previous_carried_out": {"自然人": 3, …}}

``previous_carried_out`` (optional) is last year's 四 as published, for a first year whose previous
year is not in the record: 二 is checked against it. Every problem is collected into one
``InvalidInput`` with its JSON path. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from disclosure.annual_table3 import COLUMNS, ReportCheckFailed
from disclosure.annual_tables import (
    COERCION,
    FEES,
    LICENSING,
    OUTCOMES,
    PENALTY,
    TABLE4_GROUPS,
    Table2Figures,
    parse_fee,
)
from disclosure.errors import InvalidInput, Violation
from disclosure.report_rows import TOTAL_COLUMN
from disclosure.text import public_text_problem

MAX_TEXT = 20_000
MAX_COUNT = 10**9


class ReportPart(StrEnum):
    """The parts of the report whose text the disclosure office writes."""

    OVERVIEW = "一"
    PROBLEMS = "五"
    OTHER = "六"

    @property
    def heading(self) -> str:
        """The part's heading in the national format."""
        return PART_TITLES[self.value]


PART_TITLES = {
    "一": "一、总体情况",
    "二": "二、主动公开政府信息情况",
    "三": "三、收到和处理政府信息公开申请情况",
    "四": "四、政府信息公开行政复议、行政诉讼情况",
    "五": "五、存在的主要问题及改进情况",
    "六": "六、其他需要报告的事项",
}


class ReportIncomplete(InvalidInput):
    """Something the office must enter (a part's text, the figures) is missing; the message names it."""


@dataclass(frozen=True, slots=True)
class OfficeFigures:
    """The office's figures for one agency and year."""

    table2: Table2Figures
    table4: Mapping[str, Mapping[str, int]]
    previous_carried_out: Mapping[str, int] | None = field(default=None)

    def as_json(self) -> dict[str, Any]:
        """The figures as stored and as ``parse_figures`` reads them."""
        data: dict[str, Any] = {
            "table2": {LICENSING: self.table2.licensing, PENALTY: self.table2.penalties,
                       COERCION: self.table2.coercion, FEES: f"{self.table2.fees:.4f}"},
            "table4": {label: dict(values) for label, values in self.table4.items()},
        }  # fmt: skip
        if self.previous_carried_out is not None:
            data["previous_carried_out"] = dict(self.previous_carried_out)
        return data


def _count(value: object, path: str, problems: list[Violation]) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNT:
        problems.append(Violation(path, f"expected a whole number 0 … {MAX_COUNT}, got {str(value)[:40]!r}"))
        return 0
    return value


def _object(value: object, path: str, problems: list[Violation]) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        problems.append(Violation(path, "expected an object"))
        return {}
    return value


def _known(given: Mapping[str, Any], allowed: tuple[str, ...], path: str, problems: list[Violation]) -> None:
    problems.extend(Violation(f"{path}.{key}", f"unknown; expected one of {', '.join(allowed)}")
                    for key in given if key not in allowed)  # fmt: skip


def parse_figures(data: object) -> OfficeFigures:
    """The figures file read and checked: every problem at its JSON path, all reported at once."""
    problems: list[Violation] = []
    top = _object(data, "$", problems)
    _known(top, ("table2", "table4", "previous_carried_out"), "$", problems)
    t2 = _object(top.get("table2", {}), "$.table2", problems)
    _known(t2, (LICENSING, PENALTY, COERCION, FEES), "$.table2", problems)
    counts = [_count(t2.get(key, 0), f"$.table2.{key}", problems) for key in (LICENSING, PENALTY, COERCION)]
    fee_text = t2.get(FEES, "0")
    fees = Decimal(0)
    if isinstance(fee_text, bool) or not isinstance(fee_text, (str, int, float)):
        problems.append(Violation(f"$.table2.{FEES}", 'expected an amount in 万元, e.g. "1.2500"'))
    else:
        try:
            fees = parse_fee(fee_text)
        except ReportCheckFailed as exc:
            problems.append(Violation(f"$.table2.{FEES}", exc.detail))
    t4 = _object(top.get("table4", {}), "$.table4", problems)
    labels = tuple(label for label, _ in TABLE4_GROUPS)
    _known(t4, labels, "$.table4", problems)
    table4: dict[str, dict[str, int]] = {}
    for label in labels:
        group = _object(t4.get(label, {}), f"$.table4.{label}", problems)
        _known(group, OUTCOMES, f"$.table4.{label}", problems)
        table4[label] = {o: _count(group.get(o, 0), f"$.table4.{label}.{o}", problems) for o in OUTCOMES}
    previous = None
    if "previous_carried_out" in top:
        given = _object(top["previous_carried_out"], "$.previous_carried_out", problems)
        _known(given, COLUMNS, "$.previous_carried_out", problems)
        previous = {c: _count(given.get(c, 0), f"$.previous_carried_out.{c}", problems) for c in COLUMNS[:-1]}
        total = sum(previous.values())
        if TOTAL_COLUMN in given and given[TOTAL_COLUMN] != total:
            problems.append(Violation(f"$.previous_carried_out.{TOTAL_COLUMN}", f"{given[TOTAL_COLUMN]!r} but the "
                                      f"six applicant columns add up to {total}"))  # fmt: skip
        previous[TOTAL_COLUMN] = total
    if problems:
        raise InvalidInput(problems)
    licensing, penalties, coercion = counts
    return OfficeFigures(Table2Figures(licensing, penalties, coercion, fees), table4, previous)


def check_text(part: ReportPart, text: str) -> str:
    """The part's text, stripped; refused if empty or too long."""
    stripped = text.strip()
    if not stripped:
        raise InvalidInput([Violation(f"part {part.heading}", "the text is empty")])
    if len(stripped) > MAX_TEXT:
        raise InvalidInput([Violation(f"part {part.heading}", f"longer than {MAX_TEXT} characters")])
    if (problem := public_text_problem(stripped)) is not None:
        raise InvalidInput([Violation(f"part {part.heading}", problem)])
    return stripped
