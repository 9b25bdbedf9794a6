"""What the drafters' pages read beyond the facade's use cases: the current version's submission (to
start a revision from it), the reviewer's comment on a returned document, who holds a document now,
the drafter's agency (the form's defaults), and the previous version's attachments kept in a revision.

Every reader goes through the facade's own check first (``Govpub.document``: staff read documents
under review, a drafter only their own), so nothing here widens who may see what.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlmodel import select

from disclosure.attributes import Role
from disclosure.errors import Forbidden, InvalidInput, RuleViolation, Violation
from disclosure.states import REVISABLE, DocumentState
from services.authz import Act
from services.drafting import Stored, values_of
from services.facade import Govpub
from services.principal import Principal
from storage.db import read_scope
from storage.models import Agency, DocumentVersion, User
from storage.repository.documents import list_attachments

NOTE_ACTIONS = {"returned": "document.returned", "rejected": "document.rejected"}


@dataclass(frozen=True, slots=True)
class ReviewNote:
    """A reviewer's comment that ended a review: who, at which level, when, and why."""

    reviewer: str
    level: str
    at: str
    comment: str


@dataclass
class DraftView:
    """A document as its drafter's page shows it."""

    detail: dict[str, Any]
    submission: dict[str, Any]
    note: ReviewNote | None
    waiting_at: str | None = None
    held_by: list[str] = field(default_factory=list)
    policy_title: str = ""  # an interpretation: the title of the policy it explains

    @property
    def is_policy(self) -> bool:
        """A document (not an interpretation) that asks for a policy interpretation."""
        return self.detail["item_type"] == "document" and bool(self.submission.get("interpretation_required"))

    @property
    def revisable(self) -> bool:
        """Whether the drafter may submit a new version now (the core's rule)."""
        return DocumentState(self.detail["state"]) in REVISABLE


def require_drafter(govpub: Govpub, principal: Principal) -> None:
    """Only a drafter submits: refused (and audited) otherwise, before a form is shown."""
    govpub.app.authz.require(principal, Act.SUBMIT)


def drafter_defaults(govpub: Govpub, principal: Principal) -> dict[str, str]:
    """What a new form starts with: the drafter's agency as issuer and interpreting unit."""
    with read_scope(govpub.app.engine) as session:
        user = session.get(User, principal.user_id) if principal.user_id is not None else None
        agency = session.get(Agency, principal.agency_id) if principal.agency_id is not None else None
        agency_name = agency.name if agency else ""
        return {"issuing_agency": agency_name, "interpreting_unit": (user.department if user else "") or agency_name,
                "interpreter": user.name if user else "", "grade": "ordinary", "body_format": "text",
                "public_scope": "society", "attribute": "proactive"}  # fmt: skip


def _submission(govpub: Govpub, document_id: str, version: int) -> dict[str, Any]:
    with read_scope(govpub.app.engine) as session:
        row = session.exec(select(DocumentVersion).where(
            DocumentVersion.document_id == document_id, DocumentVersion.number == version)).one()  # fmt: skip
        return dict(row.submission)


def last_note(detail: dict[str, Any]) -> ReviewNote | None:
    """The comment of the decision that returned (or rejected) the document, if it is in that state."""
    action = NOTE_ACTIONS.get(detail["state"])
    events = [e for e in detail["audit"] if e["action"] == action]
    if not events:
        return None
    event = events[-1]
    after = event.get("after") or {}
    return ReviewNote(reviewer=event["actor"], level=str(after.get("level", "")), at=event["occurred_at"],
                      comment=event.get("reason") or "")  # fmt: skip


def draft_view(govpub: Govpub, principal: Principal, document_id: str) -> DraftView:
    """One document for its drafter's page (refused as the facade refuses: 403, 404)."""
    detail = govpub.document(principal, document_id)
    view = DraftView(detail, _submission(govpub, document_id, detail["current_version"]), last_note(detail))
    if detail["interprets"]:
        view.policy_title = govpub.document(principal, detail["interprets"])["title"]
    if principal.has(Role.DRAFTER) and detail["drafter"] == principal.username:
        mine = next((d for d in govpub.my_documents(principal) if d.id == document_id), None)
        if mine is not None:
            view.waiting_at, view.held_by = mine.waiting_at, mine.held_by
    return view


def revision_start(govpub: Govpub, principal: Principal, document_id: str) -> tuple[DraftView, dict[str, str]]:
    """The document and the form values a revision starts from (its current version's)."""
    require_drafter(govpub, principal)
    view = draft_view(govpub, principal, document_id)
    if view.detail["drafter"] != principal.username:
        govpub.refuse(principal, "revise", "only the document's drafter may revise it", subject=document_id)
        raise Forbidden("only the document's drafter may revise it")
    if not view.revisable:
        raise RuleViolation(f"a {view.detail['state']} document cannot be revised")
    return view, values_of(view.submission)


def interpretation_start(govpub: Govpub, principal: Principal, policy_id: str) -> tuple[DraftView, dict[str, str]]:
    """The policy an interpretation explains and the form values it starts with."""
    require_drafter(govpub, principal)
    view = draft_view(govpub, principal, policy_id)
    if view.detail["item_type"] != "document":
        raise RuleViolation("an interpretation explains a policy document, not another interpretation")
    defaults = drafter_defaults(govpub, principal)
    title = view.submission.get("title", "")
    values = {"title": f"《{title}》政策解读"[:200], "form": "", "interpreting_unit": defaults["interpreting_unit"],
              "interpreter": defaults["interpreter"], "summary": "", "body_format": "text", "body": "",
              "change_note": ""}  # fmt: skip
    return view, values


def previous_attachments(view: DraftView) -> list[dict[str, Any]]:
    """The current version's attachments (name, media type, size, sha256)."""
    versions = [v for v in view.detail["versions"] if v["number"] == view.detail["current_version"]]
    return list(versions[0]["attachments"]) if versions else []


def keep_attachments(govpub: Govpub, principal: Principal, document_id: str, names: Iterable[str],
                     directory: Path) -> list[Stored]:  # fmt: skip
    """The current version's attachments the drafter keeps in a revision, copied out of the private
    store into ``directory`` (intake checks and stores them again, once per content)."""
    wanted = set(names)
    if not wanted:
        return []
    detail = govpub.document(principal, document_id)
    kept: list[Stored] = []
    with read_scope(govpub.app.engine) as session:
        version = session.exec(select(DocumentVersion).where(DocumentVersion.document_id == document_id,
                               DocumentVersion.number == detail["current_version"])).one()  # fmt: skip
        rows = list_attachments(session=session, version_id=version.id or 0)
    unknown = wanted - {row.file_name for row in rows}
    if unknown:
        raise InvalidInput([Violation("$.attachments", f"the previous version has no attachment {name!r}")
                            for name in sorted(unknown)])  # fmt: skip
    bucket = govpub.app.settings.store.private_bucket
    for row in rows:
        if row.file_name in wanted:
            path = directory / row.file_name
            path.write_bytes(govpub.app.store.get(bucket, row.object_key))
            spec = {"file_name": row.file_name, "media_type": row.media_type, "size": row.size, "sha256": row.sha256}
            kept.append(Stored(spec, path))
    return kept
