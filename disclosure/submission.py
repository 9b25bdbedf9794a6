"""A drafter's submission after the schema has accepted it: typed, normalised, checked by the rules.

The schema (schemas/document-submission.schema.json) checks shape; this module checks what a
schema cannot say: the 发文字号 grammar, dates in a sensible order, grounds that fit the
attribute. Both report every violation at once.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from disclosure.attributes import DisclosureAttribute, DocumentKind, LegalGround, PublicScope
from disclosure.docnumber import DocumentNumberError, normalise_document_number
from disclosure.errors import InvalidInput, Violation
from disclosure.release_time import ReleaseTimeError, parse_release_at
from disclosure.text import file_name_problem, line_problem, name_key, public_text_problem


@dataclass(frozen=True, slots=True)
class AttachmentSpec:
    """An attachment as the submission declares it."""

    file_name: str
    media_type: str
    size: int
    sha256: str


@dataclass(frozen=True, slots=True)
class InterpretationInfo:
    """How a policy is interpreted (解读形式, 解读单位, 解读人)."""

    form: str
    interpreting_unit: str
    interpreter: str


@dataclass(frozen=True, slots=True)
class Disclosure:
    """The proposed disclosure attribute and its justification."""

    attribute: DisclosureAttribute
    ground: LegalGround | None = None
    law_name: str | None = None
    reason: str | None = None
    reassess_on: date | None = None


@dataclass(frozen=True, slots=True)
class Submission:
    """A validated, normalised document submission."""

    title: str
    issuing_agency: str
    written_on: date
    category: str
    kind: DocumentKind
    disclosure: Disclosure
    interpretation_required: bool
    public_scope: PublicScope
    summary: str
    body: str
    body_format: str
    drafter: str
    grade: str = "ordinary"
    doc_number: str | None = None
    co_issuers: tuple[str, ...] = ()
    attachments: tuple[AttachmentSpec, ...] = field(default_factory=tuple)
    change_note: str | None = None
    interprets: str | None = None  # an interpretation: the policy document it explains
    interpretation: InterpretationInfo | None = None
    release_at: datetime | None = None  # 定时发布: not public before this moment (UTC)

    @property
    def is_interpretation(self) -> bool:
        """Whether this is a policy interpretation (政策解读)."""
        return self.interprets is not None

    def canonical(self) -> dict[str, Any]:
        """A JSON-ready dict of the normalised submission (the stored form)."""
        data = asdict(self)
        for optional in ("change_note", "interprets", "interpretation", "release_at"):
            if data[optional] is None:
                del data[optional]
        if self.release_at is not None:
            data["release_at"] = self.release_at.isoformat()
        data["written_on"] = self.written_on.isoformat()
        data["co_issuers"] = list(self.co_issuers)
        data["attachments"] = [asdict(a) for a in self.attachments]
        disclosure = {k: v for k, v in data.pop("disclosure").items() if v is not None}
        if self.disclosure.reassess_on is not None:
            disclosure["reassess_on"] = self.disclosure.reassess_on.isoformat()
        data["disclosure"] = disclosure
        return data

    def content_sha256(self) -> str:
        """The hash a review decision binds to: every field, the body and each attachment's hash."""
        return canonical_sha256(self.canonical())


def canonical_sha256(canonical: dict[str, Any]) -> str:
    """sha256 of a canonical submission (as stored): sorted keys, UTF-8, no spaces."""
    encoded = json.dumps(canonical, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return hashlib.sha256(encoded).hexdigest()


def build_submission(data: dict[str, Any], *, today: date, now: datetime | None = None) -> Submission:
    """Turn schema-valid JSON into a Submission, or raise InvalidInput with every rule broken
    (a release time must be ahead of ``now``, by default the clock's)."""
    violations = text_violations(data)
    release_at = None
    if data.get("release_at") is not None:
        try:
            release_at = parse_release_at(data["release_at"], now=now or datetime.now(UTC))
        except ReleaseTimeError as exc:
            violations.append(Violation("$.release_at", str(exc)))
    doc_number = data.get("doc_number")
    if doc_number is not None:
        try:
            doc_number = normalise_document_number(doc_number)
        except DocumentNumberError as exc:
            violations.append(Violation("$.doc_number", f"is not a 发文字号: {exc}"))
    written_on = date.fromisoformat(data["written_on"])
    if written_on > today:
        violations.append(Violation("$.written_on", f"is in the future (today is {today})"))
    disclosure = _build_disclosure(data["disclosure"], written_on, violations)
    if violations:
        raise InvalidInput(violations)
    return Submission(
        title=data["title"],
        doc_number=doc_number,
        issuing_agency=data["issuing_agency"],
        co_issuers=tuple(data.get("co_issuers", ())),
        written_on=written_on,
        category=data["category"],
        kind=DocumentKind(data["kind"]),
        disclosure=disclosure,
        interpretation_required=data["interpretation_required"],
        public_scope=PublicScope(data["public_scope"]),
        summary=data["summary"],
        body=data["body"],
        body_format=data.get("body_format", "text"),
        drafter=data["drafter"],
        grade=data.get("grade", "ordinary"),
        attachments=tuple(AttachmentSpec(**a) for a in data.get("attachments", ())),
        change_note=data.get("change_note"),
        release_at=release_at,
    )


@dataclass(frozen=True, slots=True)
class PolicyFacts:
    """What an interpretation takes from the policy it explains."""

    document_id: str
    category: str
    issuing_agency: str


def build_interpretation(data: dict[str, Any], policy: PolicyFacts, *, today: date) -> Submission:
    """Turn a schema-valid interpretation into a Submission reviewed and published like a document.

    An interpretation is always proposed for 主动公开: it exists to be published with its policy.
    """
    violations = text_violations(data)
    if violations:
        raise InvalidInput(violations)
    title = data["title"]
    return Submission(
        title=title,
        issuing_agency=policy.issuing_agency,
        written_on=today,
        category=policy.category,
        kind=DocumentKind.INTERPRETATION,
        disclosure=Disclosure(attribute=DisclosureAttribute.PROACTIVE),
        interpretation_required=False,
        public_scope=PublicScope.SOCIETY,
        summary=data.get("summary") or title[:100],
        body=data["body"],
        body_format=data.get("body_format", "text"),
        drafter=data["drafter"],
        attachments=tuple(AttachmentSpec(**a) for a in data.get("attachments", ())),
        change_note=data.get("change_note"),
        interprets=policy.document_id,
        interpretation=InterpretationInfo(data["form"], data["interpreting_unit"], data["interpreter"]),
    )


# Fields shown on one line (titles, names, numbers) and short texts (summaries, reasons, notes).
_LINE_FIELDS = ("title", "doc_number", "issuing_agency", "category", "drafter", "form", "interpreting_unit",
                "interpreter")  # fmt: skip
_TEXT_FIELDS = ("summary", "change_note")


def text_violations(data: dict[str, Any]) -> list[Violation]:
    """Characters a field may not carry: control and bidirectional characters in one-line fields and
    file names, bidirectional overrides in summaries and notes, names unsafe on some platform."""
    found: list[Violation] = []

    def line(path: str, value: object) -> None:
        if isinstance(value, str) and (problem := line_problem(value)):
            found.append(Violation(path, problem))

    def text(path: str, value: object) -> None:
        if isinstance(value, str) and (problem := public_text_problem(value)):
            found.append(Violation(path, problem))

    for name in _LINE_FIELDS:
        line(f"$.{name}", data.get(name))
    for name in _TEXT_FIELDS:
        text(f"$.{name}", data.get(name))
    for index, value in enumerate(data.get("co_issuers") or ()):
        line(f"$.co_issuers[{index}]", value)
    disclosure = data.get("disclosure") or {}
    line("$.disclosure.ground.law_name", (disclosure.get("ground") or {}).get("law_name"))
    text("$.disclosure.reason", disclosure.get("reason"))
    return found + _attachment_name_violations(data.get("attachments") or [])


def _attachment_name_violations(attachments: list[dict[str, Any]]) -> list[Violation]:
    found: list[Violation] = []
    seen: dict[str, int] = {}
    for index, attachment in enumerate(attachments):
        name = attachment.get("file_name")
        if not isinstance(name, str):
            continue
        where = f"$.attachments[{index}].file_name"
        if problem := file_name_problem(name):
            found.append(Violation(where, problem))
        elif (other := seen.setdefault(name_key(name), index)) != index:
            found.append(Violation(where, f"is the same name as $.attachments[{other}] on a case-insensitive disk"))
    return found


def _build_disclosure(raw: dict[str, Any], written_on: date, violations: list[Violation]) -> Disclosure:
    attribute = DisclosureAttribute(raw["attribute"])
    ground_raw = raw.get("ground")
    ground = LegalGround(ground_raw["article"]) if ground_raw else None
    reassess_on = date.fromisoformat(raw["reassess_on"]) if "reassess_on" in raw else None
    if attribute is DisclosureAttribute.PROACTIVE and ground is not None:
        violations.append(Violation("$.disclosure.ground", "a withholding ground cannot justify 主动公开"))
    if reassess_on is not None and attribute is not DisclosureAttribute.WITHHELD:
        violations.append(Violation("$.disclosure.reassess_on", "only 不予公开 items are re-assessed (Art. 18)"))
    if reassess_on is not None and reassess_on <= written_on:
        violations.append(Violation("$.disclosure.reassess_on", "must be after the 成文日期 (written_on)"))
    return Disclosure(
        attribute=attribute,
        ground=ground,
        law_name=ground_raw.get("law_name") if ground_raw else None,
        reason=raw.get("reason"),
        reassess_on=reassess_on,
    )
