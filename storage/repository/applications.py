"""Applications, their append-only events and their stored reply clock (storage.models_applications).

A stored clock is read back as ``disclosure.clock.StatutoryClock`` from its event rows only, so its
due date is recomputed from the record and never moves when a row is touched.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from disclosure.clock import Approval, ClockEvent, Extended, Paused, Restarted, Resumed, Started, StatutoryClock
from disclosure.time_limits import RULES, DeadlineKind, PauseReason
from storage.models import Agency, utcnow
from storage.models_applications import Application, ApplicationEvent, ClockEventRow, StatutoryClockRow

_KINDS: dict[type[ClockEvent], str] = {
    Started: "started", Paused: "paused", Resumed: "resumed", Extended: "extended", Restarted: "restarted",
}  # fmt: skip


def next_receipt_number(*, session: Session, agency: str, year: int) -> str:
    """The next receipt number of the agency in the year of receipt (2026-00001, 2026-00002, …).

    The agency's row is locked first (PostgreSQL; SQLite's write transaction holds the database), so
    two registrations at the same moment are numbered one after the other instead of racing for a
    number that the unique constraint would refuse to the second.
    """
    session.exec(select(Agency.code).where(Agency.code == agency).with_for_update()).first()
    prefix = f"{year:04d}-"
    last = session.exec(select(func.max(Application.receipt_number)).where(
        Application.agency == agency, col(Application.receipt_number).startswith(prefix))).one()  # fmt: skip
    serial = int(last.removeprefix(prefix)) + 1 if last else 1
    return f"{prefix}{serial:05d}"


def create_application(*, session: Session, application: Application) -> Application:
    """Insert the application and give it its id."""
    session.add(application)
    session.flush()
    return application


def get_application(*, session: Session, application_id: int, for_update: bool = False) -> Application | None:
    """The application, or None; ``for_update`` locks its row until the transaction ends (PostgreSQL)."""
    query = select(Application).where(Application.id == application_id)
    return session.exec(query.with_for_update() if for_update else query).first()


def list_applications(
    *, session: Session, agency: str | None = None, states: Sequence[str] = (), limit: int = 200
) -> list[Application]:
    """Applications newest receipt first, of one agency and in some states when given."""
    query = select(Application)
    if agency is not None:
        query = query.where(Application.agency == agency)
    if states:
        query = query.where(col(Application.state).in_(list(states)))
    query = query.order_by(col(Application.received_on).desc(), col(Application.id).desc()).limit(limit)
    return list(session.exec(query))


def applications_received_through(*, session: Session, agency: str | None, through: date) -> list[Application]:
    """Every application received on or before ``through`` (of one agency when given), oldest first."""
    query = select(Application).where(Application.received_on <= through)
    if agency is not None:
        query = query.where(Application.agency == agency)
    return list(session.exec(query.order_by(col(Application.received_on), col(Application.id))))


def append_application_event(
    *, session: Session, application: Application, act: str, dated: date, actor: str, note: str = "",
    details: dict[str, Any] | None = None,
) -> ApplicationEvent:  # fmt: skip
    """Record one act on the application (its state already moved) and touch its ``updated_at``."""
    assert application.id is not None  # noqa: S101 - a stored application
    count = session.exec(select(func.count()).select_from(ApplicationEvent)
                         .where(ApplicationEvent.application_id == application.id)).one()  # fmt: skip
    event = ApplicationEvent(application_id=application.id, sequence=count + 1, act=act,
                             state_after=application.state, dated=dated, actor=actor, note=note,
                             details=details or {})  # fmt: skip
    application.updated_at = utcnow()
    session.add(application)
    session.add(event)
    session.flush()
    return event


def application_events(*, session: Session, application_id: int) -> list[ApplicationEvent]:
    """The application's events in order."""
    return list(session.exec(select(ApplicationEvent).where(ApplicationEvent.application_id == application_id)
                             .order_by(col(ApplicationEvent.sequence))))  # fmt: skip


def event_counts(*, session: Session, application_ids: Sequence[int]) -> dict[int, int]:
    """How many events each application has (none listed for one without events)."""
    if not application_ids:
        return {}
    column = col(ApplicationEvent.application_id)
    query = select(column, func.count()).where(column.in_(list(application_ids))).group_by(column)
    return {int(application_id): int(count) for application_id, count in session.exec(query)}


def create_clock(*, session: Session, application_id: int, kind: DeadlineKind, started_on: date) -> StatutoryClockRow:
    """Store a clock of ``kind`` for the application, started on ``started_on`` (its first event too)."""
    rule = RULES[kind]
    row = StatutoryClockRow(application_id=application_id, kind=kind.value, legal_basis=rule.basis_zh,
                            started_on=started_on)  # fmt: skip
    session.add(row)
    session.flush()
    append_clock_event(session=session, clock=row, event=Started(started_on))
    return row


def get_clock_row(*, session: Session, application_id: int, kind: DeadlineKind) -> StatutoryClockRow | None:
    """The stored clock of the application of this kind, if any."""
    return session.exec(select(StatutoryClockRow).where(StatutoryClockRow.application_id == application_id,
                                                        StatutoryClockRow.kind == kind.value)).first()  # fmt: skip


def append_clock_event(*, session: Session, clock: StatutoryClockRow, event: ClockEvent) -> None:
    """Append one event to a stored clock (the caller has checked the history with it)."""
    assert clock.id is not None  # noqa: S101 - a stored clock
    count = session.exec(select(func.count()).select_from(ClockEventRow)
                         .where(ClockEventRow.clock_id == clock.id)).one()  # fmt: skip
    row = ClockEventRow(clock_id=clock.id, sequence=count + 1, kind=_KINDS[type(event)])
    if isinstance(event, Extended):
        row.days = event.days
        if event.approval is not None:
            row.approved_by, row.approved_on = event.approval.by, event.approval.on
    else:
        row.dated = event.on
    if isinstance(event, Paused):
        row.reason, row.note = event.reason.value, event.note
    session.add(row)
    session.flush()


def load_clocks(*, session: Session, application_ids: Sequence[int], kind: DeadlineKind) -> dict[int, StatutoryClock]:
    """The stored clocks of these applications, rebuilt from their event rows only."""
    if not application_ids:
        return {}
    clocks = list(session.exec(select(StatutoryClockRow).where(
        col(StatutoryClockRow.application_id).in_(list(application_ids)),
        StatutoryClockRow.kind == kind.value)))  # fmt: skip
    by_clock = {c.id: c for c in clocks}
    events: dict[int, list[ClockEvent]] = {c.application_id: [] for c in clocks}
    rows = session.exec(select(ClockEventRow).where(col(ClockEventRow.clock_id).in_(list(by_clock)))
                        .order_by(col(ClockEventRow.clock_id), col(ClockEventRow.sequence)))  # fmt: skip
    for row in rows:
        events[by_clock[row.clock_id].application_id].append(_event(row))
    return {app_id: StatutoryClock(kind, tuple(found)) for app_id, found in events.items()}


def _event(row: ClockEventRow) -> ClockEvent:
    if row.kind == "extended":
        approval = Approval(row.approved_by, row.approved_on) if row.approved_on is not None else None
        return Extended(row.days or 0, approval)
    assert row.dated is not None  # noqa: S101 - every other event is dated
    if row.kind == "paused":
        return Paused(row.dated, PauseReason(row.reason), row.note)
    if row.kind == "resumed":
        return Resumed(row.dated)
    return Restarted(row.dated) if row.kind == "restarted" else Started(row.dated)
