"""What is said publicly about a version: its metadata record, links to related items, feed entries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from disclosure.attributes import DisclosureAttribute
from disclosure.publication import FeedAction, Validity, public_prefix
from disclosure.states import DocumentState
from feeds.channels import public_url
from feeds.pages import FeedSite
from feeds.sanitize import public_html
from storage.models import Document, DocumentVersion, Publication, aware, utcnow
from storage.objectstore import ObjectStore
from storage.repository.documents import get_document, list_attachments

SHANGHAI = ZoneInfo("Asia/Shanghai")
KIND_LABELS = {
    "rule": "规章",
    "normative_document": "行政规范性文件",
    "policy": "政策文件",
    "notice": "通知公告",
    "report": "报告",
    "other": "其他",
    "interpretation": "政策解读",
}


@dataclass(frozen=True, slots=True)
class Member:
    """One version going out in a release."""

    document_id: str
    version: int
    index_number: str
    corrected: bool  # an earlier version was public: this is a correction


def version_row(session: Session, document_id: str, number: int) -> DocumentVersion:
    """A document's version row."""
    return session.exec(
        select(DocumentVersion).where(DocumentVersion.document_id == document_id, DocumentVersion.number == number)
    ).one()


def local_date(moment: datetime) -> date:
    """The Asia/Shanghai day of a stored moment (naive values are UTC)."""
    return aware(moment).astimezone(SHANGHAI).date()


def last_publication(session: Session, document_id: str) -> Publication | None:
    """The newest public version's publication row."""
    return session.exec(
        select(Publication).where(Publication.document_id == document_id).order_by(col(Publication.version).desc())
    ).first()


def first_published(session: Session, document_id: str) -> datetime | None:
    """When the document was first published (aware)."""
    first = session.exec(
        select(Publication).where(Publication.document_id == document_id).order_by(col(Publication.version))
    ).first()
    if first is None:
        return None
    return aware(first.published_at)


class PublicRecords:
    """Builds records and entries from the database and the public copies."""

    def __init__(self, store: ObjectStore, public_bucket: str, site: FeedSite) -> None:
        self._store = store
        self._bucket = public_bucket
        self._site = site

    def url(self, key: str) -> str:
        """Absolute URL of a public key."""
        return public_url(self._site.base_url, key)

    def entry_id(self, index_number: str, year: int) -> str:
        """The stable entry id of a document (tag URI from its 索引号)."""
        return f"tag:{self._site.tag_authority},{year}:{index_number}"

    def link_to(self, session: Session, document_id: str | None, members: list[Member]) -> dict[str, str] | None:
        """A public link to a related item: published already, or going out in this release."""
        if document_id is None:
            return None
        other = session.get(Document, document_id)
        if other is None or DocumentState(other.state) is DocumentState.WITHDRAWN:
            return None
        in_release = next((m for m in members if m.document_id == document_id), None)
        if in_release is not None:
            number, version = in_release.index_number, in_release.version
        else:
            last = last_publication(session, document_id)
            if last is None:
                return None
            number, version = last.index_number, last.version
        return {"index_number": number, "title": other.title,
                "url": self.url(public_prefix(number, version) + "body.html")}  # fmt: skip

    def _interpretation_links(self, session: Session, document_id: str, members: list[Member]) -> list[dict[str, str]]:
        interpretations = session.exec(select(Document).where(Document.interprets_id == document_id))
        return [link for i in interpretations if (link := self.link_to(session, i.id, members))]

    def record_for(self, session: Session, member: Member, members: list[Member]) -> dict[str, Any]:
        """The public metadata record of one version (written once, with the copy)."""
        document = get_document(session=session, document_id=member.document_id)
        version = version_row(session, member.document_id, member.version)
        sub = version.submission
        prefix = public_prefix(member.index_number, member.version)
        first = first_published(session, document.id)
        first_day = local_date(first) if first else None
        today = datetime.now(SHANGHAI).date()
        published_on = today.isoformat()
        return {
            "index_number": member.index_number,
            "entry_id": self.entry_id(member.index_number, (first_day or today).year),
            "title": document.title,
            "doc_number": document.doc_number,
            "issuing_agency": sub["issuing_agency"],
            "co_issuers": sub.get("co_issuers", []),
            "written_on": sub["written_on"],
            "published_on": published_on,
            "first_published_on": first_day.isoformat() if first_day else published_on,
            "category": document.category,
            "kind": document.kind,
            "item_type": document.item_type,
            "attribute": DisclosureAttribute.PROACTIVE.label,
            "public_scope": sub.get("public_scope"),
            "summary": sub.get("summary"),
            "validity": Validity(document.validity).label,
            "version": member.version,
            "change_note": sub.get("change_note") if member.corrected else None,
            "interpretation": sub.get("interpretation"),
            "interprets": self.link_to(session, document.interprets_id, members),
            "interpretations": self._interpretation_links(session, document.id, members),
            "content_sha256": version.content_sha256,
            "body": {"url": self.url(prefix + "body.html")},
            "attachments": [
                {"file_name": a.file_name, "media_type": a.media_type, "size": a.size, "sha256": a.sha256,
                 "url": self.url(prefix + f"attachments/{a.file_name}")}
                for a in list_attachments(session=session, version_id=version.id or 0)
            ],
        }  # fmt: skip

    def current_record(self, session: Session, last: Publication) -> dict[str, Any]:
        """The published record with today's interpretation links (interpretations may follow later)."""
        record = dict(last.record)
        record["interpretations"] = self._interpretation_links(session, last.document_id, [])
        return record

    def entry(
        self,
        session: Session,
        document: Document,
        record: dict[str, Any],
        action: FeedAction,
        *,
        content_html: str | None = None,
    ) -> dict[str, Any]:
        """The feed entry of a record: full sanitised content (the public copy's body, rendered again
        from the record unless given: no S3 request inside the caller's transaction), enclosures,
        related links, metadata."""
        now = utcnow().isoformat()
        first = first_published(session, document.id)
        prefix = public_prefix(record["index_number"], record["version"])
        interpretations = record.get("interpretations") or []
        related = [{"url": link["url"], "title": f"政策解读：{link['title']}"} for link in interpretations]
        if record.get("interprets"):
            interprets = record["interprets"]
            related.append({"url": interprets["url"], "title": f"解读的政策：{interprets['title']}"})
        categories = [record["category"], KIND_LABELS.get(record["kind"], record["kind"]), record["issuing_agency"]]
        if record.get("doc_number"):
            categories.append(record["doc_number"])
        return {
            "id": record["entry_id"],
            "action": action.value,
            "title": record["title"],
            "summary": record.get("summary") or record["title"],
            "content_html": content_html if content_html is not None else _body_html(session, document.id, record),
            "link": self.url(prefix + "body.html"),
            "published": first.isoformat() if first else now,
            "updated": now,
            "categories": categories,
            "enclosures": [{"url": a["url"], "type": a["media_type"], "length": a["size"], "title": a["file_name"]}
                           for a in record["attachments"]],
            "related": related,
            "meta": {
                "index_number": record["index_number"], "doc_number": record.get("doc_number"),
                "agency": record["issuing_agency"], "written_on": record["written_on"],
                "published_on": record["published_on"], "attribute": record["attribute"],
                "validity": Validity(document.validity).label,
                "interpretation": interpretations[0]["url"] if interpretations else None,
                "interprets": (record.get("interprets") or {}).get("url"), "change_note": record.get("change_note"),
                "version": record["version"], "kind": record["kind"], "category": record["category"],
            },
        }  # fmt: skip


def _body_html(session: Session, document_id: str, record: dict[str, Any]) -> str:
    """The public copy's body.html of a published version, as publication wrote it (from its submission)."""
    submission = version_row(session, document_id, int(record["version"])).submission
    return public_html(submission["body"], submission.get("body_format", "text"))
