"""Partial disclosure (Regulation Art. 37): a redacted copy, reviewed like any release.

The disclosure office makes the copy of a reviewed document for one open application: the
document's submission with the withheld parts taken out of its body (the office gives the redacted
body), no attachments, attribute 依申请公开 with the withholding ground as its legal basis, filed
under the document's drafter and recorded by the officer. It is a new document, submitted into
the normal review path (screened, every level of its chain): it is never public (依申请公开), and
a ``partly_disclosed`` reply may name it only once its review approved it
(``ApplicationService.reply``). The application gets a ``redacted_copy`` event (beside the state
table) and the act is audited as ``application.redacted_copy``; a refusal by a rule as
``access.refused``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Engine

from disclosure.application_replies import WithholdingGround
from disclosure.applications import ApplicationState
from disclosure.attributes import DisclosureAttribute, LegalGround
from disclosure.errors import InvalidInput, RuleViolation, Violation
from services.application_checks import REVIEWED, get_case, subject
from services.application_transfer import drafter_of
from services.authz import Act, Authorizer
from services.drafting import document_payload, encode, values_of
from services.intake import Intake, IntakeResult
from services.principal import Principal
from services.public_records import version_row
from services.review_service import EventSink
from storage.db import read_scope, session_scope
from storage.repository.applications import append_application_event
from storage.repository.audit import append_event
from storage.repository.documents import get_document

ACTION = "application.redacted_copy"
EVENT = "redacted_copy"  # the application event: recorded beside the state table, never a transition
ARTICLES = {
    WithholdingGround.STATE_SECRET: LegalGround.ART_14, WithholdingGround.THREE_SAFETIES: LegalGround.ART_14,
    WithholdingGround.THIRD_PARTY: LegalGround.ART_15, WithholdingGround.INTERNAL_AFFAIRS: LegalGround.ART_16_1,
    WithholdingGround.PROCESS_INFO: LegalGround.ART_16_2, WithholdingGround.ENFORCEMENT_FILE: LegalGround.ART_16_2,
    WithholdingGround.OTHER_LAW: LegalGround.LAW,
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class RedactedCopy:
    """The copy submitted for review: its document and version."""

    document_id: str
    version: int
    source: str


class RedactedCopies:
    """Making the redacted copy of Art. 37 for an application."""

    def __init__(
        self, engine: Engine, *, authz: Authorizer, events: EventSink, intake: Intake, today: Callable[[], date]
    ) -> None:
        self._engine, self._authz, self._events, self._intake, self._today = engine, authz, events, intake, today

    def __call__(
        self, principal: Principal, application_id: int, *, source: str, body: str, ground: WithholdingGround,
        law_name: str = "", body_format: str = "text",
    ) -> RedactedCopy:  # fmt: skip
        """Submit the redacted copy of ``source`` for review; refused (and audited) unless it can be one."""
        self._authz.require(principal, Act.HANDLE_APPLICATIONS, subject=subject(application_id))
        with self._authz.auditing(principal, ACTION, subject=subject(application_id)):
            raw, number = self._plan(application_id, source=source, body=body, ground=ground, law_name=law_name,
                                     body_format=body_format)  # fmt: skip
            result = self._submit(raw, principal)
            self._record(principal, application_id, source, result.document_id, result.version)
        self._events.emit("govpub.document.submitted", document_id=result.document_id, version=result.version,
                          payload={"redacted_copy_of": source, "application": number})  # fmt: skip
        return RedactedCopy(result.document_id, result.version, source)

    def _submit(self, raw: bytes, principal: Principal) -> IntakeResult:
        result = self._intake.submit(raw, today=self._today(), recorded_by=principal.username)
        if not result.created:
            raise RuleViolation(f"this redacted copy was already submitted as {result.document_id}")
        return result

    def _plan(
        self, application_id: int, *, source: str, body: str, ground: WithholdingGround, law_name: str,
        body_format: str,
    ) -> tuple[bytes, str]:  # fmt: skip
        """Every check, reading only; the copy's submission and the application's receipt number."""
        article = ARTICLES.get(ground)
        if article is None:
            raise InvalidInput([Violation("$.ground", f"{ground} is not a ground for withholding part of a document")])
        if article is LegalGround.LAW and not law_name.strip():
            raise InvalidInput([Violation("$.law_name", "name the law the withheld parts fall under")])
        with read_scope(self._engine) as session:
            case = get_case(session, application_id)
            if ApplicationState(case.state) is not ApplicationState.IN_PROCESS:
                raise RuleViolation(f"application {application_id} is {case.state}: a redacted copy is made while "
                                    "it is in process")  # fmt: skip
            document = get_document(session=session, document_id=source)
            if document.state not in REVIEWED:
                raise RuleViolation(f"{source} is {document.state}: a copy is made of a document its review approved")
            version = version_row(session, source, document.current_version)
            drafter = drafter_of(session, document)
        if not body.strip() or body.strip() == str(version.submission.get("body", "")).strip():
            raise InvalidInput([Violation("$.body", "give the body with the withheld parts taken out")])
        values = {**values_of(version.submission), "title": f"{version.submission['title']}（依申请部分公开）",
                  "attribute": DisclosureAttribute.ON_APPLICATION.value, "ground": article.value,
                  "law_name": law_name.strip(), "reassess_on": "", "release_at": "", "change_note": "",
                  "reason": f"《条例》第三十七条：对申请 {case.receipt_number} 部分公开，不予公开部分已删除",
                  "body": body, "body_format": body_format, "interpretation_required": ""}  # fmt: skip
        return encode(document_payload(values, [], drafter=drafter)), case.receipt_number

    def _record(self, principal: Principal, application_id: int, source: str, copy: str, version: int) -> None:
        with session_scope(self._engine) as session:
            case = get_case(session, application_id, for_update=True)
            append_application_event(session=session, application=case, act=EVENT, dated=self._today(),
                                     actor=principal.username, details={"source": source, "copy": copy})  # fmt: skip
            append_event(session=session, actor=principal.username, action=ACTION, entity_type="application",
                         entity_id=subject(application_id),
                         after={"source": source, "copy": copy, "version": version})  # fmt: skip
