"""Checks shared by the application use cases: the approver of an extension, the day of an act, lookups."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session

from disclosure.applications import ApplicationAct
from disclosure.errors import InvalidInput, NotFound, RuleViolation, Violation
from disclosure.states import DocumentState
from services.principal import Principal
from storage.models_applications import Application, ApplicationEvent
from storage.repository.applications import application_events, get_application

REVIEWED = frozenset({DocumentState.APPROVED.value, DocumentState.PUBLISHED.value})  # released only after review
EXTENSION_REQUESTED = "extension_requested"  # an application event beside the state table: no transition


def pending_extension(session: Session, application_id: int) -> ApplicationEvent:
    """The extension asked for since the last one approved (Art. 33), or a RuleViolation saying none is."""
    pending: ApplicationEvent | None = None
    for event in application_events(session=session, application_id=application_id):
        if event.act == EXTENSION_REQUESTED:
            pending = event
        elif event.act == ApplicationAct.EXTEND.value:
            pending = None
    if pending is None:
        raise RuleViolation(f"no extension of application {application_id} is waiting for approval: "
                            "the officer handling it asks first (`applications extend`)")  # fmt: skip
    return pending


def approval_problem(principal: Principal, requested: ApplicationEvent) -> str | None:
    """An extension is approved by the head of the disclosure office, not the officer who asked (Art. 33)."""
    if requested.actor == principal.username:
        return ("an extension is approved by the head of the disclosure office, not the officer who asked for it "
                f"({requested.actor}, Art. 33)")  # fmt: skip
    return None


def check_day(day: date, *, received: date, today: date) -> None:
    """An act is recorded on a day between the receipt and today."""
    if day > today:
        raise InvalidInput([Violation("$.on", f"{day} is after today ({today}): record an act once it happened")])
    if day < received:
        raise InvalidInput([Violation("$.on", f"{day} is before the application was received ({received})")])


def subject(application_id: int) -> str:
    """How audit records and events name an application."""
    return f"application:{application_id}"


def get_case(session: Session, application_id: int, *, for_update: bool = False) -> Application:
    """The application, or NotFound."""
    row = get_application(session=session, application_id=application_id, for_update=for_update)
    if row is None:
        raise NotFound(f"no application {application_id}")
    return row


def last_details(session: Session, application_id: int, act: ApplicationAct) -> dict[str, Any]:
    """The details recorded with the last ``act`` on the application."""
    found = [e for e in application_events(session=session, application_id=application_id) if e.act == act.value]
    if not found:
        raise RuleViolation(f"application {application_id} has no {act.value} recorded")
    return found[-1].details
