"""What `govpub status` shows about a document, as plain JSON-ready data."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlmodel import Session, col, select

from disclosure.publication import Deadline
from disclosure.review import ReviewState
from disclosure.screening import Detector
from storage.models import ChannelCopy, Document, Publication, ScreeningFinding, User, aware
from storage.repository.audit import list_events
from storage.repository.documents import get_document, list_attachments, list_versions
from storage.repository.reviews import get_run


def _iso(moment: datetime) -> str:
    return aware(moment).astimezone(UTC).isoformat()


def document_status(
    *, session: Session, document_id: str, deadlines: list[Deadline] | None = None, today: date | None = None
) -> dict[str, Any]:
    """State, attribute, versions, publications, open deadlines and the audit history of one document."""
    document = get_document(session=session, document_id=document_id)
    publications = [
        {"version": p.version, "index_number": p.index_number, "published_at": _iso(p.published_at),
         "public_prefix": p.public_prefix, "content_sha256": p.content_sha256, "change_note": p.change_note}
        for p in session.exec(select(Publication).where(Publication.document_id == document.id)
                              .order_by(col(Publication.version)))
    ]  # fmt: skip
    interpretations = [
        {"id": i.id, "title": i.title, "state": i.state}
        for i in session.exec(select(Document).where(Document.interprets_id == document.id))
    ]
    open_deadlines = [
        d.as_dict(today or datetime.now(UTC).date()) for d in deadlines or [] if d.document_id == document.id
    ]
    drafter = session.get(User, document.drafter_id)
    unscreened = [
        {"version": f.version, "file": f.source, "location": f.location, "reason": f.note}
        for f in session.exec(select(ScreeningFinding).where(
            ScreeningFinding.document_id == document.id, ScreeningFinding.version == document.current_version,
            ScreeningFinding.detector == Detector.UNSCREENED.value))
    ]  # fmt: skip
    run = get_run(session=session, document_id=document.id, version=document.current_version)
    attention = None
    if run is not None and run.state == ReviewState.NEEDS_ATTENTION.value:
        attention = {"version": run.version, "reason": run.attention_reason, "detail": run.attention_detail,
                     "since": _iso(run.waiting_since or run.created_at)}  # fmt: skip
    versions = []
    for version in list_versions(session=session, document_id=document.id):
        assert version.id is not None  # noqa: S101 - rows from the database
        attachments = [
            {
                "file_name": a.file_name,
                "media_type": a.media_type,
                "size": a.size,
                "sha256": a.sha256,
            }
            for a in list_attachments(session=session, version_id=version.id)
        ]
        versions.append(
            {
                "number": version.number,
                "content_sha256": version.content_sha256,
                "created_at": _iso(version.created_at),
                "release_at": _iso(version.release_at) if version.release_at else None,  # 定时发布
                "release_flow_run_id": version.release_flow_run_id,
                "attachments": attachments,
            }
        )
    audit = [
        {
            "sequence": e.sequence,
            "occurred_at": _iso(e.occurred_at),
            "actor": e.actor,
            "action": e.action,
            "before": e.before,
            "after": e.after,
            "reason": e.reason,
        }
        for e in list_events(session=session, entity_id=document.id)
    ]
    return {
        "id": document.id,
        "title": document.title,
        "doc_number": document.doc_number,
        "kind": document.kind,
        "category": document.category,
        "state": document.state,
        "review_state": run.state if run is not None else None,
        "needs_attention": attention,  # why the current version's review cannot go on by itself, if so
        "attribute": document.attribute,
        "drafter": drafter.username if drafter else None,
        "current_version": document.current_version,
        "item_type": document.item_type,
        "interprets": document.interprets_id,
        "interpretations": interpretations,
        "index_number": document.index_number,
        "validity": document.validity,
        "publications": publications,
        "channel_copies": [
            {
                "channel": c.channel,
                "copy_id": c.copy_id,
                "url": c.url,
                "state": c.state,
                "updated_at": _iso(c.updated_at),
            }
            for c in session.exec(select(ChannelCopy).where(ChannelCopy.document_id == document.id))
        ],
        "deadlines": open_deadlines,
        "unscreened": unscreened,
        "versions": versions,
        "audit": audit,
    }
