"""Pages of disclosure on application (依申请公开) for the disclosure office: the list (always masked),
the registration form, and a case with the forms of the acts its state allows.

Every page calls ``Govpub.applications`` (``services.applications``), which authorises (the
disclosure office registers, acts and reads in full; admins read masked), applies the state table
and the rules, audits every refusal and records. A page only turns form fields into a use case's
arguments and shows a refusal next to the form it answers, in the rule's words, the values kept.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from disclosure.application_fees import FeeMethod
from disclosure.application_replies import Closing, Reply, ReplyKind, WithholdingGround
from disclosure.errors import Forbidden, InvalidInput, RuleViolation
from services.application_views import ApplicationDetail
from services.applications import ApplicationService
from services.authz import Act, refusal
from services.principal import Principal
from web import application_labels as labels
from web.context import govpub_of
from web.session import CsrfForm, PagePrincipal, field, finish
from web.templating import render

router = APIRouter(tags=["pages"], include_in_schema=False)
ApplicationId = Annotated[int, Path(ge=1, le=2_147_483_647)]
BASE = "/work/office/applications"
REGISTRATION_FIELDS = ("applicant_type", "name", "id_proof", "phone", "email", "address", "description",
                       "doc_number", "form", "delivery", "channel", *labels.RECEIPT_FIELDS)  # fmt: skip
_APPLICANT = {"applicant_type": "type", "name": "name", "id_proof": "id_proof", "phone": "phone", "email": "email",
              "address": "address"}  # fmt: skip
# the service's paths for an act's day, by the use case's parameter name
E = TypeVar("E", bound=StrEnum)
_DAY_PATHS = {"on", "sent_on", "replied_on", "received_on", "answered_on", "paid_on", "notified_on", "approved_on"}


class Party(StrEnum):
    """Who a consultation asks (Art. 32: a third party; Art. 34: a co-producing agency)."""

    THIRD_PARTY = "third_party"
    AGENCY = "agency"


class Answer(StrEnum):
    """How a consultation ended."""

    CONSENT = "consent"
    OBJECTION = "objection"
    SILENT = "silent"


class Fields:
    """One form's text fields; what does not parse is kept as a message at its field."""

    def __init__(self, form: FormData, names: tuple[str, ...]) -> None:
        self.values = {name: field(form, name).strip() for name in names}
        self.errors: dict[str, str] = {}

    def text(self, name: str) -> str:
        return self.values[name]

    def day(self, name: str, *, required: bool = False) -> date | None:
        raw = self.values[name]
        if not raw:
            if required:
                self.errors[name] = "请填写日期。"
            return None
        try:
            return date.fromisoformat(raw)
        except ValueError:
            self.errors[name] = "请填写有效的日期（年-月-日）。"
            return None

    def number(self, name: str) -> int:
        raw = self.values[name]
        if not (raw.isascii() and raw.isdigit()) or len(raw) > 9:  # noqa: PLR2004 - fits an int column
            self.errors[name] = "请填写整数。"
            return 0
        return int(raw)

    def choice(self, name: str, kind: type[E]) -> E:
        try:
            return kind(self.values[name])
        except ValueError:
            self.errors[name] = "请从列表中选择。"
            return next(iter(kind))

    def maybe(self, name: str, kind: type[E]) -> E | None:
        return self.choice(name, kind) if self.values[name] else None


Call = Callable[[ApplicationService, Principal, int, Fields], Callable[[], ApplicationDetail]]


@dataclass(frozen=True, slots=True)
class Step:
    """One act's form: the URL segment (as the API names it), the state-table acts that offer it, its fields."""

    slug: str
    acts: frozenset[str]
    fields: tuple[str, ...]
    call: Call

    @property
    def title(self) -> str:
        return labels.STEP_TITLES[self.slug]


def _accept(s: ApplicationService, who: Principal, case: int, f: Fields) -> Callable[[], ApplicationDetail]:
    on = f.day("on")
    return lambda: s.accept(who, case, on=on)


def _correction_request(s: ApplicationService, who: Principal, case: int, f: Fields) -> Callable[[], ApplicationDetail]:
    by, note, on = f.day("correct_by", required=True) or date.min, f.text("note"), f.day("on")
    return lambda: s.request_correction(who, case, correct_by=by, note=note, sent_on=on)


def _correction(s: ApplicationService, who: Principal, case: int, f: Fields) -> Callable[[], ApplicationDetail]:
    on = f.day("on")
    return lambda: s.record_correction(who, case, received_on=on)


def _consult(s: ApplicationService, who: Principal, case: int, f: Fields) -> Callable[[], ApplicationDetail]:
    party, note, on = f.choice("party", Party), f.text("note"), f.day("on")
    return lambda: s.consult(who, case, agency=party is Party.AGENCY, note=note, sent_on=on)


def _answer(s: ApplicationService, who: Principal, case: int, f: Fields) -> Callable[[], ApplicationDetail]:
    answer, note, on = f.choice("answer", Answer), f.text("note"), f.day("on")
    return lambda: s.consultation_answered(who, case, answer=answer.value, note=note, answered_on=on)


def _extension(s: ApplicationService, who: Principal, case: int, f: Fields) -> Callable[[], ApplicationDetail]:
    days, note, on = f.number("days"), f.text("note"), f.day("on")
    return lambda: s.request_extension(who, case, days=days, note=note, on=on)


def _approval(s: ApplicationService, who: Principal, case: int, f: Fields) -> Callable[[], ApplicationDetail]:
    told, on = f.day("notice_sent_on", required=True) or date.min, f.day("on")
    return lambda: s.approve_extension(who, case, notice_sent_on=told, approved_on=on)


def _fee(s: ApplicationService, who: Principal, case: int, f: Fields) -> Callable[[], ApplicationDetail]:
    method, count, note, on = f.choice("method", FeeMethod), f.number("count"), f.text("note"), f.day("on")
    return lambda: s.notify_fee(who, case, method=method, count=count, note=note, notified_on=on)


def _payment(s: ApplicationService, who: Principal, case: int, f: Fields) -> Callable[[], ApplicationDetail]:
    on = f.day("on")
    return lambda: s.record_payment(who, case, paid_on=on)


def _closing(s: ApplicationService, who: Principal, case: int, f: Fields) -> Callable[[], ApplicationDetail]:
    reason, on = f.choice("reason", Closing), f.day("on")
    return lambda: s.close(who, case, closing=reason, on=on)


def _reply(s: ApplicationService, who: Principal, case: int, f: Fields) -> Callable[[], ApplicationDetail]:
    kind, ground = f.choice("kind", ReplyKind), f.maybe("ground", WithholdingGround)
    reply = Reply(kind, ground=ground, where=f.text("where"), agency=f.text("agency"),
                  published_item=f.text("published_item") or None, note=f.text("note"))  # fmt: skip
    on = f.day("on")
    return lambda: s.reply(who, case, reply, replied_on=on)


def _deliver(s: ApplicationService, who: Principal, case: int, f: Fields) -> Callable[[], ApplicationDetail]:
    on = f.day("on")
    return lambda: s.deliver(who, case, on=on)


def _archive(s: ApplicationService, who: Principal, case: int, f: Fields) -> Callable[[], ApplicationDetail]:
    on = f.day("on")
    return lambda: s.archive(who, case, on=on)


def _step(slug: str, acts: set[str], fields: tuple[str, ...], call: Call) -> Step:
    return Step(slug, frozenset(acts), (*fields, "on"), call)


# in the order a case goes through them; "acts" are disclosure.applications.ApplicationAct values
STEPS: dict[str, Step] = {s.slug: s for s in (
    _step("acceptance", {"accept"}, (), _accept),
    _step("correction-request", {"request_correction"}, ("correct_by", "note"), _correction_request),
    _step("correction", {"receive_correction"}, (), _correction),
    _step("consultation", {"consult"}, ("party", "note"), _consult),
    _step("consultation-answer", {"consultation_answered"}, ("answer", "note"), _answer),
    _step("extension", {"extend"}, ("days", "note"), _extension),
    _step("extension-approval", {"extend"}, ("notice_sent_on",), _approval),
    _step("fee-notice", {"notify_fee"}, ("method", "count", "note"), _fee),
    _step("payment", {"record_payment"}, (), _payment),
    _step("reply", {"reply"}, ("kind", "ground", "where", "agency", "published_item", "note"), _reply),
    _step("closing", {"close_uncorrected", "close_unpaid"}, ("reason",), _closing),
    _step("delivery", {"deliver"}, (), _deliver),
    _step("archive", {"archive"}, (), _archive),
)}  # fmt: skip


def _redirect(request: Request, target: str) -> Response:
    return finish(request, RedirectResponse(target, status_code=303))


def _placed(exc: InvalidInput, names: tuple[str, ...], aliases: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """Violations at the form's fields (by the service's JSON paths); the rest for the whole form."""
    at: dict[str, str] = {}
    rest: list[str] = []
    for violation in exc.violations:
        key = violation.path.removeprefix("$.")
        name = aliases.get(violation.path) or ("on" if key in _DAY_PATHS else key)
        if name in names:
            at[name] = f"{at[name]}；{violation.message}" if name in at else violation.message
        else:
            rest.append(str(violation))
    return at, rest


def _status(exc: Exception) -> int:
    return 422 if isinstance(exc, InvalidInput) else 409


# -- the list ------------------------------------------------------------------------------------
@router.get(BASE)
def application_list(
    request: Request, principal: PagePrincipal, state: Annotated[str, Query(max_length=30)] = ""
) -> Response:
    """Applications newest first, the applicants masked for everyone; filtered by state."""
    chosen = state if state in labels.STATES else ""
    found = govpub_of(request).applications.list_masked(principal, state=chosen or None)
    context = {"rows": [labels.row(s) for s in found], "state": chosen, "unknown_state": bool(state and not chosen),
               "handles": refusal(principal, Act.HANDLE_APPLICATIONS) is None, "labels": labels}  # fmt: skip
    return render(request, "applications/list.html", context)


# -- registration --------------------------------------------------------------------------------
def _registration(
    request: Request, *, values: dict[str, str], errors: dict[str, str] | None = None,
    form_errors: list[str] | None = None, status: int = 200,
) -> Response:  # fmt: skip
    context = {"values": values, "errors": errors or {}, "form_errors": form_errors or [], "failed": "",
               "labels": labels}  # fmt: skip
    return render(request, "applications/new.html", context, status=status)


@router.get(f"{BASE}/new")
def registration_form(request: Request, principal: PagePrincipal) -> Response:
    """An empty registration form (only the disclosure office registers; refusal audited)."""
    govpub_of(request).app.authz.require(principal, Act.HANDLE_APPLICATIONS)
    return _registration(request, values=dict.fromkeys(REGISTRATION_FIELDS, "") | {"channel": "in_person"})


def application_json(values: dict[str, str]) -> bytes:
    """The registration form as the JSON of schemas/application.schema.json (optional fields left out when blank)."""
    applicant = {key: values[name] for name, key in _APPLICANT.items() if values[name] or key == "name"}
    received = {name: values[name] for name in labels.RECEIPT_FIELDS if values[name]}
    data: dict[str, Any] = {"applicant": applicant, "description": values["description"], "received": received}
    data |= {name: values[name] for name in ("doc_number", "form", "delivery", "channel") if values[name]}
    return json.dumps(data, ensure_ascii=False).encode()


@router.post(BASE)
def register(request: Request, principal: PagePrincipal, form: CsrfForm) -> Response:
    """Register the application: to its case page, or back to the form with the violations at their fields."""
    values = {name: field(form, name).strip() for name in REGISTRATION_FIELDS}
    try:
        case = govpub_of(request).applications.register(principal, application_json(values))
    except InvalidInput as exc:
        aliases = {f"$.applicant.{key}": name for name, key in _APPLICANT.items()}
        aliases |= {f"$.received.{name}": name for name in labels.RECEIPT_FIELDS} | {"$.received": "received"}
        errors, rest = _placed(exc, (*REGISTRATION_FIELDS, "received"), aliases)
        return _registration(request, values=values, errors=errors, form_errors=rest, status=422)
    return _redirect(request, f"{BASE}/{case.id}?done=register")


# -- a case ----------------------------------------------------------------------------------------
@router.get(f"{BASE}/{{application_id}}")
def case_page(request: Request, principal: PagePrincipal, application_id: ApplicationId, done: str = "") -> Response:
    """The case: the applicant (in full for the disclosure office), events, the due date and its
    computation, and the forms of the acts its state allows."""
    case = govpub_of(request).applications.show(principal, application_id)
    return _case(request, principal, case, done=done if done in labels.DONE else "")


def _case(
    request: Request, principal: Principal, case: ApplicationDetail, *, done: str = "", failed: str = "",
    values: dict[str, str] | None = None, errors: dict[str, str] | None = None,
    form_errors: list[str] | None = None, status: int = 200,
) -> Response:  # fmt: skip
    handles = refusal(principal, Act.HANDLE_APPLICATIONS) is None
    pending = labels.pending_extension(case)
    steps = [s for s in STEPS.values() if s.acts & set(case.allowed_acts)] if handles else []
    if pending is None:
        steps = [s for s in steps if s.slug != "extension-approval"]
    context = {"case": case, "steps": steps, "shown": {s.slug for s in steps}, "pending": pending,
               "handles": handles, "done": done, "failed": failed, "values": values or {}, "errors": errors or {},
               "form_errors": form_errors or [], "labels": labels, "events": labels.event_rows(case),
               "due": labels.due_view(case), "closings": labels.closings(case.allowed_acts)}  # fmt: skip
    return render(request, "applications/case.html", context, status=status)


@router.post(f"{BASE}/{{application_id}}/{{slug}}")
def act(
    request: Request, principal: PagePrincipal, form: CsrfForm, application_id: ApplicationId,
    slug: Annotated[str, Path(max_length=40)],
) -> Response:  # fmt: skip
    """Record one act through its use case; a refusal comes back next to its form, the values kept."""
    step = STEPS.get(slug)
    service = govpub_of(request).applications
    if step is None:
        return _case(request, principal, service.show(principal, application_id), status=404,
                     form_errors=[f"没有这一操作：{slug[:40]}"], failed="unknown")  # fmt: skip
    fields = Fields(form, step.fields)
    call = step.call(service, principal, application_id, fields)
    if fields.errors:
        return _case(request, principal, service.show(principal, application_id), failed=slug,
                     values=fields.values, errors=fields.errors, status=422)  # fmt: skip
    try:
        call()
    except Forbidden:
        raise  # not one of the office's: the forbidden page (audited by the service)
    except (InvalidInput, RuleViolation) as exc:  # audited by the service when a rule refused
        errors, rest = _placed(exc, step.fields, {}) if isinstance(exc, InvalidInput) else ({}, [str(exc)])
        return _case(request, principal, service.show(principal, application_id), failed=slug,
                     values=fields.values, errors=errors, form_errors=rest, status=_status(exc))  # fmt: skip
    return _redirect(request, f"{BASE}/{application_id}?done={slug}")
