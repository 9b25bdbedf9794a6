"""Tables of the annual report: what the disclosure office enters for one agency and year.

``report_figures`` holds Table 2's entered blocks (行政许可, 行政处罚, 行政强制, 行政事业性收费), Table 4
and, optionally, last year's published 四 (``disclosure.annual_figures.OfficeFigures.as_json``);
``report_text`` the text of parts 一, 五 and 六. Tables 2 (规章 / 行政规范性文件) and 3 are counted from
the record at each computation and never stored. Every change is audited (``report.figures``,
``report.text``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


def _now() -> datetime:
    return datetime.now(UTC)


def _ts() -> Any:  # noqa: ANN401 - SQLModel's Field returns Any
    return Field(default_factory=_now, sa_column=Column(DateTime(timezone=True), nullable=False))


class ReportFigures(SQLModel, table=True):
    """The office's figures of one agency's report for one year."""

    __tablename__ = "report_figures"
    __table_args__ = (UniqueConstraint("agency", "year"),)

    id: int | None = Field(default=None, primary_key=True)
    agency: str = Field(foreign_key="agency.code", max_length=40)
    year: int
    figures: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    updated_by: str = Field(max_length=64)
    updated_at: datetime = _ts()


class ReportText(SQLModel, table=True):
    """The office's text of one part (一, 五 or 六) of one agency's report for one year."""

    __tablename__ = "report_text"
    __table_args__ = (UniqueConstraint("agency", "year", "part"),)

    id: int | None = Field(default=None, primary_key=True)
    agency: str = Field(foreign_key="agency.code", max_length=40)
    year: int
    part: str = Field(max_length=4)  # disclosure.annual_figures.ReportPart
    text: str = Field(sa_column=Column(Text, nullable=False))
    updated_by: str = Field(max_length=64)
    updated_at: datetime = _ts()
