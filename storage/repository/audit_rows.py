"""Rows that record legal acts, checked against the audit events that recorded them.

A review decision, a publication, a validity change or a withdrawal written (or edited, or
deleted) outside the audit log shows up here: the log is covered by signed checkpoints, the rows
are not, so the rows must agree with the log.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from sqlmodel import Session, col, select

from disclosure.audit import AuditRecord
from storage.models import Document, Publication, ReviewDecision, User, aware
from storage.repository.audit import TrailScan


def check_rows(*, session: Session, scan: TrailScan) -> tuple[dict[str, int], list[str]]:
    """How many rows of each kind were checked, and every disagreement with the log."""
    problems: list[str] = []
    counts = {
        "decisions": _check_decisions(session, dict(scan.decisions), problems),
        "publications": _check_publications(session, dict(scan.publications), problems),
        "documents": _check_documents(session, scan, problems),
    }
    return counts, problems


def _differences(record: AuditRecord, expected: dict[str, Any]) -> list[str]:
    """Fields the event records with another value (fields it does not record are not compared)."""
    after = record.after or {}
    return [name for name, value in expected.items() if name in after and after[name] != value]


def _check_decisions(session: Session, events: dict[tuple[str, int, str], AuditRecord], problems: list[str]) -> int:
    users = {u.id: u.username for u in session.exec(select(User))}
    rows = list(session.exec(select(ReviewDecision).order_by(col(ReviewDecision.id))))
    for row in rows:
        where = f"review decision {row.id} ({row.document_id} v{row.version} {row.level}: {row.decision})"
        record = events.pop((row.document_id, row.version, row.level), None)
        if record is None:
            problems.append(f"{where} has no audit event: recorded outside the audit log")
            continue
        expected = {
            "decision": row.decision, "position": row.position, "reviewer_id": row.reviewer_id,
            "content_sha256": row.content_sha256, "via": row.via,
            "confirmed_attribute": row.confirmed_attribute, "confirmed_ground": row.confirmed_ground,
            "decided_at": aware(row.decided_at).astimezone(UTC).isoformat(),
        }  # fmt: skip
        wrong = _differences(record, expected)
        if users.get(row.reviewer_id) != record.actor:
            wrong.append("reviewer")
        if (record.reason or "") != row.comment:
            wrong.append("comment")
        if wrong:
            problems.append(f"{where} differs from audit event #{record.sequence} in {', '.join(wrong)}: edited")
    for (document_id, version, level), record in events.items():
        problems.append(f"audit event #{record.sequence} records a decision on {document_id} v{version} {level} "
                        "that has no review_decision row: deleted")  # fmt: skip
    return len(rows)


def _check_publications(session: Session, events: dict[tuple[str, int], AuditRecord], problems: list[str]) -> int:
    rows = list(session.exec(select(Publication).order_by(col(Publication.id))))
    for row in rows:
        where = f"publication {row.id} ({row.document_id} v{row.version}, {row.index_number})"
        record = events.pop((row.document_id, row.version), None)
        if record is None:
            problems.append(f"{where} has no audit event: recorded outside the audit log")
            continue
        wrong = _differences(record, {"index_number": row.index_number, "content_sha256": row.content_sha256})
        if wrong:
            problems.append(f"{where} differs from audit event #{record.sequence} in {', '.join(wrong)}: edited")
    for (document_id, version), record in events.items():
        problems.append(f"audit event #{record.sequence} records the publication of {document_id} v{version} "
                        "that has no publication row: deleted")  # fmt: skip
    return len(rows)


def _check_documents(session: Session, scan: TrailScan, problems: list[str]) -> int:
    """Each document's state, and a published one's validity, are what the log last recorded."""
    documents = list(session.exec(select(Document).order_by(col(Document.id))))
    for document in documents:
        state = scan.states.get(document.id)
        if document.state != state:
            problems.append(f"document {document.id} is {document.state!r} but the audit log last recorded "
                            f"state {state!r}: changed outside the log")  # fmt: skip
        validity = scan.validity.get(document.id, "valid")
        if document.validity != validity:
            problems.append(f"document {document.id} is {document.validity!r} but the audit log last recorded "
                            f"validity {validity!r}: changed outside the log")  # fmt: skip
    return len(documents)
