"""Table 3 of the annual report (收到和处理政府信息公开申请情况), counted from the record, and its checks.

For year Y: 一 counts applications received in Y; 二 those received before Y and still open at the
end of Y-1; each leaf of 三 those closed in Y under it; （七）总计 the sum of the leaves; 四 those
received by the end of Y and still open then. Only rows that carry numbers are listed: the group
rows （三）…（六） are labels in the national format, carried in each leaf's ``path``. Every check
(勾稽关系) of DOMAIN §7 runs before a table is used; a failure names the table, the row and the
column. Pure: stdlib and ``disclosure``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from disclosure.errors import GovpubError
from disclosure.report_rows import (
    APPLICANT_COLUMNS,
    ROW_CARRIED_IN,
    ROW_CARRIED_OUT,
    ROW_NEW,
    ROW_RESULTS,
    ROW_RESULTS_TOTAL,
    TOTAL_COLUMN,
    CaseFact,
    Table3Leaf,
)

COLUMNS: tuple[str, ...] = (*(c.value for c in APPLICANT_COLUMNS), TOTAL_COLUMN)


class ReportCheckFailed(GovpubError, ValueError):
    """A consistency check (勾稽关系) of the annual report failed; the message names the cell."""


@dataclass(frozen=True, slots=True)
class Row:
    """One row of numbers: its exact label, the labels from the top row down, a value per column."""

    label: str
    path: tuple[str, ...]
    values: Mapping[str, int]

    def as_dict(self) -> dict[str, object]:
        """The row as the report's JSON carries it."""
        return {"label": self.label, "path": list(self.path), "values": dict(self.values)}


def _row(label: str, path: tuple[str, ...], counts: Mapping[str, int]) -> Row:
    values = {column: counts.get(column, 0) for column in COLUMNS[:-1]}
    values[TOTAL_COLUMN] = sum(values.values())
    return Row(label, path, values)


def _open_at(fact: CaseFact, day: date) -> bool:
    return fact.received_on <= day and (fact.closed_on is None or fact.closed_on > day)


def fact_problem(fact: CaseFact) -> str | None:
    """Why a fact cannot be counted: a closing without its row or before its receipt, a row without a closing."""
    if (fact.closed_on is None) != (fact.leaf is None):
        return "a closed case needs its row and a row needs the day it closed"
    if fact.closed_on is not None and fact.closed_on < fact.received_on:
        return f"closed on {fact.closed_on.isoformat()}, before it was received ({fact.received_on.isoformat()})"
    return None


def table3(facts: Iterable[CaseFact], year: int) -> list[Row]:
    """Table 3's rows with numbers, in the national order, counted from the cases."""
    last = date(year, 12, 31)
    new: dict[str, int] = {}
    carried_in: dict[str, int] = {}
    carried_out: dict[str, int] = {}
    leaves: dict[Table3Leaf, dict[str, int]] = {leaf: {} for leaf in Table3Leaf}
    for fact in facts:
        problem = fact_problem(fact)
        if problem is not None:
            raise ReportCheckFailed(f"table3: a case received {fact.received_on.isoformat()} cannot be counted: "
                                    f"{problem}")  # fmt: skip
        column = fact.applicant_type.value
        if fact.received_on.year == year:
            new[column] = new.get(column, 0) + 1
        if _open_at(fact, date(year - 1, 12, 31)):
            carried_in[column] = carried_in.get(column, 0) + 1
        if fact.closed_on is not None and fact.leaf is not None and fact.closed_on.year == year:
            leaves[fact.leaf][column] = leaves[fact.leaf].get(column, 0) + 1
        if _open_at(fact, last):
            carried_out[column] = carried_out.get(column, 0) + 1
    leaf_rows = [_row(leaf.label, leaf.path, leaves[leaf]) for leaf in Table3Leaf]
    total = {column: sum(row.values[column] for row in leaf_rows) for column in COLUMNS[:-1]}
    return [
        _row(ROW_NEW, (ROW_NEW,), new),
        _row(ROW_CARRIED_IN, (ROW_CARRIED_IN,), carried_in),
        *leaf_rows,
        _row(ROW_RESULTS_TOTAL, (ROW_RESULTS, ROW_RESULTS_TOTAL), total),
        _row(ROW_CARRIED_OUT, (ROW_CARRIED_OUT,), carried_out),
    ]


def check_table3(rows: Sequence[Row], *, last_years_carried_out: Mapping[str, int] | None = None) -> None:
    """Every 勾稽 check of Table 3; the first failure raises ``ReportCheckFailed`` naming its cell."""
    by_label = {row.label: row for row in rows}
    missing = [
        label for label in (ROW_NEW, ROW_CARRIED_IN, ROW_RESULTS_TOTAL, ROW_CARRIED_OUT) if label not in by_label
    ]
    if missing:
        raise ReportCheckFailed(f'table3: row "{missing[0]}" is missing')
    for row in rows:
        if any(value < 0 for value in row.values.values()):
            column = next(c for c, v in row.values.items() if v < 0)
            raise ReportCheckFailed(f'table3 row "{row.label}" column "{column}": {row.values[column]} is negative')
        applicants = sum(row.values.get(column, 0) for column in COLUMNS[:-1])
        if row.values.get(TOTAL_COLUMN) != applicants:
            raise ReportCheckFailed(f'table3 row "{row.label}" column "{TOTAL_COLUMN}": {row.values.get(TOTAL_COLUMN)} '
                                    f"but the six applicant columns add up to {applicants}")  # fmt: skip
    leaves = [row for row in rows if row.path[0] == ROW_RESULTS and row.label != ROW_RESULTS_TOTAL]
    new, carried_in = by_label[ROW_NEW], by_label[ROW_CARRIED_IN]
    total, carried_out = by_label[ROW_RESULTS_TOTAL], by_label[ROW_CARRIED_OUT]
    for column in COLUMNS:
        summed = sum(row.values[column] for row in leaves)
        if total.values[column] != summed:
            raise ReportCheckFailed(f'table3 row "{ROW_RESULTS_TOTAL}" column "{column}": {total.values[column]} '
                                    f"but the rows of 三 add up to {summed}")  # fmt: skip
        came = new.values[column] + carried_in.values[column]
        went = total.values[column] + carried_out.values[column]
        if came != went:
            raise ReportCheckFailed(f'table3 row "{ROW_CARRIED_OUT}" column "{column}": 一+二 = {came} '
                                    f"but 三（七）+四 = {went}")  # fmt: skip
        if last_years_carried_out is not None and carried_in.values[column] != last_years_carried_out.get(column, 0):
            raise ReportCheckFailed(f'table3 row "{ROW_CARRIED_IN}" column "{column}": {carried_in.values[column]} '
                                    f"but last year's 四 was {last_years_carried_out.get(column, 0)}")  # fmt: skip
