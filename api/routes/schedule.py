"""The release time of an approved document (定时发布): set, change or clear it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from api.deps import CurrentPrincipal, GovpubDep
from api.problems import problem_responses
from api.schemas import Body, PublishedItem

router = APIRouter(prefix="/api/v1", tags=["office"], responses=problem_responses(401, 403, 404, 409, 422, 503))
DocumentId = Annotated[str, Path(min_length=1, max_length=64)]


class ReleaseTimeBody(Body):
    """A release time: ISO 8601 with an offset, in the future; null clears it (published now)."""

    release_at: str | None = Field(max_length=64, examples=["2026-12-01T09:00:00+08:00"])


class ReleaseTimeOut(BaseModel):
    """Where the version's release stands."""

    document_id: str
    version: int
    release_at: datetime | None = Field(description="nothing of the version is public before it; null: cleared")
    flow_run_id: str | None = Field(description="the publish-document run scheduled at release_at")
    published: list[PublishedItem] = Field(description="cleared: what went out at once")
    left_for_reconciler: str


@router.post("/documents/{document_id}/release-time")
def set_release_time(
    principal: CurrentPrincipal, govpub: GovpubDep, document_id: DocumentId, body: ReleaseTimeBody
) -> ReleaseTimeOut:
    """Set, change or clear the release time of an approved, unpublished document (the disclosure office)."""
    result = govpub.release_times.set(principal, document_id, body.release_at)
    return ReleaseTimeOut(
        document_id=result.document_id, version=result.version, release_at=result.release_at,
        flow_run_id=result.flow_run_id, left_for_reconciler=result.left_for_reconciler,
        published=[PublishedItem(document_id=d, version=v, index_number=n) for d, v, n in result.published],
    )  # fmt: skip
