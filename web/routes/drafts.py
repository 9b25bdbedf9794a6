"""Pages for drafters: 我的文件, the submission form (new, revision, interpretation) and a document's page.

The form covers the whole submission contract; the page turns its fields and uploaded files into
the submission's JSON (services.drafting) and calls the facade's ``submit``. Intake's violations
come back at their fields, in intake's own words, with every value kept (files must be chosen
again). Authorisation and every rule stay in the application layer.
"""

from __future__ import annotations

import tempfile
from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException

from disclosure.errors import InvalidInput, Violation
from services import drafting
from services.bootstrap import today
from services.drafting import DOCUMENT_FIELDS, INTERPRETATION_FIELDS, Placed, Stored
from services.drafts_view import (
    DraftView,
    draft_view,
    drafter_defaults,
    interpretation_start,
    keep_attachments,
    previous_attachments,
    require_drafter,
    revision_start,
)
from services.intake import IntakeResult
from services.principal import Principal
from web.context import govpub_of
from web.session import MAX_FIELDS, MAX_FILES, CsrfForm, PagePrincipal, field
from web.templating import render

router = APIRouter(tags=["pages"], include_in_schema=False)
DocumentId = Annotated[str, Path(min_length=1, max_length=64)]
NOTICES = {
    "submitted": "已报送，等待审核。",
    "revised": "修改后的新版本已报送，等待审核。",
    "interpretation": "政策解读已报送，等待审核。",
    "unchanged": "内容与已报送的版本完全相同，未重复记录。",
}


async def bounded_form(request: Request) -> None:
    """Refuse a body over the upload limit before reading it, then read the form with room for a
    long body (the form's own parser would stop a field at 1 MB; the contract allows 5 million
    characters). CsrfForm then verifies the token of this same, already parsed, form."""
    limit = govpub_of(request).app.settings.api.max_upload_bytes
    declared = request.headers.get("content-length", "")
    if not declared.isdigit():
        raise HTTPException(411, "the form must be sent with its Content-Length")
    if int(declared) > limit:
        message = f"上传内容共 {int(declared):,} 字节，超过单次报送允许的 {limit:,} 字节：请减少或压缩附件后重新提交"
        raise InvalidInput([Violation("附件", message)])
    await request.form(max_files=MAX_FILES, max_fields=MAX_FIELDS, max_part_size=limit)


BoundedForm = Annotated[None, Depends(bounded_form)]


@router.get("/work/documents")
def my_documents(request: Request, principal: PagePrincipal, notice: str = "") -> Response:
    """The signed-in drafter's documents: state and who holds each now."""
    items = govpub_of(request).my_documents(principal)
    return render(request, "drafts/list.html", {"items": items, "states": drafting.STATE_LABELS,
                                                 "notice": NOTICES.get(notice, "")})  # fmt: skip


@router.get("/work/documents/new")
def new_document(request: Request, principal: PagePrincipal) -> Response:
    """An empty submission form (the drafter's agency as issuer)."""
    govpub = govpub_of(request)
    require_drafter(govpub, principal)
    values = dict.fromkeys(DOCUMENT_FIELDS, "") | drafter_defaults(govpub, principal)
    return _document_form(request, values=values, action="/work/documents")


@router.post("/work/documents")
def submit_document(request: Request, principal: PagePrincipal, _bounded: BoundedForm, form: CsrfForm) -> Response:
    """Submit the form: to the new document's page, or back to the form with the violations."""
    return _accept(request, principal, form, revise=None, policy=None, view=None)


@router.get("/work/documents/{document_id}")
def document_page(request: Request, principal: PagePrincipal, document_id: DocumentId, notice: str = "") -> Response:
    """The drafter's view: state, who holds it, versions, history; a returned one's comment."""
    view = draft_view(govpub_of(request), principal, document_id)
    return render(request, "drafts/show.html", {**_labels(), "view": view, "d": view.detail,
                                                 "notice": NOTICES.get(notice, "")})  # fmt: skip


@router.get("/work/documents/{document_id}/versions/{version}/attachments/{file_name}")
def attachment(
    request: Request, principal: PagePrincipal, document_id: DocumentId,
    version: Annotated[int, Path(ge=1, le=100_000)], file_name: Annotated[str, Path(min_length=1, max_length=255)],
) -> Response:  # fmt: skip
    """One of the document's attachments, through a short-lived presigned link."""
    link = govpub_of(request).attachment_link(principal, document_id, version, file_name)
    return RedirectResponse(link, status_code=303)


@router.get("/work/documents/{document_id}/revise")
def revise_form(request: Request, principal: PagePrincipal, document_id: DocumentId) -> Response:
    """The form prefilled with the current version's values, the reviewer's comment above it."""
    view, values = revision_start(govpub_of(request), principal, document_id)
    action = f"/work/documents/{document_id}/revise"
    keep = [a["file_name"] for a in previous_attachments(view)]
    if view.detail["item_type"] == "interpretation":
        return _interpretation_form(request, values=values, action=action, view=view, keep=keep, revising=True)
    return _document_form(request, values=values, action=action, view=view, keep=keep)


@router.post("/work/documents/{document_id}/revise")
def submit_revision(
    request: Request, principal: PagePrincipal, _bounded: BoundedForm, form: CsrfForm, document_id: DocumentId
) -> Response:
    """Submit a new version of the document."""
    view, _ = revision_start(govpub_of(request), principal, document_id)
    policy = view.detail["interprets"] if view.detail["item_type"] == "interpretation" else None
    return _accept(request, principal, form, revise=document_id, policy=policy, view=view)


@router.get("/work/documents/{document_id}/interpretation")
def interpretation_form(request: Request, principal: PagePrincipal, document_id: DocumentId) -> Response:
    """The interpretation form for a policy (the policy it interprets is fixed)."""
    view, values = interpretation_start(govpub_of(request), principal, document_id)
    return _interpretation_form(request, values=values, action=f"/work/documents/{document_id}/interpretation",
                                view=view)  # fmt: skip


@router.post("/work/documents/{document_id}/interpretation")
def submit_interpretation(
    request: Request, principal: PagePrincipal, _bounded: BoundedForm, form: CsrfForm, document_id: DocumentId
) -> Response:
    """Submit an interpretation of the policy."""
    view, _ = interpretation_start(govpub_of(request), principal, document_id)
    return _accept(request, principal, form, revise=None, policy=document_id, view=view)


# -- the form ------------------------------------------------------------------------------------
def _labels() -> dict[str, Any]:
    return {"states": drafting.STATE_LABELS, "kinds": drafting.KIND_LABELS, "grades": drafting.GRADE_LABELS,
            "scopes": drafting.SCOPE_LABELS, "attributes": drafting.ATTRIBUTE_LABELS,
            "grounds": drafting.GROUND_LABELS, "ground_hints": drafting.GROUND_HINTS,
            "forms": drafting.FORM_LABELS, "actions": drafting.ACTION_LABELS}  # fmt: skip


def _common(request: Request, view: DraftView | None, keep: list[str], placed: Placed | None,
            dropped: bool, *, revising: bool) -> dict[str, Any]:  # fmt: skip
    return {**_labels(), "view": view, "keep": keep, "placed": placed or Placed(), "dropped": dropped,
            "previous": previous_attachments(view) if view is not None and revising else [],
            "limit": govpub_of(request).app.settings.api.max_upload_bytes,
            "summary_max": drafting.SUMMARY_MAX}  # fmt: skip


def _document_form(
    request: Request, *, values: dict[str, str], action: str, view: DraftView | None = None,
    keep: list[str] | None = None, placed: Placed | None = None, dropped: bool = False, status: int = 200,
) -> Response:  # fmt: skip
    context = {**_common(request, view, keep or [], placed, dropped, revising=view is not None), "values": values,
               "action": action, "fields": DOCUMENT_FIELDS, "categories": drafting.CATEGORIES}  # fmt: skip
    return render(request, "drafts/form.html", context, status=status)


def _interpretation_form(
    request: Request, *, values: dict[str, str], action: str, view: DraftView, keep: list[str] | None = None,
    placed: Placed | None = None, dropped: bool = False, revising: bool = False, status: int = 200,
) -> Response:  # fmt: skip
    context = {**_common(request, view, keep or [], placed, dropped, revising=revising), "values": values,
               "action": action, "fields": INTERPRETATION_FIELDS, "revising": revising}  # fmt: skip
    return render(request, "drafts/interpretation.html", context, status=status)


def _uploads(form: FormData) -> list[UploadFile]:
    """The files chosen (a file input left empty still sends a nameless, empty part)."""
    return [u for u in form.getlist("attachments") if isinstance(u, UploadFile) and (u.filename or u.size)]


def _accept(
    request: Request, principal: Principal, form: FormData, *, revise: str | None, policy: str | None,
    view: DraftView | None,
) -> Response:  # fmt: skip
    """Build the submission from the form and its files, submit it, and answer with a page."""
    fields = INTERPRETATION_FIELDS if policy is not None else DOCUMENT_FIELDS
    values = drafting.clean({name: field(form, name) for name in fields}, fields)
    keep = [v for v in form.getlist("keep") if isinstance(v, str)] if revise else []
    uploads = _uploads(form)
    names: list[str] = []
    try:
        result = _submit(request, principal, values, keep=keep, uploads=uploads, names=names, revise=revise,
                         policy=policy)  # fmt: skip
    except InvalidInput as exc:
        placed = drafting.place(exc.violations, fields, names)
        if revise is not None:
            action = f"/work/documents/{revise}/revise"
        elif policy is not None:
            action = f"/work/documents/{policy}/interpretation"
        else:
            action = "/work/documents"
        if policy is not None and view is not None:
            return _interpretation_form(request, values=values, action=action, view=view, keep=keep, placed=placed,
                                        dropped=bool(uploads), revising=revise is not None, status=422)  # fmt: skip
        return _document_form(request, values=values, action=action, view=view, keep=keep, placed=placed,
                              dropped=bool(uploads), status=422)  # fmt: skip
    if not result.created:
        notice = "unchanged"
    elif revise:
        notice = "revised"
    else:
        notice = "interpretation" if policy is not None else "submitted"
    return RedirectResponse(f"/work/documents/{result.document_id}?notice={notice}", status_code=303)


def _submit(
    request: Request, principal: Principal, values: dict[str, str], *, keep: list[str], uploads: list[UploadFile],
    names: list[str], revise: str | None, policy: str | None,
) -> IntakeResult:  # fmt: skip
    """Save the files under their checked names in a private temporary directory (with the kept
    attachments of the previous version), build the JSON and submit it; ``names`` gets the
    attachments' names in their order (violations name them)."""
    govpub = govpub_of(request)
    with tempfile.TemporaryDirectory(prefix="govpub-upload-") as directory:  # mode 0700
        stored = keep_attachments(govpub, principal, revise, keep, FilePath(directory)) if revise else []
        refused = _store(uploads, FilePath(directory), stored)
        names.extend(s.spec["file_name"] for s in stored)
        specs = [s.spec for s in stored]
        if policy is not None:
            payload = drafting.interpretation_payload(values, policy, specs, drafter=principal.username)
        else:
            payload = drafting.document_payload(values, specs, drafter=principal.username)
        raw = drafting.encode(payload)
        if refused:  # nothing is submitted; the rest of the form's violations are reported with them
            raise InvalidInput(refused + drafting.check(raw, actor=principal.username, today=today()))
        return govpub.submit(principal, raw, files=[s.path for s in stored], revise=revise)


def _store(uploads: list[UploadFile], directory: FilePath, stored: list[Stored]) -> list[Violation]:
    """Write each upload under its checked name beside the kept attachments; the refusals."""
    refused: list[Violation] = []
    for number, upload in enumerate(uploads):
        taken = [s.spec["file_name"] for s in stored]
        result = drafting.store_upload(upload.filename or "", upload.file, directory, taken, f"files[{number}]")
        if isinstance(result, Violation):
            refused.append(result)
        else:
            stored.append(result)
    return refused
