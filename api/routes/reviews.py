"""Reviewers and the disclosure office: the queue, decisions, referrals."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from api.deps import CurrentPrincipal, GovpubDep
from api.problems import problem_responses
from api.schemas import DecisionBody, ReferralBody
from disclosure.review import ReviewState
from services.facade import DecisionOutcome
from services.reviewing import ReviewItem

router = APIRouter(prefix="/api/v1", tags=["review"], responses=problem_responses(401, 403, 404, 409, 422, 503))
DocumentId = Annotated[str, Path(min_length=1, max_length=64)]


@router.get("/reviews")
def review_queue(principal: CurrentPrincipal, govpub: GovpubDep) -> list[ReviewItem]:
    """What waits: a reviewer's levels on others' documents, oldest first; everything for the office."""
    return govpub.review_queue(principal)


@router.post("/reviews/{document_id}/decisions")
def decide(
    principal: CurrentPrincipal, govpub: GovpubDep, document_id: DocumentId, body: DecisionBody
) -> DecisionOutcome:
    """Decide the level waiting now (approve, return, reject, refer); the waiting flow run is resumed."""
    return govpub.decide(principal, document_id, body.decision, comment=body.comment, attribute=body.attribute,
                         ground=body.ground, acknowledge_unscreened=body.acknowledge_unscreened)  # fmt: skip


@router.get("/referrals")
def referrals(principal: CurrentPrincipal, govpub: GovpubDep) -> list[ReviewItem]:
    """Documents referred to the secrecy administration, waiting for its answer."""
    waiting = govpub.review_queue(principal)
    return [i for i in waiting if i.state == ReviewState.REFERRED]


@router.post("/referrals/{document_id}/resolution")
def resolve_referral(
    principal: CurrentPrincipal, govpub: GovpubDep, document_id: DocumentId, body: ReferralBody
) -> DecisionOutcome:
    """Record the secrecy administration's answer; the parked flow run is resumed."""
    return govpub.resolve_referral(principal, document_id, cleared=body.cleared, comment=body.comment)
