"""Intake: validate a submission, store its objects privately, record rows and the audit event.

Nothing is written until every check has passed: bad input leaves the database and buckets as
they were. Attachments are content-addressed (``attachments/sha256/<hash>``) and stored once.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from disclosure.attributes import Role
from disclosure.errors import InvalidInput, NotFound, RuleViolation, Violation
from disclosure.states import REVISABLE, DocumentState, check_transition
from disclosure.submission import AttachmentSpec, PolicyFacts, Submission, build_interpretation, build_submission
from schemas import DOCUMENT_SUBMISSION, INTERPRETATION, load_json, validate
from services.extract import DEFAULT_LIMITS, ExtractionLimits
from services.extract.claims import check_claim
from storage.db import read_scope, session_scope
from storage.models import Attachment, Document, DocumentVersion, User, utcnow
from storage.objectstore import ObjectStore
from storage.repository.agencies import get_user, user_roles
from storage.repository.audit import append_event
from storage.repository.documents import add_version, find_same_content, get_document

logger = logging.getLogger(__name__)
_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class IntakeResult:
    """What intake did: the document, its version, and whether anything new was recorded."""

    document_id: str
    version: int
    created: bool


def attachment_key(sha256: str) -> str:
    """Private key of an attachment's bytes (content-addressed)."""
    return f"attachments/sha256/{sha256}"


def draft_prefix(document_id: str, version: int, content_sha256: str) -> str:
    """Private key prefix of one version's draft objects: written before the row that names them, so
    the content hash keeps two attempts at one version (concurrent revisions) apart."""
    return f"drafts/{document_id}/{version}/{content_sha256[:16]}/"


def file_sha256(path: Path) -> tuple[str, int]:
    """The sha256 hex digest and size of a file, read in chunks."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def parse_payload(raw: bytes, *, actor: str | None) -> dict[str, Any]:
    """Strict JSON, the drafter check and the schema: a document, or (with ``document_id``) an interpretation."""
    data = load_json(raw)
    if isinstance(data, dict) and actor is not None:
        drafter = data.setdefault("drafter", actor)
        if drafter != actor:
            raise InvalidInput([Violation("$.drafter", f"names {drafter!r} but the command runs as {actor!r}")])
    validate(INTERPRETATION if is_interpretation(data) else DOCUMENT_SUBMISSION, data)
    checked: dict[str, Any] = data
    return checked


def is_interpretation(data: object) -> bool:
    """An interpretation names the policy it explains in ``document_id``."""
    return isinstance(data, dict) and "document_id" in data


def parse_submission(raw: bytes, *, actor: str | None, today: date) -> Submission:
    """Schema and rule checks of a document submission's bytes; raise InvalidInput with every violation."""
    return build_submission(parse_payload(raw, actor=actor), today=today)


def _check_policy(session: Session, data: dict[str, Any]) -> tuple[Document, PolicyFacts]:
    """The policy an interpretation explains: it must exist, be a document, and still be alive."""
    try:
        policy = get_document(session=session, document_id=data["document_id"])
    except NotFound:
        raise InvalidInput([Violation("$.document_id", f"no document with id {data['document_id']!r}")]) from None
    if policy.item_type != "document":
        raise InvalidInput([Violation("$.document_id", "names an interpretation, not a policy document")])
    if DocumentState(policy.state) in {DocumentState.REJECTED, DocumentState.WITHDRAWN}:
        raise InvalidInput([Violation("$.document_id", f"the policy is {policy.state}: nothing to interpret")])
    version = session.exec(select(DocumentVersion).where(
        DocumentVersion.document_id == policy.id, DocumentVersion.number == policy.current_version)).one()  # fmt: skip
    return policy, PolicyFacts(policy.id, policy.category, version.submission["issuing_agency"])


def match_attachments(
    specs: Sequence[AttachmentSpec],
    files: Sequence[Path],
    *,
    beside: Path | None = None,
    limits: ExtractionLimits = DEFAULT_LIMITS,
) -> list[tuple[AttachmentSpec, Path]]:
    """Pair each declared attachment with its file, checking size, sha256 and that its content is
    the format its name and media type claim, within the screening bounds.

    Files come from --attach; a declared attachment not given there is looked up by name in
    ``beside`` (the directory of the submission file).
    """
    violations: list[Violation] = []
    by_name: dict[str, Path] = {}
    for given in files:
        if given.name in by_name:
            violations.append(Violation(f"--attach {given}", "another file has the same name"))
        by_name[given.name] = given
    names = [spec.file_name for spec in specs]
    pairs: list[tuple[AttachmentSpec, Path]] = []
    for index, spec in enumerate(specs):
        where = f"$.attachments[{index}]"
        if names.count(spec.file_name) > 1:
            violations.append(Violation(f"{where}.file_name", "is used by two attachments"))
        path = by_name.get(spec.file_name)
        if path is None and beside is not None and (beside / spec.file_name).is_file():
            path = beside / spec.file_name
        found = _check_file(where, spec, path, limits)
        violations.extend(found)
        if path is not None and not found:
            pairs.append((spec, path))
    violations.extend(
        Violation(f"--attach {path}", "is not declared in $.attachments")
        for name, path in by_name.items()
        if name not in names
    )
    if violations:
        raise InvalidInput(violations)
    return pairs


def _check_file(where: str, spec: AttachmentSpec, path: Path | None, limits: ExtractionLimits) -> list[Violation]:
    """What is wrong between a declared attachment and its file (nothing: an empty list)."""
    if path is None:
        return [Violation(where, f"no --attach file named {spec.file_name!r} was given")]
    if not path.is_file():
        return [Violation(f"--attach {path}", "is not a readable file")]
    digest, size = file_sha256(path)
    problems = []
    if size != spec.size:
        problems.append(Violation(f"{where}.size", f"is {spec.size} but the file has {size} bytes"))
    if digest != spec.sha256:
        problems.append(Violation(f"{where}.sha256", f"does not match the file's content (its sha256 is {digest})"))
    if not problems and (wrong := check_claim(path, spec.file_name, spec.media_type, limits)):
        problems.append(Violation(where, f"{spec.file_name}: {wrong}"))
    return problems


def _check_drafter(session: Session, submission: Submission) -> User:
    try:
        user = get_user(session=session, username=submission.drafter)
    except NotFound:
        raise InvalidInput([Violation("$.drafter", f"no user named {submission.drafter!r}")]) from None
    if not user.active or (Role.DRAFTER, "") not in user_roles(session=session, user=user):
        raise InvalidInput([Violation("$.drafter", f"{user.username!r} is not a drafter")])
    return user


def _check_revision(session: Session, revise: str, drafter: User, submission: Submission) -> Document:
    try:
        document = get_document(session=session, document_id=revise)
    except NotFound:
        raise InvalidInput([Violation("--revise", f"no document with id {revise!r}")]) from None
    if document.drafter_id != drafter.id:
        raise InvalidInput([Violation("--revise", "only the document's drafter may revise it")])
    if DocumentState(document.state) not in REVISABLE:
        raise InvalidInput([Violation("--revise", f"a {document.state} document cannot be revised")])
    if document.interprets_id != submission.interprets:
        what = "an interpretation of that policy" if document.interprets_id else "a document, not an interpretation"
        raise InvalidInput([Violation("--revise", f"the document revised is {what}")])
    if DocumentState(document.state) is DocumentState.PUBLISHED and not submission.change_note:
        raise InvalidInput([Violation("$.change_note", "is required to correct a published document (更正说明)")])
    return document


class Intake:
    """Submits documents: checks first, then object storage and database together."""

    def __init__(
        self, *, engine: Engine, store: ObjectStore, private_bucket: str, limits: ExtractionLimits = DEFAULT_LIMITS
    ) -> None:
        self._engine = engine
        self._limits = limits
        self._store = store
        self._bucket = private_bucket

    def submit(
        self,
        raw: bytes,
        *,
        files: Sequence[Path] = (),
        actor: str | None = None,
        revise: str | None = None,
        beside: Path | None = None,
        today: date,
        now: datetime | None = None,
        recorded_by: str | None = None,
    ) -> IntakeResult:
        """Submit a new document or interpretation (or, with ``revise``, a new version of one); a
        release time must be ahead of ``now`` (default: the clock). ``recorded_by``: the person who
        made this version when it is not the drafter it names (the disclosure office's Art. 44
        transfer): the audit record names them as its actor, and the drafter beside."""
        data = parse_payload(raw, actor=actor)
        with read_scope(self._engine) as session:  # read-only checks, before any write
            if is_interpretation(data):
                policy, facts = _check_policy(session, data)
                submission = build_interpretation(data, facts, today=today)
            else:
                policy, submission = None, build_submission(data, today=today, now=now or utcnow())
            pairs = match_attachments(submission.attachments, files, beside=beside, limits=self._limits)
            drafter = _check_drafter(session, submission)
            if policy is not None and policy.agency_id != drafter.agency_id:
                raise InvalidInput([Violation("$.drafter", "谁起草、谁解读: the interpretation comes from the "
                                              "policy's own agency")])  # fmt: skip
            if revise is not None:
                _check_revision(session, revise, drafter, submission)
        for spec, path in pairs:
            self._store_attachment(spec, path)
        return self._record(submission, drafter.username, revise, recorded_by)

    def _store_attachment(self, spec: AttachmentSpec, path: Path) -> None:
        key = attachment_key(spec.sha256)
        found = self._store.stat(self._bucket, key)
        if found is not None and found.size == spec.size:
            return
        with path.open("rb") as handle:
            self._store.put(self._bucket, key, handle, length=spec.size,
                            content_type=spec.media_type, metadata={"sha256": spec.sha256})  # fmt: skip

    def _record(
        self, submission: Submission, username: str, revise: str | None, recorded_by: str | None = None
    ) -> IntakeResult:
        """Read what the version will be, write its draft objects (no transaction open), then commit
        the rows. Crash between the objects and the commit: the objects are unreferenced copies under
        keys of their own (document, version and content hash), which ``collect_orphans`` removes
        after its grace period; a retry of the same content writes the same keys again."""
        content = submission.content_sha256()
        with read_scope(self._engine) as session:
            drafter = get_user(session=session, username=username)
            same = find_same_content(session=session, drafter=drafter, content_sha256=content)
            if same is not None and (revise is None or same.id == revise):
                logger.info("content already submitted", extra={"document_id": same.id})
                return IntakeResult(same.id, same.current_version, created=False)
            if revise is None:
                document_id, number = uuid.uuid4().hex, 1
            else:
                current = get_document(session=session, document_id=revise)
                check_transition(DocumentState(current.state), DocumentState.SUBMITTED)
                document_id, number = current.id, current.current_version + 1
        draft = _Draft.of(document_id, number, submission)
        written: list[str] = []
        try:
            self._write_drafts(draft, submission, written)
            return self._commit(submission, username, revise, draft, recorded_by or username)
        except BaseException:
            self._remove_unreferenced(written)  # the rows rolled back: take their draft objects away too
            raise

    def _commit(
        self, submission: Submission, username: str, revise: str | None, draft: _Draft, actor: str
    ) -> IntakeResult:
        """One transaction: the document and version rows (naming the draft objects) and the audit event."""
        content, number = submission.content_sha256(), draft.number
        with session_scope(self._engine) as session:
            drafter = get_user(session=session, username=username)
            same = find_same_content(session=session, drafter=drafter, content_sha256=content)
            if same is not None and (revise is None or same.id == revise):  # submitted meanwhile
                return IntakeResult(same.id, same.current_version, created=False)
            if revise is None:
                document, before = self._new_document(session, submission, drafter, draft.document_id), None
                action = "document.submitted"
            else:
                document = get_document(session=session, document_id=revise)
                before = {"state": document.state, "version": document.current_version}
                check_transition(DocumentState(document.state), DocumentState.SUBMITTED)
                if document.current_version + 1 != number:
                    raise RuleViolation(f"{revise} was revised meanwhile (now version {document.current_version}); "
                                        "submit the revision again")  # fmt: skip
                action = "document.revised"
                _refresh(document, submission, number)
                session.add(document)
            version = self._add_version(session, document=document, draft=draft, submission=submission,
                                        drafter=drafter)  # fmt: skip
            after = {"state": document.state, "version": number, "title": document.title,
                     "attribute": document.attribute, "content_sha256": version.content_sha256}  # fmt: skip
            if actor != username:
                after["drafter"] = username
            append_event(session=session, actor=actor, action=action, entity_type="document",
                         entity_id=document.id, before=before, after=after)  # fmt: skip
            return IntakeResult(document.id, number, created=True)

    def _new_document(self, session: Session, submission: Submission, drafter: User, document_id: str) -> Document:
        document = Document(
            id=document_id, agency_id=drafter.agency_id, drafter_id=drafter.id or 0,
            title="", kind="", category="", attribute="", state=DocumentState.SUBMITTED.value,
        )  # fmt: skip
        _refresh(document, submission, 1)
        session.add(document)
        session.flush()
        return document

    def _write_drafts(self, draft: _Draft, submission: Submission, written: list[str]) -> None:
        """The version's body and canonical submission, private, before any row names them."""
        body_key, submission_key = draft.body_key, draft.submission_key
        meta = {"document-id": draft.document_id, "version": str(draft.number),
                "content-sha256": submission.content_sha256()}  # fmt: skip
        body = submission.body.encode("utf-8")
        content_type = "text/html" if submission.body_format == "html" else "text/plain"
        written.append(body_key)
        self._store.put(self._bucket, body_key, body, length=len(body),
                        content_type=f"{content_type}; charset=utf-8", metadata=meta)  # fmt: skip
        encoded = json.dumps(submission.canonical(), ensure_ascii=False, indent=2).encode("utf-8")
        written.append(submission_key)
        self._store.put(self._bucket, submission_key, encoded, length=len(encoded),
                        content_type="application/json", metadata=meta)  # fmt: skip

    def _remove_unreferenced(self, keys: list[str]) -> None:
        """Delete these draft objects unless a committed version names them (the same content, committed
        by a concurrent identical submission, shares the keys)."""
        if not keys:
            return
        with read_scope(self._engine) as session:
            kept = set(session.exec(select(DocumentVersion.body_key).where(col(DocumentVersion.body_key).in_(keys))))
            kept |= set(session.exec(select(DocumentVersion.submission_key)
                                     .where(col(DocumentVersion.submission_key).in_(keys))))  # fmt: skip
        for key in keys:
            if key not in kept:
                self._store.delete(self._bucket, key)

    @staticmethod
    def _add_version(
        session: Session, *, document: Document, draft: _Draft, submission: Submission, drafter: User
    ) -> DocumentVersion:
        version = add_version(
            session=session, document=document, number=draft.number,
            content_sha256=submission.content_sha256(), submission=submission.canonical(),
            submission_key=draft.submission_key, body_key=draft.body_key, created_by=drafter,
            attachments=[
                Attachment(version_id=0, position=0, file_name=a.file_name, media_type=a.media_type,
                           size=a.size, sha256=a.sha256, object_key=attachment_key(a.sha256))
                for a in submission.attachments
            ],
        )  # fmt: skip
        if submission.release_at is not None:  # the release time in force; the office may change it (定时发布)
            version.release_at = submission.release_at
            session.add(version)
        return version


@dataclass(frozen=True, slots=True)
class _Draft:
    """Where one version's draft objects go (fixed before the transaction that names them)."""

    document_id: str
    number: int
    body_key: str
    submission_key: str

    @classmethod
    def of(cls, document_id: str, number: int, submission: Submission) -> _Draft:
        prefix = draft_prefix(document_id, number, submission.content_sha256())
        body = prefix + ("body.html" if submission.body_format == "html" else "body.txt")
        return cls(document_id, number, body, prefix + "submission.json")


def _refresh(document: Document, submission: Submission, number: int) -> None:
    """Copy a submission's identifying fields onto the document row."""
    document.title = submission.title
    document.doc_number = submission.doc_number
    document.kind = submission.kind.value
    document.category = submission.category
    document.attribute = submission.disclosure.attribute.value
    document.grade = submission.grade
    document.item_type = "interpretation" if submission.is_interpretation else "document"
    document.interprets_id = submission.interprets
    document.state = DocumentState.SUBMITTED.value
    document.current_version = number
    document.updated_at = utcnow()
