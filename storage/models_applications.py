"""Tables of disclosure on application (依申请公开): the case, its events and its stored reply clock.

The applicant's personal data (name, identity proof, contact) lives only in ``application`` and is
read only by the disclosure office (``services.applications``); every other table, the audit trail
and the events carry the application's id. Events and clock events are append-only: the due date is
recomputed from ``clock_event`` rows alone, so touching a row never moves it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Date, DateTime, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


def _now() -> datetime:
    return datetime.now(UTC)


def _ts() -> Any:  # noqa: ANN401 - SQLModel's Field returns Any
    return Field(default_factory=_now, sa_column=Column(DateTime(timezone=True), nullable=False))


def _day(*, nullable: bool = False) -> Any:  # noqa: ANN401 - SQLModel's Field returns Any
    return Field(default=None, sa_column=Column(Date(), nullable=nullable))


class Application(SQLModel, table=True):
    """One application for disclosure, numbered per agency and year of receipt (2026-00001)."""

    __tablename__ = "application"
    __table_args__ = (UniqueConstraint("agency", "receipt_number"),)

    id: int | None = Field(default=None, primary_key=True)
    agency: str = Field(foreign_key="agency.code", max_length=40, index=True)
    receipt_number: str = Field(max_length=16)  # YYYY-NNNNN, the year of receipt
    applicant_type: str = Field(max_length=20)  # disclosure.report_rows.ApplicantType
    applicant_name: str = Field(max_length=200)  # private
    applicant_id_proof: str = Field(default="", max_length=200)  # private: the proof's kind and number
    applicant_phone: str = Field(default="", max_length=40)  # private
    applicant_email: str = Field(default="", max_length=200)  # private
    applicant_address: str = Field(default="", max_length=300)  # private
    description: str = Field(sa_column=Column(Text, nullable=False))
    doc_number: str = Field(default="", max_length=100)  # 发文字号 of the information asked for
    form: str = Field(default="", max_length=40)  # paper / electronic
    delivery: str = Field(default="", max_length=40)  # post / email / collect / online
    channel: str = Field(max_length=20)  # disclosure.application_receipt.IntakeChannel
    receipt_dates: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    received_on: date = Field(sa_column=Column(Date(), nullable=False, index=True))
    state: str = Field(max_length=30, index=True)  # disclosure.applications.ApplicationState
    outcome: str | None = Field(default=None, max_length=40)  # disclosure.report_rows.Table3Leaf
    reply: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    closed_on: date | None = _day(nullable=True)  # the reply, or the closing without one
    correction_by: date | None = _day(nullable=True)  # the stated period of the correction request
    fee_yuan: int | None = None
    fee_pay_by: date | None = _day(nullable=True)
    due_soon_for: date | None = _day(nullable=True)  # the due date whose due_soon event was emitted
    overdue_for: date | None = _day(nullable=True)  # the due date whose overdue event was emitted
    flow_run_id: str | None = Field(default=None, max_length=36)  # the follow-application run following it
    created_by: str = Field(max_length=64)
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class ApplicationEvent(SQLModel, table=True):
    """One act recorded on an application, append-only, in order."""

    __tablename__ = "application_event"
    __table_args__ = (UniqueConstraint("application_id", "sequence"),)

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="application.id", index=True)
    sequence: int
    act: str = Field(max_length=30)  # disclosure.applications.ApplicationAct, or "register"
    state_after: str = Field(max_length=30)
    dated: date = Field(sa_column=Column(Date(), nullable=False))  # the day the act took effect
    actor: str = Field(max_length=64)
    note: str = Field(default="", sa_column=Column(Text, nullable=False))
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = _ts()


class StatutoryClockRow(SQLModel, table=True):
    """A stored statutory clock (disclosure.clock.StatutoryClock): its kind, basis and start."""

    __tablename__ = "statutory_clock"
    __table_args__ = (UniqueConstraint("application_id", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="application.id", index=True)
    kind: str = Field(max_length=40)  # disclosure.time_limits.DeadlineKind
    legal_basis: str = Field(max_length=200)
    started_on: date = Field(sa_column=Column(Date(), nullable=False))
    working_days: int | None = None
    created_at: datetime = _ts()


class ClockEventRow(SQLModel, table=True):
    """One event of a stored clock, append-only, in order (started, paused, resumed, extended, restarted)."""

    __tablename__ = "clock_event"
    __table_args__ = (UniqueConstraint("clock_id", "sequence"),)

    id: int | None = Field(default=None, primary_key=True)
    clock_id: int = Field(foreign_key="statutory_clock.id", index=True)
    sequence: int
    kind: str = Field(max_length=20)
    dated: date | None = _day(nullable=True)  # None for an extension
    days: int | None = None  # an extension's working days
    reason: str = Field(default="", max_length=40)  # a pause's PauseReason
    note: str = Field(default="", max_length=500)
    approved_by: str = Field(default="", max_length=64)  # an extension's approver (username)
    approved_on: date | None = _day(nullable=True)
    created_at: datetime = _ts()
