"""The only writer of public data. Every object it puts belongs to a version that passed review.

``clear_for_public`` checks the record: the version's review run is approved, every level of its
chain holds an approving decision (or a referral the secrecy administration cleared) bound to the
version's content hash, the confirmed attribute is 主动公开, the stored content still hashes
to what was approved, and the version's release time (定时发布), if it has one, has come.
``PublicWriter`` refuses a document object without a clearance for exactly that version, and a feed
page naming a version that has no publication record.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, col, select

from disclosure.attributes import DisclosureAttribute
from disclosure.checkpoint import KEY_FORMAT, parse_checkpoint
from disclosure.errors import RuleViolation
from disclosure.publication import public_prefix
from disclosure.release_time import embargoed_until, shown
from disclosure.review import Decision, ReviewState
from disclosure.states import DocumentState
from disclosure.submission import canonical_sha256
from storage.models import Document, DocumentVersion, Publication, aware, utcnow
from storage.objectstore import ObjectStore
from storage.repository.documents import get_document
from storage.repository.reviews import get_run, list_decisions


class NotCleared(RuleViolation):
    """A version that has not completed review for 主动公开 cannot go public."""


@dataclass(frozen=True, slots=True)
class Clearance:
    """Proof, read from the record, that one version may be public."""

    document_id: str
    version: int
    index_number: str
    content_sha256: str
    _token: object

    def prefix(self) -> str:
        """The only public prefix this clearance opens."""
        return public_prefix(self.index_number, self.version)


_TOKEN = object()


@dataclass(frozen=True, slots=True)
class ClearedObject:
    """A public object (a feed page, a status record) the record showed may be written; written
    later, with no transaction open (``PublicWriter.write_cleared``)."""

    key: str
    data: bytes = field(repr=False)
    content_type: str
    sha256: str
    _token: object = field(repr=False)


_AUDIT_NAME = re.compile(r"checkpoint\.json|public-key\.json|checkpoints/[1-9][0-9]{0,18}\.json")
_KEY_FIELDS = {"format", "log", "algorithm", "key_id", "public_key"}


def clear_for_public(*, session: Session, document_id: str, version: int, now: datetime | None = None) -> Clearance:
    """Check the review record of one version, and its release time against ``now`` (default: the
    clock); raise NotCleared saying what is missing."""
    document = get_document(session=session, document_id=document_id)
    row = session.exec(
        select(DocumentVersion).where(DocumentVersion.document_id == document_id, DocumentVersion.number == version)
    ).first()
    if row is None:
        raise NotCleared(f"{document_id} has no version {version}")
    if document.current_version != version:
        raise NotCleared(f"version {version} of {document_id} is not the current version")
    if DocumentState(document.state) not in {DocumentState.APPROVED, DocumentState.PUBLISHED}:
        raise NotCleared(f"{document_id} is {document.state}, not approved")
    run = get_run(session=session, document_id=document_id, version=version)
    if run is None or ReviewState(run.state) is not ReviewState.APPROVED:
        raise NotCleared(f"the review of {document_id} v{version} is not complete")
    if canonical_sha256(row.submission) != row.content_sha256 or run.content_sha256 != row.content_sha256:
        raise NotCleared(f"the content of {document_id} v{version} is not what was reviewed")
    _check_decisions(session, document, run.levels, row)
    until = embargoed_until(aware(row.release_at) if row.release_at else None, now or utcnow())
    if until is not None:
        raise NotCleared(f"{document_id} v{version} is embargoed until {shown(until)}")
    if not document.index_number:
        raise NotCleared(f"{document_id} has no 索引号 yet")
    return Clearance(document_id, version, document.index_number, row.content_sha256, _TOKEN)


def _check_decisions(
    session: Session, document: Document, levels: list[dict[str, object]], row: DocumentVersion
) -> None:
    """Every level approved this exact content; the last confirmed 主动公开."""
    document_id, version = document.id, row.number
    decisions = {d.level: d for d in list_decisions(session=session, document_id=document_id, version=version)}
    for level in levels:
        decision = decisions.get(str(level["name"]))
        if decision is None or Decision(decision.decision) not in {Decision.APPROVE, Decision.REFER}:
            raise NotCleared(f"level {level['name']} of {document_id} v{version} has not approved")
        if decision.content_sha256 != row.content_sha256:
            raise NotCleared(f"the decision at {level['name']} was made on other content")
    last = decisions.get(str(levels[-1]["name"])) if levels else None
    confirmed = last.confirmed_attribute if last and last.confirmed_attribute else document.attribute
    if confirmed != DisclosureAttribute.PROACTIVE.value or document.attribute != DisclosureAttribute.PROACTIVE.value:
        raise NotCleared(f"{document_id} is not confirmed for 主动公开 (confirmed: {confirmed})")


def published_versions(*, session: Session, pairs: Iterable[tuple[str, int]]) -> set[tuple[str, int]]:
    """Which of these (document, version) pairs have a publication record."""
    wanted = set(pairs)
    if not wanted:
        return set()
    ids = {doc for doc, _ in wanted}
    rows = session.exec(
        select(Publication.document_id, Publication.version).where(col(Publication.document_id).in_(ids))
    )
    return {(doc, ver) for doc, ver in rows} & wanted


class PublicWriter:
    """Puts objects into the public bucket — only with a clearance, never overwriting a document copy."""

    def __init__(self, store: ObjectStore, bucket: str) -> None:
        self._store = store
        self._bucket = bucket

    @property
    def bucket(self) -> str:
        """The public bucket."""
        return self._bucket

    def put_document_object(
        self, clearance: Clearance, name: str, data: bytes, *, content_type: str, sha256: str | None = None
    ) -> str:
        """Write one object of a cleared version's public copy; an existing copy is never replaced."""
        if not isinstance(clearance, Clearance) or clearance._token is not _TOKEN:  # noqa: SLF001
            raise NotCleared("public document objects need a clearance from clear_for_public")
        key = clearance.prefix() + name
        digest = sha256 or hashlib.sha256(data).hexdigest()
        existing = self._store.stat(self._bucket, key)
        if existing is not None:
            if existing.metadata.get("sha256") != digest:
                raise RuleViolation(
                    f"public object {key} exists with other content; public copies are never overwritten"
                )
            return key
        meta = {"document-id": clearance.document_id, "version": str(clearance.version), "sha256": digest}
        self._store.put(self._bucket, key, data, length=len(data), content_type=content_type, metadata=meta)
        return key

    def clear_document_status(self, *, session: Session, document: Document, data: bytes) -> ClearedObject:
        """The mutable status record of a published document (validity, withdrawal, latest version)."""
        if not document.index_number or not published_versions(
            session=session, pairs=[(document.id, v) for v in range(1, document.current_version + 1)]
        ):
            raise NotCleared(f"{document.id} was never published")
        return self._status(document.index_number, data)

    def status_for(self, clearance: Clearance, data: bytes) -> ClearedObject:
        """The status record of a version being published: its clearance opens it."""
        if not isinstance(clearance, Clearance) or clearance._token is not _TOKEN:  # noqa: SLF001
            raise NotCleared("a status record needs a clearance or a publication")
        return self._status(clearance.index_number, data)

    @staticmethod
    def _status(index_number: str, data: bytes) -> ClearedObject:
        key = f"documents/{index_number}/status.json"
        return ClearedObject(key, data, "application/json; charset=utf-8", hashlib.sha256(data).hexdigest(), _TOKEN)

    def put_document_status(self, *, session: Session, document: Document, data: bytes) -> str:
        """Check and write a status record at once (a caller that holds no transaction open in ``session``)."""
        cleared = self.clear_document_status(session=session, document=document, data=data)
        self.write_cleared(cleared, unless_same=False)
        return cleared.key

    def clear_feed_page(
        self, *, session: Session, key: str, data: bytes, content_type: str, entries: Iterable[tuple[str, int]]
    ) -> ClearedObject:
        """Check a feed page against the record (every entry on it names a published version); the
        page it returns is written later by ``write_feed_page``, with no transaction open."""
        if not key.startswith("feeds/"):
            raise RuleViolation(f"feed pages live under feeds/, not {key}")
        wanted = set(entries)
        missing = wanted - published_versions(session=session, pairs=wanted)
        if missing:
            raise NotCleared(f"feed page {key} names unpublished versions: {sorted(missing)}")
        return ClearedObject(key, data, content_type, hashlib.sha256(data).hexdigest(), _TOKEN)

    def write_cleared(self, page: ClearedObject, *, unless_same: bool = True) -> bool:
        """Write a cleared object; with ``unless_same`` one whose stored copy has the same content
        (its ``sha256`` metadata) is left alone. True: written."""
        if not isinstance(page, ClearedObject) or page._token is not _TOKEN:  # noqa: SLF001
            raise NotCleared("public objects need a clearance from the record first")
        if unless_same:
            existing = self._store.stat(self._bucket, page.key)
            if existing is not None and existing.metadata.get("sha256") == page.sha256:
                return False
        self._store.put(self._bucket, page.key, page.data, length=len(page.data), content_type=page.content_type,
                        metadata={"sha256": page.sha256})  # fmt: skip
        return True

    def put_feed_page(
        self, *, session: Session, key: str, data: bytes, content_type: str, entries: Iterable[tuple[str, int]]
    ) -> bool:
        """Check and write a feed page at once (a caller that holds no transaction open in ``session``)."""
        page = self.clear_feed_page(session=session, key=key, data=data, content_type=content_type, entries=entries)
        return self.write_cleared(page)

    def put_audit_object(self, name: str, data: bytes, *, write_once: bool) -> bool:
        """Write ``audit/<name>``: a signed checkpoint or the log's public key, nothing else.

        Only checkpoint fields (sizes, hashes, time, key id) and the public key can pass. With
        ``write_once`` an existing object is left alone and False returned.
        """
        if not _AUDIT_NAME.fullmatch(name):
            raise RuleViolation(f"audit/{name} is not an audit object name")
        if name == "public-key.json":
            document = json.loads(data)
            if set(document) != _KEY_FIELDS or document["format"] != KEY_FORMAT:
                raise RuleViolation("audit/public-key.json must be a public key document and nothing more")
        else:
            checkpoint = parse_checkpoint(data, source=f"audit/{name}")
            if name.startswith("checkpoints/") and name != f"checkpoints/{checkpoint.tree_size}.json":
                raise RuleViolation(f"audit/{name} would hold the checkpoint of size {checkpoint.tree_size}")
            if set(json.loads(data)) != set(checkpoint.__slots__):
                raise RuleViolation(f"audit/{name} carries fields that are not part of a checkpoint")
        key = f"audit/{name}"
        if write_once and self._store.stat(self._bucket, key) is not None:
            return False
        self._store.put(self._bucket, key, data, length=len(data), content_type="application/json; charset=utf-8")
        return True

    def withdraw_copy(self, index_number: str, notice: bytes) -> int:
        """Remove a withdrawn document's public copies and leave the public withdrawal notice."""
        prefix = f"documents/{index_number}/"
        removed = 0
        for key in list(self._store.list_keys(self._bucket, prefix)):
            if key != prefix + "withdrawn.json":
                self._store.delete(self._bucket, key)
                removed += 1
        self._store.put(
            self._bucket,
            prefix + "withdrawn.json",
            notice,
            length=len(notice),
            content_type="application/json; charset=utf-8",
        )
        return removed
