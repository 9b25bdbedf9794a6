"""Tables 2 and 4 of the annual report (2021 format), and their checks.

Table 2 (主动公开政府信息情况) has four blocks: 第二十条第（一）项 — 规章 and 行政规范性文件 with
本年制发件数, 本年废止件数, 现行有效件数, counted from the published record (``RegulationFact``);
第二十条第（五）项 行政许可, 第（六）项 行政处罚 / 行政强制 (本年处理决定数量) and 第（八）项
行政事业性收费 (本年收费金额（单位：万元）, four decimal places), entered by the disclosure office.
Table 4 (政府信息公开行政复议、行政诉讼情况) is one row of 15 integers the office enters: 行政复议,
行政诉讼 未经复议直接起诉 and 复议后起诉, each 结果维持 / 结果纠正 / 其他结果 / 尚未审结 / 总计.
Every failed check raises ``ReportCheckFailed`` naming table, row and column. Pure.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from disclosure.annual_table3 import ReportCheckFailed
from disclosure.attributes import DocumentKind

BLOCK_REGULATIONS = "第二十条第（一）项"
BLOCK_LICENSING = "第二十条第（五）项"
BLOCK_ENFORCEMENT = "第二十条第（六）项"
BLOCK_FEES = "第二十条第（八）项"
CONTENT = "信息内容"
ISSUED, REPEALED, IN_FORCE = "本年制发件数", "本年废止件数", "现行有效件数"
DECISIONS = "本年处理决定数量"
FEE_AMOUNT = "本年收费金额（单位：万元）"
LICENSING, PENALTY, COERCION, FEES = "行政许可", "行政处罚", "行政强制", "行政事业性收费"
FEE_PLACES = Decimal("0.0001")
MAX_FEE_DIGITS = 12  # 万元: up to 10^13, far beyond any agency's fees, and within Decimal's precision

REVIEW = "行政复议"
LITIGATION = "行政诉讼"
DIRECT_SUIT, SUIT_AFTER_REVIEW = "未经复议直接起诉", "复议后起诉"
UPHELD, CORRECTED, OTHER_RESULT, PENDING, GROUP_TOTAL = "结果维持", "结果纠正", "其他结果", "尚未审结", "总计"
OUTCOMES: tuple[str, ...] = (UPHELD, CORRECTED, OTHER_RESULT, PENDING, GROUP_TOTAL)
TABLE4_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (REVIEW, (REVIEW,)),
    (DIRECT_SUIT, (LITIGATION, DIRECT_SUIT)),
    (SUIT_AFTER_REVIEW, (LITIGATION, SUIT_AFTER_REVIEW)),
)


class RegulationKind(StrEnum):
    """The two rows of 第二十条第（一）项."""

    RULE = "规章"
    NORMATIVE = "行政规范性文件"


@dataclass(frozen=True, slots=True)
class RegulationFact:
    """One published 规章 or 行政规范性文件: issued on (制发), and the day it stopped being in force.

    ``ended_on`` is the day its validity became 废止 or 失效 (None while 有效 or 已修改).
    """

    kind: RegulationKind
    issued_on: date
    ended_on: date | None = None


@dataclass(frozen=True, slots=True)
class Table2Row:
    """One row of Table 2: its block, label and values (counts, or the fee in 万元 as a Decimal)."""

    block: str
    label: str
    values: Mapping[str, int | Decimal]

    @property
    def path(self) -> tuple[str, str]:
        """The block's heading, then the row."""
        return (self.block, self.label)

    def as_dict(self) -> dict[str, object]:
        """The row as the report's JSON carries it (the fee as a string with four places)."""
        values = {k: f"{v:.4f}" if isinstance(v, Decimal) else v for k, v in self.values.items()}
        return {"label": self.label, "path": list(self.path), "values": values}


@dataclass(frozen=True, slots=True)
class Table2Figures:
    """What the office enters for Table 2: decisions taken in the year, and fees in 万元."""

    licensing: int
    penalties: int
    coercion: int
    fees: Decimal


@dataclass(frozen=True, slots=True)
class Table4Row:
    """One group of Table 4 (行政复议, or one kind of 行政诉讼) with its five values."""

    label: str
    path: tuple[str, ...]
    values: Mapping[str, int]

    def as_dict(self) -> dict[str, object]:
        """The group as the report's JSON carries it."""
        return {"label": self.label, "path": list(self.path), "values": dict(self.values)}


def regulation_kind(kind: str) -> RegulationKind | None:
    """Which row of 第二十条第（一）项 a published document counts in, if any.

    By the kind the drafter labelled at source: ``rule`` (规章) and ``normative_document``
    (行政规范性文件). A decree number alone does not make a 规章 (``国务院令第711号`` promulgates a
    行政法规), so nothing is guessed from the 发文字号.
    """
    return {DocumentKind.RULE.value: RegulationKind.RULE,
            DocumentKind.NORMATIVE_DOCUMENT.value: RegulationKind.NORMATIVE}.get(kind)  # fmt: skip


def _in_force(fact: RegulationFact, day: date) -> bool:
    return fact.issued_on <= day and (fact.ended_on is None or fact.ended_on > day)


def regulation_rows(facts: Iterable[RegulationFact], year: int) -> list[Table2Row]:
    """规章 and 行政规范性文件 for the year: issued in it, repealed or expired in it, in force at its end."""
    counts = {kind: {ISSUED: 0, REPEALED: 0, IN_FORCE: 0} for kind in RegulationKind}
    end = date(year, 12, 31)
    for fact in facts:
        if fact.ended_on is not None and fact.ended_on < fact.issued_on:
            raise ReportCheckFailed(f'table2 row "{fact.kind.value}"', f"a document issued "
                                    f"{fact.issued_on.isoformat()} cannot stop being in force on "
                                    f"{fact.ended_on.isoformat()}")  # fmt: skip
        row = counts[fact.kind]
        row[ISSUED] += fact.issued_on.year == year
        row[REPEALED] += fact.ended_on is not None and fact.ended_on.year == year
        row[IN_FORCE] += _in_force(fact, end)
    return [Table2Row(BLOCK_REGULATIONS, kind.value, dict(counts[kind])) for kind in RegulationKind]


def table2(facts: Iterable[RegulationFact], figures: Table2Figures, year: int) -> list[Table2Row]:
    """Table 2's rows in the national order."""
    return [
        *regulation_rows(facts, year),
        Table2Row(BLOCK_LICENSING, LICENSING, {DECISIONS: figures.licensing}),
        Table2Row(BLOCK_ENFORCEMENT, PENALTY, {DECISIONS: figures.penalties}),
        Table2Row(BLOCK_ENFORCEMENT, COERCION, {DECISIONS: figures.coercion}),
        Table2Row(BLOCK_FEES, FEES, {FEE_AMOUNT: figures.fees}),
    ]


def check_table2(rows: Iterable[Table2Row], *, previous: Iterable[Table2Row] | None = None) -> None:
    """Every value non-negative (the fee with at most four places); 现行有效 consistent with last year.

    With last year's rows (``previous``): 现行有效 = last year's 现行有效 + 本年制发 − 本年废止, and no more
    repealed than were in force or issued — what the same record yields by construction.
    """
    before = {row.label: row for row in previous or ()}
    for row in rows:
        for column, value in row.values.items():
            cell = f'table2 row "{row.label}" column "{column}"'
            if value < 0:
                raise ReportCheckFailed(cell, f"{value} is negative")
            if isinstance(value, Decimal) and value != value.quantize(FEE_PLACES):
                raise ReportCheckFailed(cell, f"{value} has more than four decimal places (万元)")
        if row.block != BLOCK_REGULATIONS or row.label not in before:
            continue
        issued, repealed, in_force = (int(row.values[c]) for c in (ISSUED, REPEALED, IN_FORCE))
        last = int(before[row.label].values[IN_FORCE])
        if repealed > last + issued:
            raise ReportCheckFailed(f'table2 row "{row.label}" column "{REPEALED}"', f"{repealed} repealed but only "
                                    f"{last} were in force and {issued} issued")  # fmt: skip
        if in_force != last + issued - repealed:
            expected = last + issued - repealed
            raise ReportCheckFailed(f'table2 row "{row.label}" column "{IN_FORCE}"', f"{in_force} but last year's "
                                    f"{last} + {issued} issued − {repealed} repealed = {expected}")  # fmt: skip


def parse_fee(text: str | int | float, *, cell: str = f"table2 {FEES}") -> Decimal:  # noqa: PYI041 - JSON numbers
    """The fee in 万元 as a Decimal with four places; refused (naming the cell) if not a number or finer."""
    try:
        value = Decimal(str(text).strip())
    except InvalidOperation:
        raise ReportCheckFailed(cell, f"{str(text)[:40]!r} is not an amount in 万元") from None
    if not value.is_finite() or value < 0 or value.adjusted() > MAX_FEE_DIGITS or value != value.quantize(FEE_PLACES):
        raise ReportCheckFailed(cell, f"{str(text)[:40]!r} is not an amount ≥ 0 with at most four decimal places")
    return abs(value).quantize(FEE_PLACES)  # abs: "-0" is 0


def table4(groups: Mapping[str, Mapping[str, int]]) -> list[Table4Row]:
    """Table 4's three groups in the national order, from the office's figures (missing values are 0)."""
    return [Table4Row(label, path, {o: int(groups.get(label, {}).get(o, 0)) for o in OUTCOMES})
            for label, path in TABLE4_GROUPS]  # fmt: skip


def check_table4(rows: Iterable[Table4Row]) -> None:
    """Each value non-negative; in each group 总计 = 结果维持 + 结果纠正 + 其他结果 + 尚未审结."""
    for row in rows:
        for column, value in row.values.items():
            if value < 0:
                raise ReportCheckFailed(f'table4 row "{row.label}" column "{column}"', f"{value} is negative")
        parts = sum(row.values[o] for o in OUTCOMES[:-1])
        if row.values[GROUP_TOTAL] != parts:
            raise ReportCheckFailed(f'table4 row "{row.label}" column "{GROUP_TOTAL}"', f"{row.values[GROUP_TOTAL]} "
                                    f"but 结果维持+结果纠正+其他结果+尚未审结 = {parts}")  # fmt: skip
