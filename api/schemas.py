"""Request bodies and the response models the application layer gives plain data for.

Models the application layer already defines (DocumentSummary, DecisionOutcome, UserPublic,
TokenPublic, FindingPublic) are reused as they are.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from disclosure.attributes import DisclosureAttribute, Role
from disclosure.publication import Validity
from disclosure.review import Decision
from services.identities import TokenPublic


class Body(BaseModel):
    """A request body: unknown fields are refused, never ignored."""

    model_config = ConfigDict(extra="forbid")


class Me(BaseModel):
    """Who the token belongs to, with roles and review levels as they are now."""

    username: str
    roles: list[str]
    review_levels: list[str]


class SubmitResult(BaseModel):
    """What intake did."""

    document_id: str
    version: int
    created: bool = Field(description="false: the same content was submitted before; nothing new was recorded")


class VersionAttachment(BaseModel):
    """An attachment of a version (bytes only through a presigned link)."""

    file_name: str
    media_type: str
    size: int
    sha256: str


class VersionInfo(BaseModel):
    """One version of a document."""

    number: int
    content_sha256: str
    created_at: datetime
    release_at: datetime | None = Field(default=None, description="定时发布: not public before this moment")
    release_flow_run_id: str | None = Field(default=None, description="the publish run scheduled at release_at")
    attachments: list[VersionAttachment]


class PublicationInfo(BaseModel):
    """One publication of a version."""

    version: int
    index_number: str
    published_at: datetime
    public_prefix: str
    content_sha256: str
    change_note: str


class AuditEntry(BaseModel):
    """One event of the document's history."""

    sequence: int
    occurred_at: datetime
    actor: str
    action: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    reason: str | None


class DocumentDetail(BaseModel):
    """A document with its versions, publications, open deadlines and history (``govpub status``)."""

    model_config = ConfigDict(extra="allow")

    id: str
    title: str
    doc_number: str | None
    kind: str
    category: str
    state: str
    attribute: str
    drafter: str | None
    current_version: int
    item_type: str
    interprets: str | None
    interpretations: list[dict[str, Any]]
    index_number: str | None
    validity: str | None
    publications: list[PublicationInfo]
    channel_copies: list[dict[str, Any]]
    deadlines: list[dict[str, Any]]
    unscreened: list[dict[str, Any]]
    versions: list[VersionInfo]
    audit: list[AuditEntry]


class AttachmentLink(BaseModel):
    """A presigned URL to a private attachment."""

    url: str
    expires_in: int = Field(description="seconds the URL stays valid (at most 300)")


class DecisionBody(Body):
    """A reviewer's decision on the level waiting now."""

    decision: Decision
    comment: str = Field(default="", max_length=2000)
    attribute: DisclosureAttribute | None = Field(default=None, description="confirmed at the last level")
    ground: str | None = Field(default=None, max_length=200, description="legal ground of 不予公开")
    acknowledge_unscreened: bool = False


class ReferralBody(Body):
    """The secrecy administration's answer on a referred document."""

    cleared: bool
    comment: str = Field(min_length=1, max_length=2000)


class PublishedItem(BaseModel):
    """A version that went out."""

    document_id: str
    version: int
    index_number: str


class PublishResult(BaseModel):
    """What one publish call did."""

    root_id: str
    state: str = Field(description="published, held, embargoed (定时发布), failed, partial or nothing")
    published: list[PublishedItem]
    reason: str
    left_for_reconciler: str


class WithdrawBody(Body):
    """Why a document is taken down (public)."""

    reason: str = Field(min_length=1, max_length=2000)


class ValidityBody(Body):
    """A validity change."""

    validity: Validity
    note: str = Field(min_length=1, max_length=2000)
    amended_by: str | None = Field(default=None, max_length=32)


class ActResult(BaseModel):
    """A recorded act, and what was left for the reconciler (a backing service down), if anything."""

    document_id: str
    left_for_reconciler: str | None


class DeadlineOut(BaseModel):
    """An open deadline with its computation."""

    document_id: str
    kind: str
    title: str
    due: date
    provisional: bool
    overdue: bool
    basis: str
    computation: dict[str, Any]


class UserCreate(Body):
    """A new user."""

    username: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=100)
    roles: list[Role] = Field(min_length=1)
    review_levels: list[str] = Field(default_factory=list)
    department: str = Field(default="", max_length=100)
    agency: str | None = Field(default=None, max_length=64)


class TokenCreate(Body):
    """A new personal token."""

    expires_days: int = Field(default=90, ge=1, le=366)
    name: str = Field(default="", max_length=100)


class NewTokenOut(BaseModel):
    """A token just created; the secret is shown this once."""

    token: TokenPublic
    secret: str


class ChannelBody(Body):
    """A downstream channel's registration."""

    title: str = Field(min_length=1, max_length=200)
    webhook: str | None = Field(default=None, max_length=500)
    secret: str | None = Field(default=None, max_length=200)
    categories: list[str] = Field(default_factory=list)
    agencies: list[str] = Field(default_factory=list)


class ChannelRegistered(BaseModel):
    """A registered channel; ``secret`` only when govpub generated one (shown this once)."""

    name: str
    secret: str | None


class ChannelOut(BaseModel):
    """A channel with its entries and delivery state."""

    name: str
    kind: str
    title: str
    active: bool
    items: int
    archive_pages: int
    webhook: str | None
    categories: list[str]
    agencies: list[str]
    deliveries: dict[str, int]
    last_delivery: dict[str, Any] | None


class DeliveryOut(BaseModel):
    """One delivery to a channel."""

    delivery_id: str
    event: str
    document_id: str
    state: str
    attempts: int
    last_error: str


class Health(BaseModel):
    """The server answers."""

    status: str
