"""What the doors show of an application: masked for lists and for everyone but the disclosure office.

The views are built here from the stored rows, so no door ever holds the applicant's personal
data unless the principal may read it in full.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel

from disclosure.applications import ApplicationState, allowed_acts
from disclosure.clock_due import DueDate
from disclosure.clock_text import as_dict, explanation_lines
from disclosure.personal_data import mask_address, mask_email, mask_name, mask_phone, mask_reference
from disclosure.report_rows import Table3Leaf
from storage.models_applications import Application, ApplicationEvent


class ApplicantView(BaseModel):
    """The applicant as the principal may see them."""

    type: str
    name: str
    id_proof: str
    phone: str
    email: str
    address: str
    masked: bool


class ApplicationSummary(BaseModel):
    """One application in a list (always masked)."""

    id: int
    agency: str
    receipt_number: str
    applicant: ApplicantView
    channel: str
    received_on: date
    state: str
    outcome: str | None
    outcome_label: str | None
    closed_on: date | None
    due: date | None  # the reply due date (None: closed, or the clock stopped by a consultation or fee)
    provisional: bool


class EventView(BaseModel):
    """One act recorded on the application."""

    sequence: int
    act: str
    state_after: str
    dated: date
    actor: str
    note: str
    details: dict[str, Any]


class ApplicationDetail(ApplicationSummary):
    """One application in full: what was asked, the stated periods, the reply, the events and the clock."""

    description: str
    doc_number: str
    form: str
    delivery: str
    reply: dict[str, Any] | None
    correction_by: date | None
    fee_yuan: int | None
    fee_pay_by: date | None
    allowed_acts: list[str]
    events: list[EventView]
    due_explanation: list[str]  # how the due date was computed (Chinese / English), one line each
    clock: dict[str, Any] | None  # the computation as data (disclosure.clock_text.as_dict)


def applicant_view(row: Application, *, full: bool) -> ApplicantView:
    """The applicant in full, or masked."""
    if full:
        return ApplicantView(type=row.applicant_type, name=row.applicant_name, id_proof=row.applicant_id_proof,
                             phone=row.applicant_phone, email=row.applicant_email, address=row.applicant_address,
                             masked=False)  # fmt: skip
    return ApplicantView(type=row.applicant_type, name=mask_name(row.applicant_name),
                         id_proof=mask_reference(row.applicant_id_proof), phone=mask_phone(row.applicant_phone),
                         email=mask_email(row.applicant_email) if row.applicant_email else "",
                         address=mask_address(row.applicant_address), masked=True)  # fmt: skip


def _summary_fields(row: Application, due: DueDate | None, *, full: bool) -> dict[str, Any]:
    assert row.id is not None  # noqa: S101 - a stored application
    leaf = Table3Leaf(row.outcome) if row.outcome else None
    return {
        "id": row.id, "agency": row.agency, "receipt_number": row.receipt_number,
        "applicant": applicant_view(row, full=full), "channel": row.channel, "received_on": row.received_on,
        "state": row.state, "outcome": row.outcome, "outcome_label": leaf.label if leaf else None,
        "closed_on": row.closed_on, "due": due.due if due else None, "provisional": bool(due and due.provisional),
    }  # fmt: skip


def summary(row: Application, due: DueDate | None) -> ApplicationSummary:
    """The masked list entry."""
    return ApplicationSummary(**_summary_fields(row, due, full=False))


def detail(row: Application, events: list[ApplicationEvent], due: DueDate | None, *, full: bool) -> ApplicationDetail:
    """The whole application; personal data in full only when ``full``."""
    return ApplicationDetail(
        **_summary_fields(row, due, full=full), description=row.description, doc_number=row.doc_number,
        form=row.form, delivery=row.delivery, reply=row.reply, correction_by=row.correction_by,
        fee_yuan=row.fee_yuan, fee_pay_by=row.fee_pay_by,
        allowed_acts=[a.value for a in allowed_acts(ApplicationState(row.state))],
        events=[EventView(sequence=e.sequence, act=e.act, state_after=e.state_after, dated=e.dated, actor=e.actor,
                          note=e.note, details=e.details) for e in events],
        due_explanation=explanation_lines(due) if due else [], clock=as_dict(due) if due else None,
    )  # fmt: skip
