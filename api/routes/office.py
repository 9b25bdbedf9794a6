"""The disclosure office: publication, withdrawal, validity, deadlines."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from api.deps import CurrentPrincipal, GovpubDep
from api.problems import problem_responses
from api.schemas import ActResult, DeadlineOut, PublishedItem, PublishResult, ValidityBody, WithdrawBody
from services.bootstrap import today

router = APIRouter(prefix="/api/v1", tags=["office"], responses=problem_responses(401, 403, 404, 409, 422, 503))
DocumentId = Annotated[str, Path(min_length=1, max_length=64)]


@router.post("/documents/{document_id}/publication")
def publish(principal: CurrentPrincipal, govpub: GovpubDep, document_id: DocumentId) -> PublishResult:
    """Publish what the document's release allows now (idempotent; normally the flow does it)."""
    outcome = govpub.publish(principal, document_id)
    return PublishResult(
        root_id=outcome.root_id, state=outcome.state, reason=outcome.reason,
        left_for_reconciler=outcome.left_for_reconciler,
        published=[PublishedItem(document_id=d, version=v, index_number=n) for d, v, n in outcome.published],
    )  # fmt: skip


@router.post("/documents/{document_id}/withdrawal")
def withdraw(principal: CurrentPrincipal, govpub: GovpubDep, document_id: DocumentId, body: WithdrawBody) -> ActResult:
    """Take a published document down, with a public reason."""
    left = govpub.withdraw(principal, document_id, reason=body.reason)
    return ActResult(document_id=document_id, left_for_reconciler=left)


@router.put("/documents/{document_id}/validity")
def set_validity(
    principal: CurrentPrincipal, govpub: GovpubDep, document_id: DocumentId, body: ValidityBody
) -> ActResult:
    """Record 有效 / 失效 / 废止 / 已修改 (with the amending document, if any)."""
    left = govpub.set_validity(principal, document_id, body.validity, note=body.note, amended_by=body.amended_by)
    return ActResult(document_id=document_id, left_for_reconciler=left)


@router.get("/deadlines")
def deadlines(principal: CurrentPrincipal, govpub: GovpubDep) -> list[DeadlineOut]:
    """Open deadlines by due date, with how each was computed."""
    now = today()
    return [DeadlineOut.model_validate(d.as_dict(now)) for d in govpub.deadlines(principal)]
