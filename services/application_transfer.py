"""依申请公开转主动公开 (Regulation Art. 44): information disclosed to several applicants, or that an
applicant validly suggested, is sent into the proactive path as a new version of its document.

Nothing is published here. The new version (attribute 主动公开) is the current version's submission
and attachments, resubmitted through intake's revise path; it still names its drafter, and the audit
record of the revision names the disclosure officer who made the transfer as its actor (the drafter
beside). It is announced as ``govpub.document.submitted``, so screening and the whole review chain
run as for any proactive document. Each application cited gets a ``transferred`` event (not an
act of the state table: its state stays as it was) and the transfer is audited as
``application.transferred_to_proactive``; a refusal by a rule is audited as ``access.refused``.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Engine
from sqlmodel import Session, select

from disclosure.application_replies import ReplyKind
from disclosure.attributes import DisclosureAttribute, Role
from disclosure.docnumber import DocumentNumberError, normalise_document_number
from disclosure.errors import InvalidInput, RuleViolation, Violation
from disclosure.states import DocumentState
from services.application_checks import get_case, subject
from services.authz import Act, Authorizer
from services.drafting import document_payload, encode, values_of
from services.intake import Intake
from services.principal import Principal
from services.review_service import EventSink
from storage.db import read_scope, session_scope
from storage.models import Document, DocumentVersion, User
from storage.models_applications import Application
from storage.objectstore import ObjectStore
from storage.repository.agencies import user_roles
from storage.repository.applications import append_application_event
from storage.repository.audit import append_event
from storage.repository.documents import get_document, list_attachments

ACTION = "application.transferred_to_proactive"
TRANSFERRED = "transferred"  # the application event: recorded beside the state table, never a transition
NOTE_MAX = 2000
_DISCLOSING = frozenset({ReplyKind.DISCLOSED.value, ReplyKind.PARTLY_DISCLOSED.value})
_ARTICLE = "依申请公开转主动公开（《中华人民共和国政府信息公开条例》第四十四条）"


class TransferReason(StrEnum):
    """Why information disclosed on application becomes proactive (Art. 44)."""

    SEVERAL_APPLICANTS = "several_applicants"  # 多个申请人就相同政府信息申请公开, disclosed to them
    SUGGESTION = "suggestion"  # 申请人建议纳入主动公开范围, the suggestion found valid


_WHY = {
    TransferReason.SEVERAL_APPLICANTS: "多个申请人就相同政府信息申请公开，已依申请予以公开",
    TransferReason.SUGGESTION: "申请人建议将该信息纳入主动公开范围，经审核理由合理",
}


class Transferred(BaseModel):
    """The new version sent to review as 主动公开, and the applications that showed the need."""

    document_id: str
    version: int
    state: str
    attribute: str
    reason: TransferReason
    applications: list[int]


@dataclass(frozen=True, slots=True)
class _Cited:
    """An application cited for the transfer, as far as the rule needs it (never personal data out)."""

    id: int
    receipt_number: str
    disclosed: bool  # its reply disclosed the document, fully or partly
    names: bool  # its reply or the 文号 it asked for names the document
    applicant: tuple[str, ...]  # who applied, to count applicants (an application id when it cannot tell)


@dataclass(frozen=True, slots=True)
class _Plan:
    """What the checks found: the revision's submission, its attachments, the applications cited."""

    raw: bytes
    attachments: list[tuple[str, str]]  # (file name, private object key)
    cited: list[_Cited]


def transfer_input(
    reason: TransferReason | str, applications: Sequence[int], note: str
) -> tuple[TransferReason, list[int]]:
    """The reason, the distinct applications in the order given, and the note a suggestion needs."""
    problems: list[Violation] = []
    why: TransferReason | None = None
    try:
        why = TransferReason(reason)
    except ValueError:
        problems.append(Violation("$.reason", f"{reason!r} is not one of {', '.join(TransferReason)}"))
    ids = list(dict.fromkeys(applications))
    if not ids:
        problems.append(Violation("$.applications", "name the applications that show the need (Art. 44)"))
    if why is TransferReason.SUGGESTION and not note.strip():
        problems.append(Violation("$.note", "a suggestion: say what the applicant suggested and why it is valid"))
    if len(note) > NOTE_MAX:
        problems.append(Violation("$.note", f"at most {NOTE_MAX} characters"))
    if problems or why is None:
        raise InvalidInput(problems)
    return why, ids


def check_transferable(document: Document) -> None:
    """Only information approved as 依申请公开 moves to the proactive path."""
    attribute = DisclosureAttribute(document.attribute)
    if attribute is DisclosureAttribute.WITHHELD:
        raise RuleViolation(f"document {document.id} is 不予公开 (withheld): only information disclosed on "
                            "application (依申请公开) can be transferred to proactive disclosure "
                            "(Art. 44)")  # fmt: skip
    if attribute is DisclosureAttribute.PROACTIVE:
        raise RuleViolation(f"document {document.id} is already 主动公开: nothing to transfer")
    if DocumentState(document.state) is not DocumentState.APPROVED:
        raise RuleViolation(f"document {document.id} is {document.state}: its review settles the attribute; "
                            "transfer it once approved as 依申请公开")  # fmt: skip


def check_evidence(reason: TransferReason, document_id: str, cited: Sequence[_Cited]) -> None:
    """Art. 44: replies to several applicants disclosed it, or an application about it carries the suggestion."""
    if reason is TransferReason.SUGGESTION:
        wrong = [c for c in cited if not c.names]
        if wrong:
            raise RuleViolation(f"{_list(wrong)} did not ask for document {document_id} (its 文号) nor did "
                                "the reply name it: the suggestion comes from an applicant for this "
                                "information")  # fmt: skip
        return
    wrong = [c for c in cited if not c.disclosed]
    if wrong:
        raise RuleViolation(f"the reply to {_list(wrong)} did not disclose document {document_id}")
    applicants = len({c.applicant for c in cited})
    if applicants < 2:  # noqa: PLR2004 - "several" applicants
        raise RuleViolation(f"several applicants (Art. 44): replies to at least 2 applications by different "
                            f"applicants must have disclosed document {document_id}; {_list(cited)} "
                            f"{'is' if len(cited) == 1 else 'are'} from 1 applicant")  # fmt: skip


def _list(cited: Sequence[_Cited]) -> str:
    return ("application " if len(cited) == 1 else "applications ") + ", ".join(
        f"{c.id} ({c.receipt_number})" for c in cited
    )


def _cite(application: Application, document: Document) -> _Cited:
    reply = application.reply or {}
    replied = reply.get("published_item") == document.id
    asked = bool(document.doc_number) and _doc_number(application.doc_number) == document.doc_number
    proof = application.applicant_id_proof.strip()
    applicant = ((application.applicant_type, application.applicant_name.strip(), proof) if proof
                 else ("application", str(application.id)))  # fmt: skip
    return _Cited(application.id or 0, application.receipt_number, replied and reply.get("kind") in _DISCLOSING,
                  replied or asked, applicant)  # fmt: skip


def drafter_of(session: Session, document: Document) -> str:
    """The document's drafter, under whom a version made from it is filed: still an active drafter."""
    drafter = session.get(User, document.drafter_id)
    if drafter is None or not drafter.active or (Role.DRAFTER, "") not in user_roles(session=session, user=drafter):
        raise RuleViolation(f"a version made from {document.id} is filed under its drafter, who is no longer an "
                            "active drafter")  # fmt: skip
    return drafter.username


def _doc_number(text: str) -> str | None:
    try:
        return normalise_document_number(text) if text.strip() else None
    except DocumentNumberError:
        return None


class ApplicationTransfer:
    """The Art. 44 use case: checks, the drafter's revision as 主动公开, the events and the audit record."""

    def __init__(
        self, engine: Engine, *, authz: Authorizer, events: EventSink, intake: Intake, store: ObjectStore,
        private_bucket: str, today: Callable[[], date],
    ) -> None:  # fmt: skip
        self._engine, self._authz, self._events, self._intake = engine, authz, events, intake
        self._store, self._bucket, self._today = store, private_bucket, today

    def __call__(
        self, principal: Principal, document_id: str, *, reason: TransferReason | str, applications: Sequence[int],
        note: str = "",
    ) -> Transferred:  # fmt: skip
        """Send the document into review as 主动公开; refused (and audited) unless Art. 44 is met."""
        self._authz.require(principal, Act.HANDLE_APPLICATIONS, subject=document_id)
        why, ids = transfer_input(reason, applications, note)
        with self._authz.auditing(principal, ACTION, subject=document_id):
            plan = self._plan(document_id, why, ids)
            version = self._revise(principal, document_id, plan)
            self._record(principal, document_id, version=version, reason=why, plan=plan, note=note)
        # announced once committed: the review-document deployment starts on .submitted, as for any submission
        self._events.emit("govpub.document.submitted", document_id=document_id, version=version, payload={})
        for cited in plan.cited:
            self._events.emit(f"govpub.application.{TRANSFERRED}", document_id=subject(cited.id), version=0,
                              payload={"application_id": cited.id, "document_id": document_id,
                                       "version": version})  # fmt: skip
        return Transferred(document_id=document_id, version=version, state=DocumentState.SUBMITTED.value,
                           attribute=DisclosureAttribute.PROACTIVE.value, reason=why,
                           applications=[c.id for c in plan.cited])  # fmt: skip

    def _plan(self, document_id: str, reason: TransferReason, ids: list[int]) -> _Plan:
        """Every check, reading only: the document, the applications, the rule, the drafter."""
        with read_scope(self._engine) as session:
            document = get_document(session=session, document_id=document_id)
            cited = [_cite(get_case(session, i), document) for i in ids]
            check_transferable(document)
            check_evidence(reason, document_id, cited)
            username = drafter_of(session, document)
            current = (DocumentVersion.document_id == document_id, DocumentVersion.number == document.current_version)
            version = session.exec(select(DocumentVersion).where(*current)).one()
            rows = list_attachments(session=session, version_id=version.id or 0)
            submission: dict[str, Any] = dict(version.submission)
        numbers = [c.receipt_number for c in cited]
        shown = "、".join(numbers[:20]) + (f" 等 {len(numbers)} 件" if len(numbers) > 20 else "")  # noqa: PLR2004
        values = {**values_of(submission), "attribute": DisclosureAttribute.PROACTIVE.value, "ground": "",
                  "release_at": "", "law_name": "", "reassess_on": "",
                  "reason": f"{_ARTICLE}：{_WHY[reason]}（申请 {shown}）", "change_note": f"{_ARTICLE}"}  # fmt: skip
        specs = [{"file_name": r.file_name, "media_type": r.media_type, "size": r.size, "sha256": r.sha256}
                 for r in rows]  # fmt: skip
        raw = encode(document_payload(values, specs, drafter=username))
        return _Plan(raw, [(r.file_name, r.object_key) for r in rows], cited)

    def _revise(self, principal: Principal, document_id: str, plan: _Plan) -> int:
        """Intake's revision with the current version's attachments, copied out of the private store
        (intake checks and stores them again, once per content); the new version's number."""
        with tempfile.TemporaryDirectory(prefix="govpub-transfer-") as directory:  # mode 0700
            files = []
            for name, key in plan.attachments:
                path = Path(directory) / name
                path.write_bytes(self._store.get(self._bucket, key))
                files.append(path)
            result = self._intake.submit(plan.raw, files=files, revise=document_id, today=self._today(),
                                         recorded_by=principal.username)  # fmt: skip
        if not result.created:
            raise RuleViolation(f"document {document_id} was transferred meanwhile (version {result.version})")
        return result.version

    def _record(
        self, principal: Principal, document_id: str, *, version: int, reason: TransferReason, plan: _Plan, note: str
    ) -> None:
        """One transaction: a ``transferred`` event on each application cited, and the audit record."""
        day = self._today()
        with session_scope(self._engine) as session:
            for cited in plan.cited:
                row = get_case(session, cited.id, for_update=True)
                append_application_event(session=session, application=row, act=TRANSFERRED, dated=day,
                                         actor=principal.username, note=note,
                                         details={"document_id": document_id, "version": version,
                                                  "reason": reason.value})  # fmt: skip
            append_event(session=session, actor=principal.username, action=ACTION, entity_type="document",
                         entity_id=document_id,
                         after={"version": version, "attribute": DisclosureAttribute.PROACTIVE.value,
                                "reason": reason.value, "applications": [c.id for c in plan.cited],
                                "receipt_numbers": [c.receipt_number for c in plan.cited],
                                "on": day.isoformat()})  # fmt: skip
