"""Reviews parked in ``needs_attention``: why, what the failure depended on, and when to try again.

A failure that would recur on every attempt — no review chain for the document's category and
grade, an attachment's object missing from the private bucket — parks the review instead of
failing its flow run (which the reconciler would restart every minute, for ever). The run keeps
the reason, a sentence saying it, and a fingerprint: the sha256 of what the failure depended on
(the chains that apply to the category; which of the version's objects were there). The
reconciler computes the fingerprint again on every tick, which costs a query or a few HEAD
requests, and retries the review only once it differs. A new version voids a parked review like
any other.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from disclosure.errors import ObjectNotFound
from disclosure.review import AttentionReason, ReviewState
from storage.db import read_scope, session_scope
from storage.models import Attachment, Document, DocumentVersion, ReviewChain, ReviewRun, aware, utcnow
from storage.objectstore import ObjectStore
from storage.repository.audit import append_event
from storage.repository.documents import list_attachments
from storage.repository.reviews import get_run, list_runs_in, lock_run, move_run

# Who can act on each reason, as review lists show it in their "held by" column.
REMEDY = {
    AttentionReason.NO_REVIEW_CHAIN.value: "an administrator (review_chains in the agency configuration)",
    AttentionReason.MISSING_OBJECT.value: "an administrator (restore the object) or the drafter (a new version)",
}


@dataclass(frozen=True, slots=True)
class Attention:
    """Why a review is parked, in words, and the fingerprint of what that depended on."""

    reason: AttentionReason
    detail: str
    fingerprint: str


@dataclass(frozen=True, slots=True)
class ParkedReview:
    """A parked review of a document's current version, as lists show it."""

    document_id: str
    title: str
    version: int
    reason: str  # an AttentionReason
    detail: str
    since: datetime


def _digest(reason: AttentionReason, inputs: Sequence[Any]) -> str:
    canonical = json.dumps([reason.value, list(inputs)], ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def chain_fingerprint(*, session: Session, agency_id: int, category: str) -> str:
    """The sha256 of the chains that can apply to a category (its own and '*'), whatever the grade."""
    rows = session.exec(select(ReviewChain).where(
        ReviewChain.agency_id == agency_id, col(ReviewChain.category).in_([category, "*"])))  # fmt: skip
    chains = sorted(json.dumps([r.category, r.grade, r.levels], ensure_ascii=False, sort_keys=True) for r in rows)
    return _digest(AttentionReason.NO_REVIEW_CHAIN, chains)


def object_fingerprint(present: Sequence[tuple[str, bool]]) -> str:
    """The sha256 of which of a version's object keys were in the store."""
    return _digest(AttentionReason.MISSING_OBJECT, sorted(present))


def load_attachments(
    store: ObjectStore, bucket: str, rows: Sequence[Attachment]
) -> tuple[list[tuple[str, bytes, str | None]], list[Attachment]]:
    """The (name, content, media type) of every attachment whose object is there, and the rows whose
    object is missing (any other store error propagates: a store that cannot answer now is no reason to park)."""
    files: list[tuple[str, bytes, str | None]] = []
    missing: list[Attachment] = []
    for row in rows:
        try:
            files.append((row.file_name, store.get(bucket, row.object_key), row.media_type))
        except ObjectNotFound:
            missing.append(row)
    return files, missing


def missing_objects(rows: Sequence[Attachment], missing: Sequence[Attachment]) -> Attention:
    """Attention for a version some of whose objects were not found, fingerprinted by what was seen."""
    gone = {row.object_key for row in missing}
    names = ", ".join(f"{row.file_name} ({row.object_key})" for row in missing)
    detail = (f"the stored object of {names} is missing from the private bucket; restore it, or submit a new "
              "version — the review is retried when it is back")  # fmt: skip
    return Attention(AttentionReason.MISSING_OBJECT, _clip(detail),
                     object_fingerprint([(row.object_key, row.object_key not in gone) for row in rows]))  # fmt: skip


def no_chain(*, session: Session, document: Document, problem: str) -> Attention:
    """Attention for a document whose category and grade have no chain, fingerprinted by the chains that apply."""
    detail = (f"{problem}; add one to review_chains in the agency configuration (govpub init --config) — the review "
              "is retried when the chains for this category change")  # fmt: skip
    fingerprint = chain_fingerprint(session=session, agency_id=document.agency_id, category=document.category)
    return Attention(AttentionReason.NO_REVIEW_CHAIN, _clip(detail), fingerprint)


def _clip(text: str) -> str:
    return text if len(text) <= 500 else text[:499] + "…"  # noqa: PLR2004 - the column's length


def park(*, session: Session, run: ReviewRun, document: Document, attention: Attention) -> None:
    """Move a screening run to needs_attention with its reason and fingerprint; audited."""
    move_run(run, ReviewState.NEEDS_ATTENTION)
    run.attention_reason, run.attention_detail = attention.reason.value, attention.detail
    run.attention_fingerprint, run.waiting_since = attention.fingerprint, utcnow()
    session.add(run)
    append_event(session=session, actor="system", action="review.needs_attention", entity_type="document",
                 entity_id=document.id, reason=attention.detail,
                 after={"version": run.version, "attention": attention.reason.value,
                        "fingerprint": attention.fingerprint})  # fmt: skip


@dataclass(frozen=True, slots=True)
class ParkedRun:
    """What checking a parked run needs, read in one short session (the store is asked after it closed)."""

    reason: AttentionReason
    fingerprint: str | None  # as parked
    chains: str  # the chain fingerprint now
    object_keys: tuple[str, ...]


def read_parked(*, session: Session, run: ReviewRun) -> ParkedRun:
    """The parked run's reason and fingerprint, the chains that apply now, and its version's object keys."""
    document = session.exec(select(Document).where(Document.id == run.document_id)).one()
    chains = chain_fingerprint(session=session, agency_id=document.agency_id, category=document.category)
    keys = tuple(row.object_key for row in _attachments(session, run))
    return ParkedRun(AttentionReason(run.attention_reason or ""), run.attention_fingerprint, chains, keys)


def fingerprint_now(parked: ParkedRun, *, store: ObjectStore, bucket: str) -> str:
    """What the parked run's failure depended on, as it is now (the chains, or one HEAD per attachment)."""
    if parked.reason is AttentionReason.NO_REVIEW_CHAIN:
        return parked.chains
    return object_fingerprint([(key, store.stat(bucket, key) is not None) for key in parked.object_keys])


def reopen(*, session: Session, run: ReviewRun, fingerprint: str) -> None:
    """Back to screening: what the failure depended on changed since it was parked; audited."""
    before = {"version": run.version, "attention": run.attention_reason, "fingerprint": run.attention_fingerprint}
    move_run(run, ReviewState.SCREENING)
    run.attention_reason = run.attention_detail = run.attention_fingerprint = None
    run.waiting_since = utcnow()
    session.add(run)
    append_event(session=session, actor="system", action="review.retried", entity_type="document",
                 entity_id=run.document_id, before=before,
                 after={"version": run.version, "fingerprint": fingerprint},
                 reason="what the review's screening depended on changed since it needed attention")  # fmt: skip


def retry_parked(*, engine: Engine, store: ObjectStore, bucket: str, document_id: str, version: int) -> bool:
    """Reopen a parked run whose fingerprint changed; False when it is not parked or nothing changed.

    The store is asked between two short sessions, never inside a transaction."""
    with read_scope(engine) as session:
        run = get_run(session=session, document_id=document_id, version=version)
        if run is None or ReviewState(run.state) is not ReviewState.NEEDS_ATTENTION:
            return False
        parked = read_parked(session=session, run=run)
    now = fingerprint_now(parked, store=store, bucket=bucket)
    if now == parked.fingerprint:
        return False
    with session_scope(engine) as session:
        run = lock_run(session=session, document_id=document_id, version=version)
        if run is None or (run.state, run.attention_fingerprint) != (ReviewState.NEEDS_ATTENTION, parked.fingerprint):
            return False  # moved on meanwhile: voided, or retried by another reconciler
        reopen(session=session, run=run, fingerprint=now)
        return True


def _attachments(session: Session, run: ReviewRun) -> list[Attachment]:
    version = session.exec(select(DocumentVersion).where(
        DocumentVersion.document_id == run.document_id, DocumentVersion.number == run.version)).one()  # fmt: skip
    return list_attachments(session=session, version_id=version.id or 0)


def parked_reviews(*, session: Session) -> list[ParkedReview]:
    """Parked reviews of documents' current versions, oldest first."""
    parked = []
    for run in list_runs_in(session=session, state=ReviewState.NEEDS_ATTENTION):
        document = session.get(Document, run.document_id)
        if document is None or document.current_version != run.version:
            continue  # a newer version is on its way: its review voids this one
        parked.append(ParkedReview(run.document_id, document.title, run.version,
                                   run.attention_reason or "", run.attention_detail or "",
                                   aware(run.waiting_since or run.created_at)))  # fmt: skip
    return parked
