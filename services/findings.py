"""Screening findings of a document, as reviewers see them: masked values with their location."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from services.authz import Act
from services.bootstrap import App
from services.principal import Principal
from storage.db import read_scope
from storage.repository.documents import get_document
from storage.repository.reviews import list_findings


class FindingPublic(BaseModel):
    """One finding: never the raw value, only its masked preview and where it is."""

    version: int
    detector: str
    source: str
    location: dict[str, Any]
    masked: str
    note: str


def document_findings(
    app: App, principal: Principal, document_id: str, *, version: int | None = None
) -> list[FindingPublic]:
    """Findings of one version (the current one by default), for those who see the review queue."""
    app.authz.require(principal, Act.REVIEW_QUEUE, subject=document_id)
    with read_scope(app.engine) as session:
        document = get_document(session=session, document_id=document_id)
        number = version or document.current_version
        rows = list_findings(session=session, document_id=document.id, version=number)
    return [FindingPublic.model_validate(f, from_attributes=True) for f in rows]
