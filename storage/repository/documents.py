"""Documents, their versions and attachments."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from disclosure.errors import DocumentNotFound
from storage.models import Attachment, Document, DocumentVersion, User


def get_document(*, session: Session, document_id: str) -> Document:
    """The document with this id; raise DocumentNotFound otherwise."""
    document = session.get(Document, document_id)
    if document is None:
        raise DocumentNotFound(f"no document with id {document_id!r}")
    return document


def list_versions(*, session: Session, document_id: str) -> list[DocumentVersion]:
    """A document's versions, oldest first."""
    statement = (
        select(DocumentVersion).where(DocumentVersion.document_id == document_id).order_by(col(DocumentVersion.number))
    )
    return list(session.exec(statement))


def list_attachments(*, session: Session, version_id: int) -> list[Attachment]:
    """A version's attachments in submission order."""
    statement = select(Attachment).where(Attachment.version_id == version_id).order_by(col(Attachment.position))
    return list(session.exec(statement))


def find_same_content(*, session: Session, drafter: User, content_sha256: str) -> Document | None:
    """The drafter's document whose current version already holds exactly this content."""
    statement = (
        select(Document)
        .join(DocumentVersion, col(DocumentVersion.document_id) == col(Document.id))
        .where(
            Document.drafter_id == drafter.id,
            DocumentVersion.number == Document.current_version,
            DocumentVersion.content_sha256 == content_sha256,
        )
    )
    return session.exec(statement).first()


def add_version(
    *,
    session: Session,
    document: Document,
    number: int,
    content_sha256: str,
    submission: dict[str, Any],
    submission_key: str,
    body_key: str,
    created_by: User,
    attachments: list[Attachment],
) -> DocumentVersion:
    """Record a version with its attachments (positions in the given order)."""
    assert created_by.id is not None  # noqa: S101 - users come from the database
    version = DocumentVersion(
        document_id=document.id,
        number=number,
        content_sha256=content_sha256,
        submission=submission,
        submission_key=submission_key,
        body_key=body_key,
        created_by=created_by.id,
    )
    session.add(version)
    session.flush()
    assert version.id is not None  # noqa: S101 - flushed above
    for position, attachment in enumerate(attachments):
        attachment.version_id = version.id
        attachment.position = position
        session.add(attachment)
    session.flush()
    return version
