"""Disclosure on application (依申请公开): register, read and act on applications (the disclosure office).

The body of ``POST /applications`` is the JSON of ``schemas/application.schema.json``; every act
is ``POST /applications/{id}/<act>`` with its options, and answers with the application as the
principal may see it (personal data in full only for the disclosure office).
``POST /applications/transfer-proactive`` sends a document into review as 主动公开 (Art. 44);
``POST /applications/{id}/redacted-copy`` submits the redacted copy of Art. 37 for review.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from api.deps import CurrentPrincipal, GovpubDep
from api.problems import problem_responses
from api.schemas import Body
from disclosure.application_fees import FeeMethod
from disclosure.application_replies import Closing, Reply, ReplyKind, WithholdingGround
from disclosure.errors import InvalidInput, Violation
from services.application_transfer import TransferReason, Transferred
from services.application_views import ApplicationDetail, ApplicationSummary

router = APIRouter(prefix="/api/v1", tags=["applications"], responses=problem_responses(401, 403, 404, 409, 422, 503))
ApplicationId = Annotated[int, Path(ge=1, le=2_147_483_647)]
_REGISTER_BODY = {
    "requestBody": {
        "required": True,
        "description": "an application as schemas/application.schema.json describes it",
        "content": {"application/json": {"schema": {"type": "object"}}},
    }
}


class On(Body):
    """The day of the act (default: today)."""

    on: date | None = None


class CorrectionRequestBody(On):
    """A correction request: everything to correct, at once, and the stated period."""

    correct_by: date
    note: str = Field(min_length=1, max_length=2000)


class ConsultBody(On):
    """A consultation of a third party (Art. 32) or a co-producing agency (Art. 34)."""

    party: Literal["third_party", "agency"]
    note: str = Field(default="", max_length=2000)


class AnswerBody(On):
    """How the consultation ended: consent, objection, or silence past its 15 working days."""

    answer: Literal["consent", "objection", "silent"]
    note: str = Field(default="", max_length=2000)


class ExtendBody(On):
    """An extension asked for by the officer handling the case, with the reason."""

    days: int = Field(ge=1, le=20)
    note: str = Field(min_length=1, max_length=2000)


class ExtensionApprovalBody(On):
    """The head of the disclosure office's approval of the extension asked for; the applicant told."""

    notice_sent_on: date


class FeeNoticeBody(On):
    """A fee notice: pages (per page) or the applicant's nth application this month (per application)."""

    method: FeeMethod
    count: int = Field(ge=0, le=1_000_000)


class CloseBody(On):
    """Closing without a reply once the stated period has passed."""

    reason: Closing


class ReplyBody(On):
    """A reply typed by its statutory outcome (Art. 35-39)."""

    kind: ReplyKind
    ground: WithholdingGround | None = None
    where: str = Field(default="", max_length=500)
    agency: str = Field(default="", max_length=200)
    published_item: str | None = Field(default=None, max_length=64)
    note: str = Field(default="", max_length=2000)


class TransferBody(Body):
    """依申请公开转主动公开 (Art. 44): the document, why, and the applications that show it."""

    document_id: str = Field(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z_-]+$")  # intake's ids: uuid hex
    reason: TransferReason
    applications: list[Annotated[int, Field(ge=1, le=2_147_483_647)]] = Field(min_length=1, max_length=1000)
    note: str = Field(default="", max_length=2000)


class RedactedCopyBody(Body):
    """The redacted copy of a reviewed document (Art. 37): its body with the withheld parts taken out."""

    source: str = Field(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z_-]+$")
    body: str = Field(min_length=1, max_length=2_000_000)
    body_format: Literal["text", "html"] = "text"
    ground: WithholdingGround
    law_name: str = Field(default="", max_length=200)


class RedactedCopyOut(BaseModel):
    """The redacted copy's document, now in review."""

    document_id: str
    version: int
    source: str


@router.post("/applications", status_code=201, openapi_extra=_REGISTER_BODY)
async def register(request: Request, principal: CurrentPrincipal, govpub: GovpubDep) -> ApplicationDetail:
    """Register an application; its receipt date is the one its channel fixes (Art. 31)."""
    raw = await request.body()
    if len(raw) > govpub.app.settings.api.max_upload_bytes:
        raise InvalidInput([Violation("$", "the application is too large")])
    return await run_in_threadpool(govpub.applications.register, principal, raw)


@router.get("/applications")
def list_applications(
    principal: CurrentPrincipal, govpub: GovpubDep,
    agency: Annotated[str | None, Query(max_length=40)] = None,
    state: Annotated[str | None, Query(max_length=30)] = None,
) -> list[ApplicationSummary]:  # fmt: skip
    """Applications newest first, the applicants' personal data masked."""
    return govpub.applications.list_masked(principal, agency=agency, state=state)


@router.post("/applications/transfer-proactive", status_code=201)
def transfer_to_proactive(principal: CurrentPrincipal, govpub: GovpubDep, body: TransferBody) -> Transferred:
    """Send a document disclosed on application into review as 主动公开: a new version, nothing published."""
    return govpub.applications.transfer_to_proactive(principal, body.document_id, reason=body.reason,
                                                     applications=body.applications, note=body.note)  # fmt: skip


@router.get("/applications/{application_id}")
def show(principal: CurrentPrincipal, govpub: GovpubDep, application_id: ApplicationId) -> ApplicationDetail:
    """One application with its events, the reply due date and its computation."""
    return govpub.applications.show(principal, application_id)


@router.post("/applications/{application_id}/acceptance")
def accept(
    principal: CurrentPrincipal, govpub: GovpubDep, application_id: ApplicationId, body: On
) -> ApplicationDetail:
    """审核: the application is complete; handling starts."""
    return govpub.applications.accept(principal, application_id, on=body.on)


@router.post("/applications/{application_id}/correction-request")
def request_correction(
    principal: CurrentPrincipal, govpub: GovpubDep, application_id: ApplicationId, body: CorrectionRequestBody
) -> ApplicationDetail:
    """Ask for a correction, once, within 7 working days of receipt (Art. 30)."""
    return govpub.applications.request_correction(principal, application_id, correct_by=body.correct_by,
                                                  note=body.note, sent_on=body.on)  # fmt: skip


@router.post("/applications/{application_id}/correction")
def record_correction(
    principal: CurrentPrincipal, govpub: GovpubDep, application_id: ApplicationId, body: On
) -> ApplicationDetail:
    """The corrected application received: the 20 working days restart."""
    return govpub.applications.record_correction(principal, application_id, received_on=body.on)


@router.post("/applications/{application_id}/consultation")
def consult(
    principal: CurrentPrincipal, govpub: GovpubDep, application_id: ApplicationId, body: ConsultBody
) -> ApplicationDetail:
    """Send a consultation; the reply clock pauses."""
    return govpub.applications.consult(principal, application_id, agency=body.party == "agency", note=body.note,
                                       sent_on=body.on)  # fmt: skip


@router.post("/applications/{application_id}/consultation-answer")
def consultation_answered(
    principal: CurrentPrincipal, govpub: GovpubDep, application_id: ApplicationId, body: AnswerBody
) -> ApplicationDetail:
    """The consultation answered, or its period ran out; the reply clock resumes."""
    return govpub.applications.consultation_answered(principal, application_id, answer=body.answer, note=body.note,
                                                     answered_on=body.on)  # fmt: skip


@router.post("/applications/{application_id}/extension")
def extend(
    principal: CurrentPrincipal, govpub: GovpubDep, application_id: ApplicationId, body: ExtendBody
) -> ApplicationDetail:
    """Ask for an extension of the reply period (at most 20 working days in all, Art. 33)."""
    return govpub.applications.request_extension(principal, application_id, days=body.days, note=body.note,
                                                 on=body.on)  # fmt: skip


@router.post("/applications/{application_id}/extension-approval")
def approve_extension(
    principal: CurrentPrincipal, govpub: GovpubDep, application_id: ApplicationId, body: ExtensionApprovalBody
) -> ApplicationDetail:
    """Approve the extension asked for (the head of the disclosure office, not the officer who asked)."""
    return govpub.applications.approve_extension(principal, application_id, notice_sent_on=body.notice_sent_on,
                                                 approved_on=body.on)  # fmt: skip


@router.post("/applications/{application_id}/fee-notice")
def notify_fee(
    principal: CurrentPrincipal, govpub: GovpubDep, application_id: ApplicationId, body: FeeNoticeBody
) -> ApplicationDetail:
    """Send a fee notice (国办函〔2020〕109号); the reply clock pauses until payment."""
    return govpub.applications.notify_fee(principal, application_id, method=body.method, count=body.count,
                                          notified_on=body.on)  # fmt: skip


@router.post("/applications/{application_id}/payment")
def record_payment(
    principal: CurrentPrincipal, govpub: GovpubDep, application_id: ApplicationId, body: On
) -> ApplicationDetail:
    """The fee paid in time; the reply clock resumes."""
    return govpub.applications.record_payment(principal, application_id, paid_on=body.on)


@router.post("/applications/{application_id}/closing")
def close(
    principal: CurrentPrincipal, govpub: GovpubDep, application_id: ApplicationId, body: CloseBody
) -> ApplicationDetail:
    """Close without a reply: not corrected, or the fee not paid, in the stated period."""
    return govpub.applications.close(principal, application_id, closing=body.reason, on=body.on)


@router.post("/applications/{application_id}/reply")
def reply(
    principal: CurrentPrincipal, govpub: GovpubDep, application_id: ApplicationId, body: ReplyBody
) -> ApplicationDetail:
    """Reply with a typed outcome; it counts under exactly one row of Table 3."""
    answer = Reply(body.kind, ground=body.ground, where=body.where, agency=body.agency,
                   published_item=body.published_item, note=body.note)  # fmt: skip
    return govpub.applications.reply(principal, application_id, answer, replied_on=body.on)


@router.post("/applications/{application_id}/delivery")
def deliver(
    principal: CurrentPrincipal, govpub: GovpubDep, application_id: ApplicationId, body: On
) -> ApplicationDetail:
    """The reply served on the applicant."""
    return govpub.applications.deliver(principal, application_id, on=body.on)


@router.post("/applications/{application_id}/archive")
def archive(
    principal: CurrentPrincipal, govpub: GovpubDep, application_id: ApplicationId, body: On
) -> ApplicationDetail:
    """归档."""
    return govpub.applications.archive(principal, application_id, on=body.on)


@router.post("/applications/{application_id}/redacted-copy", status_code=201)
def redacted_copy(
    principal: CurrentPrincipal, govpub: GovpubDep, application_id: ApplicationId, body: RedactedCopyBody
) -> RedactedCopyOut:
    """Submit the redacted copy of a reviewed document for review (never public: 依申请公开)."""
    made = govpub.redacted_copies(principal, application_id, source=body.source, body=body.body,
                                  ground=body.ground, law_name=body.law_name, body_format=body.body_format)  # fmt: skip
    return RedactedCopyOut(document_id=made.document_id, version=made.version, source=made.source)
