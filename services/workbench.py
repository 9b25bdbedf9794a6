"""The reviewers' workbench: what a review page shows beside the facade's use cases — the body as it
would appear publicly (the publication's own sanitiser), the screening findings in their context,
the difference against the previous version, attachments with short-lived links — always with the
values screening found masked. Reading is authorised as the facade authorises it (``document``
first: staff, or a drafter for their own document); findings only for those who see the queue."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel

from disclosure.attributes import Role
from disclosure.review import ReviewState
from disclosure.screening import Detector, Finding, Screener, Segment
from feeds.sanitize import public_html
from services.authz import Act, refusal
from services.bootstrap import today
from services.calendar import load_calendar
from services.extract import decode_text, html_text
from services.facade import Govpub
from services.findings import FindingPublic, document_findings
from services.principal import Principal
from services.reviewing import ReviewItem, waiting_items
from services.screening import agency_screener, screen_body
from services.workbench_text import MaskedText, Piece, Span, diff_chars, diff_text, mask_html, mask_text
from storage.db import read_scope
from storage.models import Attachment, DocumentVersion, ScreeningFinding, utcnow
from storage.repository.documents import get_document, list_attachments, list_versions
from storage.repository.reviews import list_findings

BODY = "正文"  # the source name screening gives a document's body
CONTEXT_CHARS = 40
TEXT_MAX_BYTES = 2_000_000  # plain-text attachments read (and screened again) to show them masked
TEXT_SHOWN_CHARS = 100_000  # of which the page shows this much
PREVIEW_TYPES = {"application/pdf": "pdf", "text/plain": "text", "text/csv": "text", "image/png": "image",
                 "image/jpeg": "image", "image/gif": "image", "image/webp": "image"}  # fmt: skip
FIELDS = (
    ("doc_number", "发文字号"), ("issuing_agency", "发文机关"), ("co_issuers", "联合发文机关"),
    ("written_on", "成文日期"), ("category", "主题分类"), ("kind", "文种"), ("grade", "拟定审核等级"),
    ("public_scope", "公开范围"), ("interpretation_required", "需要政策解读"), ("body_format", "正文格式"),
    ("disclosure", "公开属性及依据"), ("change_note", "修订说明"), ("attachments", "附件"),
)  # fmt: skip


class FindingView(BaseModel):
    """One finding as the page shows it: masked, located, and in its context where it can be read."""

    detector: str
    source: str
    location: dict[str, Any]
    masked: str
    note: str
    context: list[Piece]


class AttachmentView(BaseModel):
    """One attachment with a presigned link (valid a few minutes) and how the browser can show it."""

    file_name: str
    media_type: str
    size: int
    sha256: str
    url: str
    preview: str | None  # "pdf", "image" (framed from the link), "text" (shown inline, masked) or None
    text: list[Piece] | None = None  # a plain-text attachment decoded (UTF-8 or GB18030), masked and marked
    truncated: bool = False


class FieldChange(BaseModel):
    """A metadata field that differs from the previous version."""

    name: str
    label: str
    before: Any  # the submission's value, as stored (the page words it)
    after: Any


class VersionDiff(BaseModel):
    """What changed since the previous version."""

    previous: int
    title: list[Piece]
    summary: list[Piece]
    body: list[Piece]
    body_changed: bool
    markup_changed: bool  # same visible text, different public HTML (links, tables, emphasis)
    fields: list[FieldChange]


class ReviewPage(BaseModel):
    """Everything the document page of the workbench shows."""

    status: dict[str, Any]  # the facade's document(): state, versions, audit, ...
    version: int
    submission: dict[str, Any]  # the version's normalised submission, without its body
    preview_html: str  # sanitised by feeds.sanitize.public_html, then masked: safe to insert as is
    findings: list[FindingView] | None  # None: not for this principal
    attachments: list[AttachmentView]
    preview_origin: str  # scheme://host:port of the presigned links framed or shown ("" without such previews)
    review_grade: str | None  # the grade screening chose (findings raise it to sensitive)
    diff: VersionDiff | None
    item: ReviewItem | None  # the level the document waits at, if it waits
    levels: list[str]
    position: int | None
    is_last_level: bool
    can_decide: bool  # a display hint; decide() applies the rules whatever the page showed


class Outcome(BaseModel):
    """Where a document stands after a decision, read back from the record."""

    document_id: str
    title: str
    state: str
    waiting_at: str | None


class Workbench:
    """Reads for the workbench pages, on the facade (which authorises every read)."""

    def __init__(self, govpub: Govpub) -> None:
        self._govpub = govpub
        self._app = govpub.app

    def page(self, principal: Principal, document_id: str) -> ReviewPage:
        """The document page: body rendering, findings, attachments, difference, waiting level."""
        status = self._govpub.document(principal, document_id)  # authorises (and audits a refusal)
        number = int(status["current_version"])
        with read_scope(self._app.engine) as session:
            document = get_document(session=session, document_id=document_id)
            versions = {v.number: v for v in list_versions(session=session, document_id=document_id)}
            current, previous = versions[number], versions.get(number - 1)
            screener = agency_screener(session=session, agency_id=document.agency_id, today=today())
            stored = {v.number: list_findings(session=session, document_id=document_id, version=v.number)
                      for v in (current, previous) if v is not None}  # fmt: skip
            rows = list_attachments(session=session, version_id=current.id or 0)
        run = self._govpub.reviews.current(document_id)  # its own session: never nest them (SQLite locks at BEGIN)
        fresh = {v.number: screen_body(screener, v.submission["body"], v.submission.get("body_format", "text"))
                 for v in (current, previous) if v is not None}  # fmt: skip
        masked = {n: _masked_body(versions[n], stored[n], fresh[n]) for n in fresh}
        secrets = {raw: hidden for m in masked.values() for raw, hidden in m.secrets.items()}
        body = current.submission["body"]
        preview = mask_html(public_html(body, current.submission.get("body_format", "text")),
                            {**_highlighted(masked[number], stored[number]), **secrets})  # fmt: skip
        texts: dict[str, MaskedText | None] = {BODY: masked[number]}
        texts |= {a.file_name: self._text(a, secrets, screener) for a in rows if _preview(a.media_type) == "text"}
        attachments = [self._attachment(principal, document_id, number, a, texts.get(a.file_name)) for a in rows]
        sees_findings = refusal(principal, Act.REVIEW_QUEUE) is None
        findings = self._findings(principal, document_id, number, texts) if sees_findings else None
        item = self._item(document_id) if run and run.state in {ReviewState.WAITING, ReviewState.REFERRED} else None
        waiting = item is not None and run is not None and run.state is ReviewState.WAITING
        level = run.level.name if waiting and run and run.level else None
        return ReviewPage(
            status=status, version=number, submission={k: v for k, v in current.submission.items() if k != "body"},
            preview_html=preview, findings=findings, attachments=attachments,
            preview_origin=_origin(next((a.url for a in attachments if a.preview in {"pdf", "image"}), "")),
            review_grade=_screened_grade(status["audit"], number),
            diff=_diff(previous, current, masked, secrets) if previous is not None else None,
            item=item, levels=[lv.name for lv in run.levels] if run else [],
            position=run.position if run else None,
            is_last_level=bool(run and run.position == len(run.levels) - 1),
            can_decide=bool(level and principal.has(Role.REVIEWER) and level in principal.levels
                            and status["drafter"] != principal.username),
        )  # fmt: skip

    def outcome(self, principal: Principal, document_id: str) -> Outcome:
        """Where a document stands now (for the notice after a decision)."""
        status = self._govpub.document(principal, document_id)
        run = self._govpub.reviews.current(document_id)
        waiting = run.level.name if run and run.state is ReviewState.WAITING and run.level else None
        return Outcome(document_id=document_id, title=status["title"], state=status["state"], waiting_at=waiting)

    # -- parts -------------------------------------------------------------------------------
    def _attachment(
        self, principal: Principal, document_id: str, version: int, row: Attachment, text: MaskedText | None
    ) -> AttachmentView:
        url = self._govpub.attachment_link(principal, document_id, version, row.file_name)
        return AttachmentView(file_name=row.file_name, media_type=row.media_type, size=row.size, sha256=row.sha256,
                              url=url, preview=_preview(row.media_type),
                              text=text.pieces(0, TEXT_SHOWN_CHARS) if text else None,
                              truncated=bool(text and len(text.text) > TEXT_SHOWN_CHARS))  # fmt: skip

    def _findings(
        self, principal: Principal, document_id: str, version: int, texts: dict[str, MaskedText | None]
    ) -> list[FindingView]:
        """The stored findings, each with its context where its text is at hand (body, plain text)."""
        out = []
        for finding in document_findings(self._app, principal, document_id, version=version):
            text = texts.get(finding.source)
            out.append(FindingView(detector=finding.detector, source=finding.source, location=finding.location,
                                   masked=finding.masked, note=finding.note,
                                   context=_context(text, finding) if text is not None else []))  # fmt: skip
        return out

    def _text(self, row: Attachment, secrets: dict[str, str], screener: Screener) -> MaskedText | None:
        """A plain-text attachment's text as screening reads it, screened again and masked.

        Shown inline rather than framed, so that its secrets are masked as the body's are (the
        presigned link serves the bytes as they are, with their charset)."""
        if row.size > TEXT_MAX_BYTES:
            return None
        text = decode_text(self._app.store.get(self._app.settings.store.private_bucket, row.object_key))
        spans = [_span(f) for f in screener.screen([Segment(row.file_name, text)])]
        return mask_text(text, [s for s in spans if s], extra_secrets=secrets)

    def _item(self, document_id: str) -> ReviewItem | None:
        with read_scope(self._app.engine) as session:
            items = waiting_items(session=session, user=None, now=utcnow(), calendar=load_calendar(self._app.settings))
        return next((i for i in items if i.document_id == document_id), None)


def _span(finding: Finding | ScreeningFinding | FindingPublic) -> Span | None:
    location = finding.location
    if not isinstance(location.get("start"), int) or not isinstance(location.get("end"), int):
        return None
    return Span(location["start"], location["end"], str(finding.detector), finding.masked)


def _screened_text(version: DocumentVersion) -> str:
    """The body's text as screening read it (offsets of body findings point into this)."""
    body: str = version.submission["body"]
    return html_text(body) if version.submission.get("body_format", "text") == "html" else body


def _masked_body(version: DocumentVersion, stored: list[ScreeningFinding], fresh: list[Finding]) -> MaskedText:
    """The body text with secrets masked: the stored findings' spans and a fresh screening's (so
    nothing shows even when the version was never screened, or the lists changed since)."""
    found: list[Finding | ScreeningFinding] = [*stored, *fresh]
    spans = [_span(f) for f in found if f.source == BODY]
    return mask_text(_screened_text(version), [s for s in spans if s is not None])


def _highlighted(body: MaskedText, stored: list[ScreeningFinding]) -> dict[str, str]:
    """Values to mark in the public rendering beside the secrets: negative-list terms, and
    secrecy markings with ★ (a marking alone on a line, such as 内部, would mark every use of the word)."""
    wanted = {}
    for finding in stored:
        span = _span(finding)
        if span is None or span.secret or finding.source != BODY:
            continue
        value = body.text[span.start : span.end]
        if finding.detector == Detector.NEGATIVE_TERM.value or "★" in value:
            wanted[value] = value
    return wanted


def _context(text: MaskedText, finding: FindingPublic) -> list[Piece]:
    span = _span(finding)
    if span is None or span.end > len(text.text):
        return []
    start = text.text.rfind("\n", 0, span.start) + 1
    start = max(start, span.start - CONTEXT_CHARS)
    end = text.text.find("\n", span.end)
    end = min(end if end != -1 else len(text.text), span.end + CONTEXT_CHARS)
    return text.pieces(start, end, focus=(span.start, span.end))


def _diff(
    previous: DocumentVersion, current: DocumentVersion, masked: dict[int, MaskedText], secrets: dict[str, str]
) -> VersionDiff:
    """Title, summary and body (its visible text, masked) by characters; metadata by field."""
    old, new = previous.submission, current.submission
    old_body = mask_text(masked[previous.number].text, [], extra_secrets=secrets)
    new_body = mask_text(masked[current.number].text, [], extra_secrets=secrets)
    old_html = public_html(old["body"], old.get("body_format", "text"))
    new_html = public_html(new["body"], new.get("body_format", "text"))
    fields = [FieldChange(name=key, label=label, before=old.get(key), after=new.get(key))
              for key, label in FIELDS if old.get(key) != new.get(key)]  # fmt: skip
    return VersionDiff(
        previous=previous.number, title=diff_chars(old["title"], new["title"]),
        summary=diff_chars(old.get("summary", ""), new.get("summary", "")),
        body=diff_text(old_body.text, new_body.text), body_changed=old_body.text != new_body.text,
        markup_changed=old_body.text == new_body.text and old_html != new_html, fields=fields,
    )  # fmt: skip


def _screened_grade(audit: list[dict[str, Any]], version: int) -> str | None:
    """The grade screening chose for the version, as its event recorded it."""
    for event in reversed(audit):
        after = event["after"] or {}
        if event["action"] == "document.screened" and after.get("version") == version:
            return str(after.get("grade")) if after.get("grade") else None
    return None


def _preview(media_type: str) -> str | None:
    return PREVIEW_TYPES.get(media_type.split(";", maxsplit=1)[0].strip().lower())


def _origin(url: str) -> str:
    if not url:
        return ""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
