"""The stored clocks of a document version's deadlines: Art. 26 publication and its interpretation.

One row per (document, version, kind), written the first time the deadline applies to that version
and never changed: the day it started from (taken from facts that never change — the version's
成文日期 or creation day, the policy's first publication or its version's approval in the audit
trail) and the working days allowed. The due date is counted from this row alone, so touching the
document's row never moves it (docs/architecture.md, "Working days and deadlines").
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Column, Date, DateTime, UniqueConstraint
from sqlmodel import Field, SQLModel


def _now() -> datetime:
    return datetime.now(UTC)


def _ts() -> Any:  # noqa: ANN401 - SQLModel's Field returns Any
    return Field(default_factory=_now, sa_column=Column(DateTime(timezone=True), nullable=False))


class DocumentClock(SQLModel, table=True):
    """A document version's stored deadline clock: what started it, on which day, for how long."""

    __tablename__ = "document_clock"
    __table_args__ = (UniqueConstraint("document_id", "version", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    document_id: str = Field(foreign_key="document.id", max_length=32)
    version: int
    kind: str = Field(max_length=40)  # disclosure.time_limits.DeadlineKind: proactive_publication / interpretation
    started_by: str = Field(max_length=20)  # services.deadline_watch.Anchor: formed, changed, published, approved, …
    legal_basis: str = Field(max_length=200)
    started_on: date = Field(sa_column=Column(Date(), nullable=False))  # Asia/Shanghai; not itself counted
    working_days: int
    created_at: datetime = _ts()
