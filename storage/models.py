"""SQLModel tables. Enum values are stored as their string values, validated before rows are built."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index, Text, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlmodel import Field, SQLModel

# bigram tsvectors on PostgreSQL (GIN-indexed); SQLite searches through FTS5 and leaves these NULL
_GRAMS = Text().with_variant(TSVECTOR(), "postgresql")


def utcnow() -> datetime:
    """The current time, timezone-aware."""
    return datetime.now(UTC)


def aware(moment: datetime) -> datetime:
    """A stored moment as an aware datetime (SQLite gives back naive values; they are UTC)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _ts(*, nullable: bool = False) -> Any:  # noqa: ANN401 - SQLModel's Field returns Any
    return Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=nullable))


class Agency(SQLModel, table=True):
    """An issuing agency (机关) and its catalogue settings."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True)
    name: str = Field(max_length=100)
    org_code: str = Field(max_length=18)
    index_template: str = Field(max_length=100)
    interpretation_limit_days: int = 3
    interpretation_release: str = Field(default="together", max_length=20)
    published_contacts: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = _ts()


class User(SQLModel, table=True):
    """A person (or channel account) who acts in govpub."""

    __tablename__ = "govpub_user"

    id: int | None = Field(default=None, primary_key=True)
    agency_id: int = Field(foreign_key="agency.id", index=True)
    username: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=100)
    department: str = Field(default="", max_length=100)
    active: bool = True
    password_hash: str | None = Field(default=None, max_length=200)  # argon2id; None: no password set
    failed_logins: int = 0  # consecutive failed password logins (reset on success)
    locked_until: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))


class ApiToken(SQLModel, table=True):
    """A personal API token: only its sha256 is stored; the secret is shown once."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="govpub_user.id", index=True)
    name: str = Field(default="", max_length=100)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = _ts()
    expires_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    last_used_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))


class WebSession(SQLModel, table=True):
    """A signed-in browser session: only the sha256 of the cookie's secret is stored."""

    __tablename__ = "web_session"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="govpub_user.id", index=True)
    secret_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = _ts()
    expires_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))  # absolute limit
    last_seen_at: datetime = _ts()  # idle limit counts from here
    revoked_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))


class UserRole(SQLModel, table=True):
    """A role a user holds; reviewers hold one row per review level."""

    __table_args__ = (UniqueConstraint("user_id", "role", "level"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="govpub_user.id", index=True)
    role: str = Field(max_length=32)
    level: str = Field(default="", max_length=40)


class Document(SQLModel, table=True):
    """A document or interpretation, with the fields that identify it and its state."""

    # Partial: almost every row is NULL here, and a full index on it looks useless to the planner
    # once statistics exist (it then scans the table to find a policy's interpretations).
    __table_args__ = (
        Index("ix_document_interprets_id", "interprets_id",
              sqlite_where=text("interprets_id IS NOT NULL"), postgresql_where=text("interprets_id IS NOT NULL")),
    )  # fmt: skip

    id: str = Field(primary_key=True, max_length=32)
    agency_id: int = Field(foreign_key="agency.id", index=True)
    item_type: str = Field(default="document", max_length=20)
    interprets_id: str | None = Field(default=None, foreign_key="document.id")
    title: str = Field(max_length=200)
    doc_number: str | None = Field(default=None, max_length=60)
    kind: str = Field(max_length=32)
    category: str = Field(max_length=100)
    attribute: str = Field(max_length=20)
    grade: str = Field(default="ordinary", max_length=20)
    state: str = Field(max_length=20, index=True)
    drafter_id: int = Field(foreign_key="govpub_user.id", index=True)
    current_version: int = 1
    index_number: str | None = Field(default=None, max_length=64, unique=True)
    validity: str = Field(default="valid", max_length=20)
    validity_note: str = Field(default="", max_length=500)
    # the public status.json is behind the record since this moment (a validity change commits first and
    # writes it after); cleared once a write of the record as it stood then has returned
    status_due_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class DocumentVersion(SQLModel, table=True):
    """One submitted content of a document; approvals bind to its content hash."""

    __tablename__ = "document_version"
    __table_args__ = (UniqueConstraint("document_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    document_id: str = Field(foreign_key="document.id", index=True, max_length=32)
    number: int
    content_sha256: str = Field(max_length=64, index=True)
    submission: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    submission_key: str = Field(max_length=300)
    body_key: str = Field(max_length=300)
    created_by: int = Field(foreign_key="govpub_user.id")
    created_at: datetime = _ts()
    # 定时发布: nothing of this version is public before release_at (the submission's, or as the disclosure
    # office changed it); the publish-document flow run scheduled at that moment (migration 0015)
    release_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
    release_flow_run_id: str | None = Field(default=None, max_length=36)


class Attachment(SQLModel, table=True):
    """A file attached to a version; its bytes are stored once per sha256."""

    __table_args__ = (UniqueConstraint("version_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="document_version.id", index=True)
    position: int
    file_name: str = Field(max_length=255)
    media_type: str = Field(max_length=127)
    size: int
    sha256: str = Field(max_length=64, index=True)
    object_key: str = Field(max_length=300)


class AuditEvent(SQLModel, table=True):
    """An append-only record of a state change; ``hash`` covers ``prev_hash``."""

    __tablename__ = "audit_event"

    sequence: int = Field(primary_key=True)
    occurred_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    actor: str = Field(max_length=64)
    action: str = Field(max_length=64, index=True)
    entity_type: str = Field(max_length=32)
    entity_id: str = Field(max_length=64, index=True)
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    reason: str | None = None
    prev_hash: str = Field(max_length=64, unique=True)
    hash: str = Field(max_length=64, unique=True)


class AuditHead(SQLModel, table=True):
    """The single row locked while appending, so concurrent writers cannot fork the chain."""

    __tablename__ = "audit_head"

    id: int = Field(default=1, primary_key=True)
    sequence: int = 0
    hash: str = Field(max_length=64)


class AuditCheckpoint(SQLModel, table=True):
    """A signed checkpoint of the audit log as published (``body`` is the exact public JSON).

    ``chain_hash`` is event #tree_size's hash and ``frontier`` the Merkle subtree roots at that size
    (hex), so the next checkpoint reads only the events after it.
    """

    __tablename__ = "audit_checkpoint"

    tree_size: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    root_hash: str = Field(max_length=64)
    chain_hash: str = Field(max_length=64)
    frontier: list[str] = Field(sa_column=Column(JSON, nullable=False))
    issued_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    key_id: str = Field(max_length=64)
    body: str


class NegativeTerm(SQLModel, table=True):
    """An entry of an agency's negative list (负面清单) with its legal ground."""

    __tablename__ = "negative_term"
    __table_args__ = (UniqueConstraint("agency_id", "term"),)

    id: int | None = Field(default=None, primary_key=True)
    agency_id: int = Field(foreign_key="agency.id", index=True)
    term: str = Field(max_length=200)
    ground: str = Field(max_length=200)
    owner: str = Field(default="", max_length=100)
    reviewed_on: str = Field(default="", max_length=10)


class ReviewChain(SQLModel, table=True):
    """The ordered review levels for a category (or '*') and grade."""

    __tablename__ = "review_chain"
    __table_args__ = (UniqueConstraint("agency_id", "category", "grade"),)

    id: int | None = Field(default=None, primary_key=True)
    agency_id: int = Field(foreign_key="agency.id", index=True)
    category: str = Field(max_length=100)
    grade: str = Field(max_length=20)
    levels: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))


class ScreeningFinding(SQLModel, table=True):
    """A screening finding on one version; masked, never the raw value."""

    __tablename__ = "screening_finding"

    id: int | None = Field(default=None, primary_key=True)
    document_id: str = Field(foreign_key="document.id", index=True, max_length=32)
    version: int
    detector: str = Field(max_length=32)
    source: str = Field(max_length=255)
    location: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    masked: str = Field(max_length=255)
    note: str = Field(default="", max_length=255)


class ReviewRun(SQLModel, table=True):
    """The review of one version: its chain, where it waits, and the Prefect flow run driving it."""

    __tablename__ = "review_run"
    __table_args__ = (UniqueConstraint("document_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    document_id: str = Field(foreign_key="document.id", index=True, max_length=32)
    version: int
    content_sha256: str = Field(max_length=64)
    grade: str = Field(max_length=20)
    levels: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    state: str = Field(max_length=20, index=True)
    position: int = 0
    attempt: int = 0
    flow_run_id: str | None = Field(default=None, max_length=36)
    waiting_since: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    created_at: datetime = _ts()
    # needs_attention: why (an AttentionReason), in words, and the sha256 of what the failure depended on
    attention_reason: str | None = Field(default=None, max_length=40)
    attention_detail: str | None = Field(default=None, max_length=500)
    attention_fingerprint: str | None = Field(default=None, max_length=64)


class ReviewDecision(SQLModel, table=True):
    """One reviewer's decision at one level of one version, bound to the content it saw."""

    __tablename__ = "review_decision"
    __table_args__ = (UniqueConstraint("document_id", "version", "level"),)

    id: int | None = Field(default=None, primary_key=True)
    document_id: str = Field(foreign_key="document.id", index=True, max_length=32)
    version: int
    level: str = Field(max_length=40)
    position: int
    decision: str = Field(max_length=20)
    reviewer_id: int = Field(foreign_key="govpub_user.id")
    comment: str = Field(default="", max_length=2000)
    content_sha256: str = Field(max_length=64)
    confirmed_attribute: str | None = Field(default=None, max_length=20)
    confirmed_ground: str | None = Field(default=None, max_length=200)
    via: str = Field(max_length=10)
    decided_at: datetime = _ts()


class IndexSerial(SQLModel, table=True):
    """The last 索引号 serial issued per agency and year (locked while issuing the next)."""

    __tablename__ = "index_serial"

    agency_id: int = Field(foreign_key="agency.id", primary_key=True)
    year: int = Field(primary_key=True)
    last: int = 0


class Release(SQLModel, table=True):
    """A policy and its interpretations published as one unit; failures are recorded and re-driven."""

    id: int | None = Field(default=None, primary_key=True)
    root_id: str = Field(foreign_key="document.id", index=True, max_length=32)
    key: str = Field(max_length=400, unique=True)
    members: list[list[Any]] = Field(sa_column=Column(JSON, nullable=False))
    state: str = Field(max_length=20, index=True)
    attempts: int = 0
    error: str = Field(default="", max_length=2000)
    written: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class Publication(SQLModel, table=True):
    """The public copy of one version: unique per (document, version), never overwritten."""

    __table_args__ = (UniqueConstraint("document_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    document_id: str = Field(foreign_key="document.id", index=True, max_length=32)
    version: int
    index_number: str = Field(max_length=64, index=True)
    release_id: int | None = Field(default=None, foreign_key="release.id")
    public_prefix: str = Field(max_length=300)
    content_sha256: str = Field(max_length=64)
    record: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    change_note: str = Field(default="", max_length=2000)
    published_at: datetime = _ts()


class FeedChannel(SQLModel, table=True):
    """A feed: all, per category, per agency, or a registered downstream channel (with its webhook)."""

    __tablename__ = "feed_channel"

    name: str = Field(primary_key=True, max_length=120)
    kind: str = Field(max_length=20)
    title: str = Field(max_length=200)
    categories: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    agencies: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    webhook_url: str | None = Field(default=None, max_length=500)
    webhook_secret: str | None = Field(default=None, max_length=200)
    active: bool = True
    last_seq: int = 0
    archived_pages: int = 0
    created_at: datetime = _ts()
    feed_id: str | None = Field(default=None, max_length=300)  # fixed at the first rebuild, never changed


class FeedItem(SQLModel, table=True):
    """One appended feed event (publish, correct, withdraw, validity) of one channel, in order."""

    __tablename__ = "feed_item"
    __table_args__ = (UniqueConstraint("channel", "seq"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(foreign_key="feed_channel.name", max_length=120)
    seq: int
    document_id: str = Field(foreign_key="document.id", index=True, max_length=32)
    version: int
    action: str = Field(max_length=20)
    entry: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    occurred_at: datetime = _ts()


class Delivery(SQLModel, table=True):
    """A signed webhook to one channel, with its attempts (the delivery log)."""

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: str = Field(max_length=36, unique=True)
    channel: str = Field(foreign_key="feed_channel.name", index=True, max_length=120)
    event: str = Field(max_length=64)
    target: str = Field(max_length=500)
    document_id: str = Field(max_length=32, index=True)
    body: str
    state: str = Field(max_length=20, index=True)
    attempts: int = 0
    next_attempt_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    last_status: int | None = None
    last_error: str = Field(default="", max_length=500)
    created_at: datetime = _ts()
    delivered_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    subscription_id: int | None = Field(default=None, foreign_key="websub_subscription.id", index=True)
    # the sender holding it now (a token per claim; next_attempt_at is then the end of its lease)
    lease_token: str | None = Field(default=None, max_length=36)


class WebSubSubscription(SQLModel, table=True):
    """A verified WebSub subscription to one feed head page (topic) of the built-in hub."""

    __tablename__ = "websub_subscription"
    __table_args__ = (UniqueConstraint("topic", "callback"),)

    id: int | None = Field(default=None, primary_key=True)
    topic: str = Field(max_length=500)
    callback: str = Field(max_length=500)
    channel: str = Field(foreign_key="feed_channel.name", index=True, max_length=120)
    fmt: str = Field(max_length=10)  # atom, rss, json
    hub_url: str = Field(max_length=500)  # the hub as the subscriber addressed it (the Link header names it)
    secret: str | None = Field(default=None, max_length=200)
    state: str = Field(max_length=20, index=True)  # active, unsubscribed, expired, gone
    lease_seconds: int
    expires_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    content_sha256: str = Field(default="", max_length=64)  # of the content last queued for it
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class DeadlineNotice(SQLModel, table=True):
    """An overdue deadline that has been announced (so the event is raised once)."""

    __tablename__ = "deadline_notice"
    __table_args__ = (UniqueConstraint("document_id", "kind", "due"),)

    id: int | None = Field(default=None, primary_key=True)
    document_id: str = Field(foreign_key="document.id", max_length=32)
    kind: str = Field(max_length=40)
    due: str = Field(max_length=10)
    notified_at: datetime = _ts()


class ChannelCopy(SQLModel, table=True):
    """A downstream channel's own copy of a document (its id and URL there), as its webhook reported."""

    __tablename__ = "channel_copy"
    __table_args__ = (UniqueConstraint("channel", "document_id"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(foreign_key="feed_channel.name", max_length=120)
    document_id: str = Field(foreign_key="document.id", index=True, max_length=32)
    copy_id: str = Field(max_length=200)
    url: str = Field(default="", max_length=500)
    state: str = Field(default="", max_length=40)
    updated_at: datetime = _ts()


class CatalogueText(SQLModel, table=True):
    """One public item of the catalogue (政府信息公开目录): its current public version, filter fields
    taken from the published record, and its normalised searchable text (search index source).

    ``id`` orders the catalogue (newest first publication first) and is kept across corrections.
    On SQLite the FTS5 table ``catalogue_fts`` (rowid = id) indexes the bigrams; on PostgreSQL
    ``title_grams`` / ``grams`` are tsvectors with GIN indexes (plain text columns, unused, on SQLite).
    """

    __tablename__ = "catalogue_text"
    __table_args__ = (
        Index("ix_catalogue_text_grams", "grams", postgresql_using="gin"),
        Index("ix_catalogue_text_title_grams", "title_grams", postgresql_using="gin"),
    )

    id: int | None = Field(default=None, primary_key=True)
    document_id: str = Field(foreign_key="document.id", max_length=32, unique=True)
    publication_id: int = Field(foreign_key="publication.id")
    index_number: str = Field(max_length=64, unique=True)
    agency: str = Field(max_length=40, index=True)  # agency code
    category: str = Field(max_length=100, index=True)
    kind: str = Field(max_length=32, index=True)
    year: int = Field(index=True)  # year of first publication (as in the 索引号)
    title_text: str  # NFKC + casefold
    body_text: str
    title_grams: str | None = Field(default=None, sa_column=Column(_GRAMS, nullable=True))
    grams: str | None = Field(default=None, sa_column=Column(_GRAMS, nullable=True))


from storage.models_applications import Application, ApplicationEvent, ClockEventRow, StatutoryClockRow  # noqa: E402, F401
from storage.models_clocks import DocumentClock  # noqa: E402, F401
from storage.models_report import ReportFigures, ReportText  # noqa: E402, F401
