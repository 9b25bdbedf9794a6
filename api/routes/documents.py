"""Drafters' and reviewers' documents: submit (JSON or multipart), revise, list, read, findings, attachments."""

from __future__ import annotations

import tempfile
from pathlib import Path as FilePath
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from api.deps import CurrentPrincipal, GovpubDep
from api.problems import problem_responses
from api.schemas import AttachmentLink, DocumentDetail, Me, SubmitResult
from api.uploads import REQUEST_BODY, read_submission
from services.facade import PRESIGN_SECONDS, DocumentSummary, Govpub
from services.findings import FindingPublic, document_findings
from services.principal import Principal

router = APIRouter(prefix="/api/v1", tags=["documents"], responses=problem_responses(401, 403, 404, 422, 503))
DocumentId = Annotated[str, Path(min_length=1, max_length=64)]
_SUBMIT = {
    "status_code": 201,
    "openapi_extra": {"requestBody": REQUEST_BODY},
    "responses": {200: {"model": SubmitResult, "description": "the same content was submitted before"},
                  **problem_responses(409, 413, 415)},
}  # fmt: skip


@router.get("/me")
def me(principal: CurrentPrincipal) -> Me:
    """Who the token belongs to."""
    return Me(username=principal.username, roles=sorted(principal.roles), review_levels=sorted(principal.levels))


@router.post("/documents", **_SUBMIT)  # type: ignore[arg-type]
async def submit(request: Request, response: Response, principal: CurrentPrincipal, govpub: GovpubDep) -> SubmitResult:
    """Submit a document or an interpretation: JSON, or multipart (``submission`` + ``files``)."""
    return await _submit(request, response, principal, govpub, revise=None)


@router.post("/documents/{document_id}/versions", **_SUBMIT)  # type: ignore[arg-type]
async def revise(
    request: Request, response: Response, principal: CurrentPrincipal, govpub: GovpubDep, document_id: DocumentId
) -> SubmitResult:
    """Submit a new version of a returned or published document (a correction needs a change_note)."""
    return await _submit(request, response, principal, govpub, revise=document_id)


async def _submit(
    request: Request, response: Response, principal: Principal, govpub: Govpub, *, revise: str | None
) -> SubmitResult:
    limit = govpub.app.settings.api.max_upload_bytes
    with tempfile.TemporaryDirectory(prefix="govpub-upload-") as directory:  # mode 0700
        read = await read_submission(request, FilePath(directory), limit=limit)
        result = await run_in_threadpool(govpub.submit, principal, read.raw, files=read.paths, revise=revise)
    if result.created:
        response.headers["Location"] = f"/api/v1/documents/{result.document_id}"
    else:
        response.status_code = 200
    return SubmitResult(document_id=result.document_id, version=result.version, created=result.created)


@router.get("/documents")
def my_documents(principal: CurrentPrincipal, govpub: GovpubDep) -> list[DocumentSummary]:
    """The caller's own documents, newest first: state, and who holds each now."""
    return govpub.my_documents(principal)


@router.get("/documents/{document_id}")
def document(principal: CurrentPrincipal, govpub: GovpubDep, document_id: DocumentId) -> DocumentDetail:
    """One document: state, attribute, versions, publications, deadlines and history."""
    return DocumentDetail.model_validate(govpub.document(principal, document_id))


@router.get("/documents/{document_id}/findings")
def findings(
    principal: CurrentPrincipal, govpub: GovpubDep, document_id: DocumentId,
    version: Annotated[int | None, Query(ge=1, le=100_000)] = None,
) -> list[FindingPublic]:  # fmt: skip
    """Screening findings of a version (the current one by default): masked, with their location."""
    return document_findings(govpub.app, principal, document_id, version=version)


@router.get("/documents/{document_id}/versions/{version}/attachments/{file_name}")
def attachment_link(
    principal: CurrentPrincipal, govpub: GovpubDep, document_id: DocumentId,
    version: Annotated[int, Path(ge=1, le=100_000)], file_name: Annotated[str, Path(min_length=1, max_length=255)],
) -> AttachmentLink:  # fmt: skip
    """A presigned link to a private attachment, valid for 5 minutes."""
    url = govpub.attachment_link(principal, document_id, version, file_name)
    return AttachmentLink(url=url, expires_in=PRESIGN_SECONDS)
