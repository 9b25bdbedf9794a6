"""Announcing open applications' reply deadlines: ``govpub.application.due_soon`` 3 working days
before, ``govpub.application.overdue`` the day after; each once per due date (the date announced is
kept on the application, so a due date moved by an extension or a restart is announced again)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Engine

from disclosure.applications import OPEN_STATES
from disclosure.calendar import WorkingCalendar
from disclosure.time_limits import DeadlineKind
from services.application_deadlines import due_of
from services.review_service import EventSink
from storage.db import session_scope
from storage.repository.applications import list_applications, load_clocks

DUE_SOON_WORKING_DAYS = 3


@dataclass(frozen=True, slots=True)
class Announced:
    """One event emitted about an application's reply deadline."""

    application_id: int
    event: str  # govpub.application.due_soon or govpub.application.overdue
    due: date


def announce_deadlines(engine: Engine, events: EventSink, calendar: WorkingCalendar, *, today: date) -> list[Announced]:
    """Emit what is due soon or overdue today and was not yet announced for that due date."""
    found: list[Announced] = []
    with session_scope(engine) as session:
        rows = list_applications(session=session, states=[s.value for s in OPEN_STATES], limit=100_000)
        clocks = load_clocks(session=session, application_ids=[r.id for r in rows if r.id],
                             kind=DeadlineKind.APPLICATION_REPLY)  # fmt: skip
        for row in rows:
            due = due_of(clocks.get(row.id or 0), calendar)
            if row.id is None or due is None or due.due is None:
                continue  # stopped by a consultation or a fee notice
            day = due.due
            if today > day and row.overdue_for != day:
                row.overdue_for = day
                found.append(Announced(row.id, "govpub.application.overdue", day))
            elif today <= day and calendar.count_working_days(today, day) <= DUE_SOON_WORKING_DAYS \
                    and row.due_soon_for != day:  # fmt: skip
                row.due_soon_for = day
                found.append(Announced(row.id, "govpub.application.due_soon", day))
            else:
                continue
            session.add(row)
    for item in found:  # after the commit: an event is never sent for a notice that was not kept
        events.emit(item.event, document_id=f"application:{item.application_id}", version=0,
                    payload={"application_id": item.application_id, "due": item.due.isoformat()})  # fmt: skip
    return found
