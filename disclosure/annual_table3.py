"""Table 3 of the annual report (收到和处理政府信息公开申请情况), counted from the record, and its checks.

For year Y: 一 counts applications received in Y; 二 those received before Y and still open at the
end of Y-1; each leaf of 三 those closed in Y under it; （七）总计 the sum of the leaves; 四 those
received by the end of Y and still open then. Only rows that carry numbers are listed: the group
rows （三）…（六） are labels in the national format, carried in each leaf's ``path``. Every check
(勾稽关系) of DOMAIN §7 runs before a table is used; a failure names the table, the row and the
column. Pure: stdlib and ``disclosure``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from disclosure.errors import InvalidInput, Violation
from disclosure.report_rows import (
    APPLICANT_COLUMNS,
    ROW_CARRIED_IN,
    ROW_CARRIED_OUT,
    ROW_NEW,
    ROW_RESULTS,
    ROW_RESULTS_TOTAL,
    TOTAL_COLUMN,
    ApplicantType,
    CaseFact,
    Table3Leaf,
)

COLUMNS: tuple[str, ...] = (*(c.value for c in APPLICANT_COLUMNS), TOTAL_COLUMN)


class ReportCheckFailed(InvalidInput):
    """A consistency check (勾稽关系) of the annual report failed; the message names the cell.

    An ``InvalidInput`` with one violation located at the cell (``table3 row "…" column "…"``), so
    every door answers it as invalid input (exit 2, HTTP 422) with the cell named.
    """

    def __init__(self, cell: str, detail: str) -> None:
        self.cell, self.detail = cell, detail
        super().__init__([Violation(cell, detail)])


@dataclass(frozen=True, slots=True)
class CaseTally:
    """``count`` cases alike for Table 3: applicant type, year received, year closed (None: open), row.

    What a ``GROUP BY`` over the record returns; years outside Y-1 … Y+1 may be clamped into them
    (a case received before Y-1 counts like one received in Y-1, one closed after Y+1 like Y+1).
    """

    applicant_type: ApplicantType
    received_year: int
    closed_year: int | None
    leaf: Table3Leaf | None
    count: int = 1


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


def fact_problem(fact: CaseFact) -> str | None:
    """Why a fact cannot be counted: a closing without its row or before its receipt, a row without a closing."""
    if (fact.closed_on is None) != (fact.leaf is None):
        return "a closed case needs its row and a row needs the day it closed"
    if fact.closed_on is not None and fact.closed_on < fact.received_on:
        return f"closed on {fact.closed_on.isoformat()}, before it was received ({fact.received_on.isoformat()})"
    return None


def tally(facts: Iterable[CaseFact]) -> list[CaseTally]:
    """The facts grouped as a ``GROUP BY`` would (refusing any that cannot be counted, naming it)."""
    counts: Counter[tuple[ApplicantType, int, int | None, Table3Leaf | None]] = Counter()
    for fact in facts:
        problem = fact_problem(fact)
        if problem is not None:
            raise ReportCheckFailed("table3", f"a case received {fact.received_on.isoformat()} cannot be counted: "
                                    f"{problem}")  # fmt: skip
        key = (fact.applicant_type, fact.received_on.year, fact.closed_on.year if fact.closed_on else None, fact.leaf)
        counts[key] += 1
    return [CaseTally(kind, received, closed, leaf, n) for (kind, received, closed, leaf), n in counts.items()]


def table3(facts: Iterable[CaseFact], year: int) -> list[Row]:
    """Table 3's rows with numbers, in the national order, counted from the cases."""
    return table3_from_tallies(tally(facts), year)


def table3_from_tallies(tallies: Iterable[CaseTally], year: int) -> list[Row]:
    """Table 3 counted from grouped cases (``tally`` of the facts, or a ``GROUP BY`` of the record)."""
    new: Counter[str] = Counter()
    carried_in: Counter[str] = Counter()
    carried_out: Counter[str] = Counter()
    leaves: dict[Table3Leaf, Counter[str]] = {leaf: Counter() for leaf in Table3Leaf}
    for group in tallies:
        if (
            (group.closed_year is None) != (group.leaf is None)
            or group.count < 0
            or (group.closed_year is not None and group.closed_year < group.received_year)
        ):
            raise ReportCheckFailed("table3", f"{group.count} case(s) received in {group.received_year} "
                                    "cannot be counted: a closed case needs its row, closed after receipt")  # fmt: skip
        if group.received_year > year:
            continue
        column, n = group.applicant_type.value, group.count
        if group.received_year == year:
            new[column] += n
        elif group.closed_year is None or group.closed_year >= year:  # open at the end of Y-1
            carried_in[column] += n
        if group.leaf is not None and group.closed_year == year:
            leaves[group.leaf][column] += n
        if group.closed_year is None or group.closed_year > year:  # open at the end of Y
            carried_out[column] += n
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
        raise ReportCheckFailed(f'table3 row "{missing[0]}"', "the row is missing")
    for row in rows:
        if any(value < 0 for value in row.values.values()):
            column = next(c for c, v in row.values.items() if v < 0)
            raise ReportCheckFailed(f'table3 row "{row.label}" column "{column}"', f"{row.values[column]} is negative")
        applicants = sum(row.values.get(column, 0) for column in COLUMNS[:-1])
        if row.values.get(TOTAL_COLUMN) != applicants:
            cell = f'table3 row "{row.label}" column "{TOTAL_COLUMN}"'
            raise ReportCheckFailed(cell, f"{row.values.get(TOTAL_COLUMN)} but the six applicant columns add up to "
                                    f"{applicants}")  # fmt: skip
    leaves = [row for row in rows if row.path[0] == ROW_RESULTS and row.label != ROW_RESULTS_TOTAL]
    new, carried_in = by_label[ROW_NEW], by_label[ROW_CARRIED_IN]
    total, carried_out = by_label[ROW_RESULTS_TOTAL], by_label[ROW_CARRIED_OUT]
    for column in COLUMNS:
        summed = sum(row.values[column] for row in leaves)
        if total.values[column] != summed:
            raise ReportCheckFailed(f'table3 row "{ROW_RESULTS_TOTAL}" column "{column}"', f"{total.values[column]} "
                                    f"but the rows of 三 add up to {summed}")  # fmt: skip
        came = new.values[column] + carried_in.values[column]
        went = total.values[column] + carried_out.values[column]
        if came != went:
            raise ReportCheckFailed(f'table3 row "{ROW_CARRIED_OUT}" column "{column}"', f"一+二 = {came} "
                                    f"but 三（七）+四 = {went}")  # fmt: skip
        if last_years_carried_out is not None and carried_in.values[column] != last_years_carried_out.get(column, 0):
            raise ReportCheckFailed(f'table3 row "{ROW_CARRIED_IN}" column "{column}"', f"{carried_in.values[column]} "
                                    f"but last year's 四 was {last_years_carried_out.get(column, 0)}")  # fmt: skip
