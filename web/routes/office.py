"""Pages of the disclosure office (公开办): the board (deadlines, referrals, channels), resolving a
referral, withdrawing a published document, changing its validity, the channels' delivery state.

Every page asks the application layer (the facade, and ``services.office_view`` for what it reads
beside it), which authorises and decides; a refusal is raised and answered as the 403 / 409 page
with the rule's own words. A page only renders and turns form fields into use-case arguments.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from disclosure.errors import InvalidInput, RuleViolation
from disclosure.publication import Validity, check_withdrawal_reason
from disclosure.review import ReviewState
from services import office_view
from services.authz import Act
from services.principal import Principal
from web.context import govpub_of
from web.session import CsrfForm, PagePrincipal, field, finish
from web.templating import render

router = APIRouter(tags=["pages"], include_in_schema=False)
DocumentId = Annotated[str, Path(min_length=1, max_length=64)]
FAILURES_SHOWN = 10
DELIVERY_LABELS = {"pending": "待发送", "delivered": "已送达", "failed": "失败", "cancelled": "已取消"}
# which form field a refusal's words are about, by the option name the service gives it
_FIELD_OF_PATH = {"--reason": "reason", "--note": "note", "--amended-by": "amended_by"}


def _redirect(request: Request, target: str) -> Response:
    return finish(request, RedirectResponse(target, status_code=303))


def _field_errors(exc: InvalidInput | RuleViolation, blank: dict[str, str]) -> tuple[dict[str, str], str]:
    """A refusal as (messages at fields, message for the whole form), in the service's words.

    A rule refused while a required text field was empty is shown at that field (``blank``: field →
    its value); the service's option names (``--amended-by``) place the rest.
    """
    if isinstance(exc, InvalidInput):
        errors = {_FIELD_OF_PATH.get(v.path, ""): v.message for v in exc.violations}
        return {k: v for k, v in errors.items() if k}, errors.get("", "")
    message = str(exc)
    for path, name in _FIELD_OF_PATH.items():
        if path in message:
            return {name: message}, ""
    for name, value in blank.items():
        if not value.strip():
            return {name: message}, ""
    return {}, message


# -- the board -----------------------------------------------------------------------------------
@router.get("/work/office")
def board(request: Request, principal: PagePrincipal) -> Response:
    """Deadlines by due date, referrals to resolve, channels with their delivery state."""
    govpub = govpub_of(request)
    deadlines = office_view.deadline_views(govpub.app, govpub.deadlines(principal))
    referrals = [i for i in govpub.review_queue(principal) if i.state == ReviewState.REFERRED.value]
    channels = govpub.channels(principal)
    failing = [c for c in channels if c["deliveries"]["failed"] or _failed_last(c)]
    context = {"deadlines": deadlines, "referrals": referrals, "channels": _channel_rows(channels),
               "failing": failing, "acts": office_view.office_acts(principal)}  # fmt: skip
    return render(request, "office/board.html", context)


def _failed_last(channel: dict[str, Any]) -> bool:
    last = channel.get("last_delivery") or {}
    return bool(last.get("error"))


def _channel_rows(channels: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Channels with a webhook or any delivery first (those are the ones that push)."""
    pushing = [c for c in channels if c["webhook"] or any(c["deliveries"].values())]
    return pushing + [c for c in channels if c not in pushing]


# -- referrals -------------------------------------------------------------------------------------
@router.get("/work/office/referrals/{document_id}")
def referral_page(request: Request, principal: PagePrincipal, document_id: DocumentId, saved: int = 0) -> Response:
    """A referred document: who referred it and why; the form for the secrecy administration's answer."""
    view = office_view.referral(govpub_of(request).app, principal, document_id)
    return _referral(request, view, saved=bool(saved))


def _referral(
    request: Request, view: office_view.ReferralView, *, saved: bool = False, values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None, form_error: str = "", status: int = 200,
) -> Response:  # fmt: skip
    context = {"view": view, "saved": saved, "values": values or {"cleared": "", "comment": ""},
               "errors": errors or {}, "form_error": form_error}  # fmt: skip
    return render(request, "office/referral.html", context, status=status)


@router.post("/work/office/referrals/{document_id}")
def resolve_referral(request: Request, principal: PagePrincipal, form: CsrfForm, document_id: DocumentId) -> Response:
    """Record the answer (cleared: the chain continues; not cleared: rejected)."""
    govpub = govpub_of(request)
    values = {"cleared": field(form, "cleared"), "comment": field(form, "comment")}
    if values["cleared"] not in {"yes", "no"}:
        view = office_view.referral(govpub.app, principal, document_id)
        return _referral(request, view, values=values, errors={"cleared": "请选择保密行政管理部门的答复。"}, status=422)
    try:
        govpub.resolve_referral(principal, document_id, cleared=values["cleared"] == "yes", comment=values["comment"])
    except RuleViolation as exc:
        view = office_view.referral(govpub.app, principal, document_id)
        errors, form_error = _field_errors(exc, {"comment": values["comment"]})
        return _referral(request, view, values=values, errors=errors, form_error=form_error, status=409)
    return _redirect(request, f"/work/office/referrals/{document_id}?saved=1")


# -- published documents ---------------------------------------------------------------------------
@router.get("/work/office/documents")
def documents(request: Request, principal: PagePrincipal, q: Annotated[str, Query(max_length=200)] = "") -> Response:
    """Published documents, searchable by title, each with its withdrawal and validity pages."""
    found = office_view.published_documents(govpub_of(request).app, principal, query=q)
    return render(request, "office/documents.html", {"q": q, "found": found})


# -- withdrawal ------------------------------------------------------------------------------------
def _withdraw_form(
    request: Request, principal: Principal, document_id: str, *, reason: str = "", step: str = "form",
    errors: dict[str, str] | None = None, form_error: str = "", left: bool = False, status: int = 200,
) -> Response:  # fmt: skip
    document = office_view.office_document(govpub_of(request).app, principal, document_id, Act.WITHDRAW)
    context = {"document": document, "reason": reason, "step": step, "errors": errors or {},
               "form_error": form_error, "left": left}  # fmt: skip
    return render(request, "office/withdraw.html", context, status=status)


@router.get("/work/office/documents/{document_id}/withdraw")
def withdraw_page(request: Request, principal: PagePrincipal, document_id: DocumentId, left: int = 0) -> Response:
    """The withdrawal form (a withdrawn document: its notice)."""
    return _withdraw_form(request, principal, document_id, left=bool(left))


@router.post("/work/office/documents/{document_id}/withdraw")
def withdraw(request: Request, principal: PagePrincipal, form: CsrfForm, document_id: DocumentId) -> Response:
    """First the confirmation (what will happen, the public reason as it will read); then the act."""
    reason = field(form, "reason")
    try:
        if field(form, "step") != "confirm" or field(form, "back"):
            if not field(form, "back"):
                check_withdrawal_reason(reason)  # the core's rule, before the confirmation shows it
            step = "form" if field(form, "back") else "confirm"
            return _withdraw_form(request, principal, document_id, reason=reason, step=step)
        left = govpub_of(request).withdraw(principal, document_id, reason=reason)
    except (InvalidInput, RuleViolation) as exc:
        errors, form_error = _field_errors(exc, {"reason": reason})
        if not errors:
            raise  # not about the form (never published, already withdrawn): the rule's page
        return _withdraw_form(request, principal, document_id, reason=reason, errors=errors, form_error=form_error,
                              status=422 if isinstance(exc, InvalidInput) else 409)  # fmt: skip
    suffix = "?left=1" if left else ""
    return _redirect(request, f"/work/office/documents/{document_id}/withdraw{suffix}")


# -- validity --------------------------------------------------------------------------------------
def _validity_form(
    request: Request, principal: Principal, document_id: str, *, values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None, form_error: str = "", saved: bool = False, left: bool = False,
    status: int = 200,
) -> Response:  # fmt: skip
    document = office_view.office_document(govpub_of(request).app, principal, document_id, Act.SET_VALIDITY)
    values = values or {"validity": document.validity, "note": "", "amended_by": ""}
    context = {"document": document, "values": values, "errors": errors or {}, "form_error": form_error,
               "saved": saved, "left": left, "choices": list(Validity)}  # fmt: skip
    return render(request, "office/validity.html", context, status=status)


@router.get("/work/office/documents/{document_id}/validity")
def validity_page(
    request: Request, principal: PagePrincipal, document_id: DocumentId, saved: int = 0, left: int = 0
) -> Response:
    """The validity form: 有效 / 失效 / 废止 / 已修改, with a public note and the amending document."""
    return _validity_form(request, principal, document_id, saved=bool(saved), left=bool(left))


@router.post("/work/office/documents/{document_id}/validity")
def set_validity(request: Request, principal: PagePrincipal, form: CsrfForm, document_id: DocumentId) -> Response:
    """Record the validity change."""
    govpub = govpub_of(request)
    values = {name: field(form, name) for name in ("validity", "note", "amended_by")}
    try:
        validity = Validity(values["validity"])
    except ValueError:
        return _validity_form(request, principal, document_id, values=values,
                              errors={"validity": "请选择有效性。"}, status=422)  # fmt: skip
    amended_by = office_view.document_ref(govpub.app, values["amended_by"]) if values["amended_by"].strip() else None
    try:
        left = govpub.set_validity(principal, document_id, validity, note=values["note"], amended_by=amended_by)
    except (InvalidInput, RuleViolation) as exc:
        errors, form_error = _field_errors(exc, {"note": values["note"]})
        if not errors:
            raise  # not about the form (the document is not public): the rule's page
        return _validity_form(request, principal, document_id, values=values, errors=errors, form_error=form_error,
                              status=422 if isinstance(exc, InvalidInput) else 409)  # fmt: skip
    return _redirect(request, f"/work/office/documents/{document_id}/validity?saved=1" + ("&left=1" if left else ""))


# -- channels --------------------------------------------------------------------------------------
@router.get("/work/office/channels")
def channels(request: Request, principal: PagePrincipal) -> Response:
    """Each channel's delivery state, and the last failures of those that push, with their errors."""
    govpub = govpub_of(request)
    rows = _channel_rows(govpub.channels(principal))
    failures: dict[str, list[dict[str, Any]]] = {}
    for channel in rows:
        if any(channel["deliveries"].values()):
            found = govpub.channel_deliveries(principal, channel["name"], limit=100)
            failures[channel["name"]] = [d for d in found if d["last_error"]][:FAILURES_SHOWN]
    context = {"channels": rows, "failures": failures, "labels": DELIVERY_LABELS}
    return render(request, "office/channels.html", context)
