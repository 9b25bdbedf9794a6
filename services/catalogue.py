"""The public catalogue (政府信息公开目录) and its full-text search — public, no principal needed.

Only what is public can be reached: the rows read here are written when a publication is recorded
(the published record of the newest public version) and removed when the document is withdrawn,
and every read also joins the document and drops a withdrawn one. A withdrawn item answers by its
索引号 with the notice only. Search ranks items with every term in the title first, then the rest;
within each, newest first publication first. Cursors are keysets (tier, row id): a row keeps its id
across corrections and new publications get higher ids, so paging never repeats or skips an item
while others are published.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import Engine, text
from sqlmodel import Session, col, delete, select

from disclosure.errors import InvalidInput, NotFound, Violation
from disclosure.publication import Validity, public_prefix
from disclosure.states import DocumentState
from feeds.channels import is_absolute
from feeds.sanitize import public_html
from services.bootstrap import App
from services.extract.text import html_text
from services.public_objects import read_public
from services.public_records import KIND_LABELS, last_publication, version_row
from storage.db import read_scope, session_scope
from storage.models import Agency, AuditEvent, CatalogueText, Document, Publication, aware
from storage.repository import search

MAX_LIMIT = 100
MAX_FACET_VALUES = 200
EXCERPT_CHARS = 80


class CatalogueItemNotFound(NotFound):
    """No public item (and no withdrawal notice) has this 索引号."""


class CatalogueLink(BaseModel):
    """A link to a related public item (an interpretation, or the policy it interprets)."""

    index_number: str
    title: str
    url: str


class CatalogueAttachment(BaseModel):
    """An attachment of the public copy."""

    file_name: str
    media_type: str
    size: int
    url: str


class CatalogueEntry(BaseModel):
    """One public item as the catalogue shows it (from its published record; validity as of now)."""

    status: Literal["public"] = "public"
    index_number: str = Field(description="索引号")
    title: str
    doc_number: str | None = Field(description="发文字号")
    agency: str = Field(description="发布机构")
    agency_code: str
    co_issuers: list[str]
    written_on: date = Field(description="成文日期")
    published_on: date = Field(description="发布日期 of this version")
    first_published_on: date
    category: str = Field(description="主题分类")
    kind: str
    kind_label: str
    item_type: str = Field(description="document or interpretation")
    validity: Validity = Field(description="有效性: valid, expired, repealed, amended")
    validity_label: str
    validity_note: str
    summary: str | None = Field(description="内容概述")
    version: int
    change_note: str | None = Field(description="更正说明 of a corrected version")
    url: str = Field(description="the public copy's body.html")
    metadata_url: str
    attachments: list[CatalogueAttachment]
    interpretations: list[CatalogueLink] = Field(description="published interpretations of this policy")
    interprets: CatalogueLink | None = Field(description="the policy this interpretation explains")


class WithdrawnItem(BaseModel):
    """What stays public of a withdrawn item: the notice."""

    status: Literal["withdrawn"] = "withdrawn"
    index_number: str
    title: str
    reason: str
    withdrawn_at: datetime | None


CatalogueItem = Annotated[CatalogueEntry | WithdrawnItem, Field(discriminator="status")]


class CataloguePage(BaseModel):
    """One page of the catalogue; ``next`` is the cursor of the following page, null at the end."""

    items: list[CatalogueEntry]
    next: str | None


class CatalogueFacets(BaseModel):
    """What the catalogue's filters can choose from: the values public items carry now."""

    categories: list[str] = Field(description="主题分类 of public items, in order")
    agencies: list[tuple[str, str]] = Field(description="(agency code, name) of agencies with public items")
    years: list[int] = Field(description="years of first publication, newest first")
    kinds: list[tuple[str, str]] = Field(description="(kind, label) of every kind")
    validities: list[tuple[str, str]] = Field(description="(validity, label) of every validity")


class CatalogueQuery(BaseModel):
    """A catalogue listing or search: filters, cursor, page size."""

    q: str | None = Field(default=None, max_length=200, description="search words (two characters find all)")
    category: str | None = Field(default=None, max_length=100, description="主题分类")
    agency: str | None = Field(default=None, max_length=40, description="agency code")
    year: int | None = Field(default=None, ge=1900, le=9999, description="year of first publication")
    kind: str | None = Field(default=None, max_length=32)
    validity: Validity | None = None
    cursor: str | None = Field(default=None, max_length=200)
    limit: int = Field(default=20, ge=1, le=MAX_LIMIT)


class CatalogueService:
    """Lists, searches and finds public items.

    Records carry absolute links when a public base URL was configured at publication, else
    references relative to the public bucket's root (``documents/…``): ``public_base_url`` is put
    in front of those (``"/"`` where the public routes of the API serve ``/documents/…``).
    """

    def __init__(self, engine: Engine, *, public_base_url: str | None = None) -> None:
        self._engine = engine  # reads in read_scope: a deferred, query-only transaction on SQLite
        self._base = public_base_url

    def query(self, request: CatalogueQuery) -> CataloguePage:
        """A page of the listing, or of the search when ``q`` is given."""
        filters = search.Filters(request.category, request.agency, request.year, request.kind,
                                 request.validity.value if request.validity else None)  # fmt: skip
        tier, before = _decode(request.cursor)
        with read_scope(self._engine) as session:
            if request.q is None or not request.q.strip():
                found = [(0, i) for i in search.list_ids(session, filters=filters, before=before,
                                                         limit=request.limit + 1)]  # fmt: skip
            else:
                found = self._search(
                    session, search.parse_query(request.q), filters, tier=tier, before=before, limit=request.limit
                )
            more = len(found) > request.limit
            found = found[: request.limit]
            items = self._entries(session, [row_id for _, row_id in found])
        return CataloguePage(items=items, next=_encode(*found[-1]) if more and found else None)

    @staticmethod
    def _search(
        session: Session, query: search.Query, filters: search.Filters, *, tier: int, before: int | None, limit: int
    ) -> list[tuple[int, int]]:
        if query.empty:
            return []
        found: list[tuple[int, int]] = []
        if tier == 0:
            ids = search.search_ids(session, query, title_tier=True, filters=filters, before=before, limit=limit + 1)
            found = [(0, i) for i in ids]
            before = None
        if len(found) <= limit:
            ids = search.search_ids(session, query, title_tier=False, filters=filters, before=before,
                                    limit=limit + 1 - len(found))  # fmt: skip
            found += [(1, i) for i in ids]
        return found

    def count(self, request: CatalogueQuery, *, cap: int = 1000) -> tuple[int, bool]:
        """How many items the listing or search reaches (whatever the cursor): at most ``cap``, and
        whether there are more. Bounded: it reads at most ``cap + 1`` ids of the same rows."""
        filters = search.Filters(request.category, request.agency, request.year, request.kind,
                                 request.validity.value if request.validity else None)  # fmt: skip
        with read_scope(self._engine) as session:
            if request.q is None or not request.q.strip():
                found = len(search.list_ids(session, filters=filters, before=None, limit=cap + 1))
            elif (query := search.parse_query(request.q)).empty:
                found = 0
            else:  # as many as _search would find, counted in no order
                found = search.count_ids(session, query, title_tier=True, filters=filters, limit=cap + 1)
                if found <= cap:
                    found += search.count_ids(session, query, title_tier=False, filters=filters,
                                              limit=cap + 1 - found)  # fmt: skip
        return min(found, cap), found > cap

    def excerpts(self, q: str | None, index_numbers: list[str]) -> dict[str, str]:
        """Where the search words occur in these public items' searchable text (文号, 内容概述, body):
        about EXCERPT_CHARS characters around the first one found, as the index stores the text
        (NFKC, case folded); 索引号 → excerpt, none for an item whose words are only in the title."""
        query = search.parse_query(q or "")
        if query.empty or not index_numbers:
            return {}
        with read_scope(self._engine) as session:
            rows = session.exec(select(CatalogueText.index_number, CatalogueText.body_text)
                                .where(col(CatalogueText.index_number).in_(index_numbers))).all()  # fmt: skip
        found: dict[str, str] = {}
        for number, body in rows:
            at = min((i for term in query.terms if (i := body.find(term)) >= 0), default=-1)
            if at < 0:
                continue
            start = max(0, at - EXCERPT_CHARS // 4)
            end = min(len(body), start + EXCERPT_CHARS)
            piece = " ".join(body[start:end].split())
            found[number] = ("…" if start else "") + piece + ("…" if end < len(body) else "")
        return found

    def facets(self) -> CatalogueFacets:
        """The filter values public items carry (distinct values read by skipping along each index)."""
        with read_scope(self._engine) as session:
            categories = [str(v) for v in _distinct(session, "category")]
            codes = [str(v) for v in _distinct(session, "agency")]
            years = sorted((int(str(v)) for v in _distinct(session, "year")), reverse=True)
            names = dict(session.exec(select(Agency.code, Agency.name).where(col(Agency.code).in_(codes))).all())
        return CatalogueFacets(
            categories=categories, agencies=[(code, names.get(code, code)) for code in codes], years=years,
            kinds=[(kind, label) for kind, label in KIND_LABELS.items()],
            validities=[(v.value, v.label) for v in Validity],
        )  # fmt: skip

    def get(self, index_number: str) -> CatalogueEntry | WithdrawnItem:
        """One item by its 索引号: the entry, or the notice of its withdrawal."""
        with read_scope(self._engine) as session:
            row = session.exec(select(CatalogueText).where(CatalogueText.index_number == index_number)).first()
            if row is not None and row.id is not None and (entries := self._entries(session, [row.id])):
                return entries[0]
            document = session.exec(select(Document).where(Document.index_number == index_number)).first()
            if document is None or DocumentState(document.state) is not DocumentState.WITHDRAWN:
                raise CatalogueItemNotFound(f"no public item has the 索引号 {index_number}")
            last = last_publication(session, document.id)
            event = session.exec(select(AuditEvent).where(
                AuditEvent.entity_id == document.id, AuditEvent.action == "document.withdrawn",
            ).order_by(col(AuditEvent.sequence).desc())).first()  # fmt: skip
            if last is None:
                raise CatalogueItemNotFound(f"no public item has the 索引号 {index_number}")
            return WithdrawnItem(index_number=index_number, title=str(last.record["title"]),
                                 reason=(event.reason or "") if event else "",
                                 withdrawn_at=aware(event.occurred_at) if event else None)  # fmt: skip

    def _entries(self, session: Session, ids: list[int]) -> list[CatalogueEntry]:
        if not ids:
            return []
        rows = session.exec(
            select(CatalogueText.id, CatalogueText.agency, Publication.record, Document)
            .join(Publication, col(Publication.id) == CatalogueText.publication_id)
            .join(Document, col(Document.id) == CatalogueText.document_id)
            .where(col(CatalogueText.id).in_(ids), Document.state != DocumentState.WITHDRAWN.value)
        ).all()
        documents = [d for _, _, _, d in rows]
        links = self._links(session, [d.id for d in documents], [d.interprets_id for d in documents if d.interprets_id])
        order = search.ids_in_order(ids)
        return [self._entry(agency, record, document, links)
                for row_id, agency, record, document in sorted(rows, key=lambda r: order[r[0] or 0])]  # fmt: skip

    def _links(
        self, session: Session, document_ids: list[str], policy_ids: list[str]
    ) -> dict[str, tuple[str | None, CatalogueLink]]:
        """Public links of the policies and of the interpretations of these documents: id → (interprets, link)."""
        found: dict[str, tuple[str | None, CatalogueLink]] = {}
        for column, values in ((Document.interprets_id, document_ids), (Document.id, policy_ids)):
            if not values:
                continue
            rows = session.exec(
                select(Publication.record, Document.id, Document.interprets_id)
                .select_from(Document)  # from the document: its (partial) interprets_id index
                .join(CatalogueText, col(CatalogueText.document_id) == Document.id)
                .join(Publication, col(Publication.id) == CatalogueText.publication_id)
                .where(col(column).in_(values), Document.state != DocumentState.WITHDRAWN.value)
            ).all()
            found.update({doc_id: (of, self._link(record)) for record, doc_id, of in rows})
        return found

    def _link(self, record: Mapping[str, Any]) -> CatalogueLink:
        return CatalogueLink(index_number=record["index_number"], title=record["title"],
                             url=self._url(record["body"]["url"]))  # fmt: skip

    def _url(self, ref: str) -> str:
        return ref if self._base is None or is_absolute(ref) else f"{self._base.rstrip('/')}/{ref}"

    def _entry(
        self, agency: str, record: Mapping[str, Any], document: Document,
        links: dict[str, tuple[str | None, CatalogueLink]],
    ) -> CatalogueEntry:  # fmt: skip
        body_url = self._url(record["body"]["url"])
        validity = Validity(document.validity)
        interprets = links.get(document.interprets_id or "")
        return CatalogueEntry(
            index_number=record["index_number"], title=record["title"], doc_number=record.get("doc_number"),
            agency=record["issuing_agency"], agency_code=agency, co_issuers=record.get("co_issuers") or [],
            written_on=record["written_on"], published_on=record["published_on"],
            first_published_on=record.get("first_published_on") or record["published_on"],
            category=record["category"], kind=record["kind"],
            kind_label=KIND_LABELS.get(record["kind"], record["kind"]),
            item_type=record.get("item_type") or "document", validity=validity, validity_label=validity.label,
            validity_note=document.validity_note, summary=record.get("summary"), version=record["version"],
            change_note=record.get("change_note"), url=body_url,
            metadata_url=body_url.removesuffix("body.html") + "metadata.json",
            attachments=[CatalogueAttachment(file_name=a["file_name"], media_type=a["media_type"], size=a["size"],
                                             url=self._url(a["url"])) for a in record.get("attachments") or []],
            interpretations=[link for of, link in links.values() if of == document.id],
            interprets=interprets[1] if interprets else None,
        )  # fmt: skip


def _distinct(session: Session, column: Literal["category", "agency", "year"]) -> list[object]:
    """Distinct values of an indexed catalogue column in order: one index probe per value (a loose
    index scan), so the cost follows the number of values, not of items."""
    sql = (f"WITH RECURSIVE v(x) AS (SELECT MIN({column}) FROM catalogue_text UNION ALL "  # noqa: S608 - fixed names
           f"SELECT (SELECT MIN({column}) FROM catalogue_text WHERE {column} > v.x) FROM v WHERE v.x IS NOT NULL) "
           f"SELECT x FROM v WHERE x IS NOT NULL LIMIT {MAX_FACET_VALUES}")  # fmt: skip
    return [row[0] for row in session.execute(text(sql))]


def public_body(app: App, entry: CatalogueEntry) -> str:
    """The body of an entry's public copy: the HTML publication wrote after sanitising it with nh3
    (``feeds.sanitize.public_html``), read from the public bucket — never the drafter's input."""
    return read_public(app, public_prefix(entry.index_number, entry.version) + "body.html").decode("utf-8")


def _encode(tier: int, row_id: int) -> str:
    raw = json.dumps({"v": 1, "tier": tier, "id": row_id}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class _Cursor(BaseModel):
    v: Literal[1]
    tier: Literal[0, 1]
    id: int = Field(ge=0)


def _decode(cursor: str | None) -> tuple[int, int | None]:
    if not cursor:
        return 0, None
    try:
        parsed = _Cursor.model_validate_json(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValidationError, binascii.Error, ValueError):
        raise InvalidInput([Violation("cursor", "not a cursor this catalogue issued")]) from None
    return parsed.tier, parsed.id


# -- the index: written with each publication, removed on withdrawal ---------------------------
def index_publication(session: Session, publication: Publication, body_html: str) -> None:
    """Make this publication the document's catalogue entry (its first, or its correction)."""
    record = publication.record
    document = session.get(Document, publication.document_id)
    agency = session.get(Agency, document.agency_id) if document else None
    assert document is not None  # noqa: S101 - foreign key
    assert agency is not None  # noqa: S101 - foreign key
    assert publication.id is not None  # noqa: S101 - flushed
    parts = [record.get("doc_number"), record.get("summary"), html_text(body_html)]
    title_text = search.normalise(record["title"])
    body_text = search.normalise("\n".join(p for p in parts if p))
    row = session.exec(select(CatalogueText).where(CatalogueText.document_id == document.id)).first()
    if row is None:
        row = CatalogueText(document_id=document.id, publication_id=publication.id, index_number="", agency="",
                            category="", kind="", year=0, title_text="", body_text="")  # fmt: skip
    elif row.id is not None:
        search.unindex(session, row_id=row.id, title_text=row.title_text, body_text=row.body_text)
    first = record.get("first_published_on") or record["published_on"]
    row.publication_id, row.index_number, row.agency = publication.id, record["index_number"], agency.code
    row.category, row.kind, row.year = record["category"], record["kind"], int(str(first)[:4])
    row.title_text, row.body_text = title_text, body_text
    session.add(row)
    session.flush()
    assert row.id is not None  # noqa: S101 - flushed
    search.write_index(session, row_id=row.id, title_text=title_text, body_text=body_text)


def remove_from_index(session: Session, document_id: str) -> None:
    """Take a withdrawn document out of the catalogue and the search index."""
    row = session.exec(select(CatalogueText).where(CatalogueText.document_id == document_id)).first()
    if row is not None and row.id is not None:
        search.unindex(session, row_id=row.id, title_text=row.title_text, body_text=row.body_text)
        session.delete(row)
        session.flush()


def rebuild_index(engine: Engine, *, full: bool = False) -> int:
    """Index every public item missing or stale in the catalogue (all of them with ``full``); how many.

    For data published before the catalogue existed, and after a change of the tokenisation.
    """
    with session_scope(engine) as session:
        if full:
            search.clear_index(session)
            session.execute(delete(CatalogueText))
        current = {c.document_id: c for c in session.exec(select(CatalogueText))}
        done = 0
        documents = session.exec(select(Document).where(col(Document.index_number).is_not(None))).all()
        for document in sorted(documents, key=lambda d: d.index_number or ""):
            last = last_publication(session, document.id)
            withdrawn = DocumentState(document.state) is DocumentState.WITHDRAWN
            row = current.get(document.id)
            if withdrawn or last is None:
                if row is not None:
                    remove_from_index(session, document.id)
                    done += 1
                continue
            if row is None or row.publication_id != last.id:
                submission = version_row(session, document.id, last.version).submission
                index_publication(session, last, public_html(submission["body"], submission.get("body_format", "text")))
                done += 1
        return done
