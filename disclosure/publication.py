"""Publication rules: 索引号, what a release holds, validity, deadlines. Pure: no I/O."""

from __future__ import annotations

import string
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from disclosure.attributes import DisclosureAttribute
from disclosure.calendar import WorkingCalendar, WorkingDayResult
from disclosure.errors import InvalidInput, RuleViolation, Violation
from disclosure.release_time import shown
from disclosure.states import DocumentState
from disclosure.text import public_text_problem

DEFAULT_INDEX_TEMPLATE = "{org_code}/{yyyy}-{serial:05d}"
_INDEX_FIELDS = frozenset({"org_code", "yyyy", "serial", "agency"})
PUBLICATION_LIMIT_DAYS = 20  # Regulation Art. 26: 20 working days from being formed or changed


class Validity(StrEnum):
    """有效性 of a published document."""

    VALID = "valid"  # 有效
    EXPIRED = "expired"  # 失效
    REPEALED = "repealed"  # 废止
    AMENDED = "amended"  # 已修改

    @property
    def label(self) -> str:
        """The Chinese label shown publicly."""
        return {"valid": "有效", "expired": "失效", "repealed": "废止", "amended": "已修改"}[self.value]


class ReleaseMode(StrEnum):
    """How a policy and its interpretation go out."""

    TOGETHER = "together"  # 同步发布: the policy waits for its interpretation (default)
    POLICY_FIRST = "policy_first"  # the policy goes out; its interpretation follows within the limit


class ReleaseState(StrEnum):
    """Where a release stands."""

    PENDING = "pending"  # numbers issued, public copies being written
    PUBLISHED = "published"  # every member public and recorded
    FAILED = "failed"  # nothing of it recorded as published; re-driven
    PARTIAL = "partial"  # some public objects written, not yet recorded; re-driven


class FeedAction(StrEnum):
    """What a feed item announces."""

    PUBLISH = "publish"
    CORRECT = "correct"
    RELATED = "related"  # a linked interpretation appeared: the entry gains a related link
    VALIDITY = "validity"
    WITHDRAW = "withdraw"


WITHDRAWAL_NEEDS_REASON = "a withdrawal needs a public reason"


def check_withdrawal_reason(reason: str) -> None:
    """A withdrawal's public reason: not blank (RuleViolation) and fit to publish (InvalidInput)."""
    if not reason.strip():
        raise RuleViolation(WITHDRAWAL_NEEDS_REASON)
    if (problem := public_text_problem(reason)) is not None:
        raise InvalidInput([Violation("--reason", problem)])


def check_index_template(template: str) -> list[str]:
    """What is wrong with a 索引号 template (nothing: an empty list)."""
    try:
        fields = [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
    except ValueError as exc:
        return [f"is not a valid template: {exc}"]
    problems = [f"unknown field {{{name}}}" for name in fields if name not in _INDEX_FIELDS]
    if "serial" not in fields:
        problems.append("must contain {serial} (索引号 are unique)")
    return problems


def format_index_number(template: str, *, org_code: str, agency: str, year: int, serial: int) -> str:
    """A 索引号 from the agency's template, e.g. ``000014349/2026-00001``."""
    problems = check_index_template(template)
    if problems:
        raise RuleViolation(f"index template {template!r}: {'; '.join(problems)}")
    return template.format(org_code=org_code, agency=agency, yyyy=f"{year:04d}", serial=serial)


def public_prefix(index_number: str, version: int) -> str:
    """Where a version's public copy lives in the public bucket."""
    return f"documents/{index_number}/{version}/"


@dataclass(frozen=True, slots=True)
class ItemFacts:
    """What the release rules need to know about a policy or an interpretation."""

    document_id: str
    state: DocumentState
    attribute: DisclosureAttribute
    current_version: int
    published_version: int | None  # the newest version with a public copy
    embargoed_until: datetime | None = None  # the current version's release time while it is ahead (定时发布)


@dataclass(frozen=True, slots=True)
class ReleasePlan:
    """Which versions to publish now, or (no members) why nothing goes out."""

    members: tuple[tuple[str, int], ...]
    reason: str = ""
    waiting_for_interpretation: bool = False  # an approved policy held for its interpretation (同步发布)
    embargoed_until: datetime | None = None  # the next release time of an approved item of this release


def _ready(item: ItemFacts) -> bool:
    """Approved for 主动公开 and not yet public in this version (embargoed or not)."""
    return (
        item.state is DocumentState.APPROVED
        and item.attribute is DisclosureAttribute.PROACTIVE
        and item.published_version != item.current_version
    )


def _due(item: ItemFacts) -> bool:
    """Ready, and its release time (if any) has come."""
    return _ready(item) and item.embargoed_until is None


def _policy_not_out(policy: ItemFacts, interpretations_ready: bool) -> ReleasePlan:
    """Why nothing goes out while the policy is not public and not due: its interpretations wait for it."""
    if policy.embargoed_until is not None and _ready(policy):
        return ReleasePlan((), f"embargoed until {shown(policy.embargoed_until)}",
                           embargoed_until=policy.embargoed_until)  # fmt: skip
    if interpretations_ready:
        return ReleasePlan((), "the policy is not approved for 主动公开 yet")
    return ReleasePlan(
        (),
        f"nothing to publish: the document is {policy.state.value}"
        + ("" if policy.attribute is DisclosureAttribute.PROACTIVE else f" and {policy.attribute.label}, never public"),
    )


def plan_release(
    policy: ItemFacts,
    interpretations: list[ItemFacts],
    *,
    interpretation_required: bool,
    mode: ReleaseMode,
) -> ReleasePlan:
    """Decide what a policy's release publishes now.

    Only approved 主动公开 versions ever go out, and none before its release time (定时发布). A
    policy that requires an interpretation waits (in ``together`` mode) until at least one
    interpretation is approved for publication and due; its interpretations never go out before
    the policy itself is public or going public with them.
    """
    ready_interpretations = [i for i in interpretations if _due(i)]
    embargoes = [i.embargoed_until for i in (policy, *interpretations) if _ready(i) and i.embargoed_until]
    next_release = min(embargoes, default=None)
    policy_public = policy.published_version is not None and policy.state is not DocumentState.WITHDRAWN
    members: list[tuple[str, int]] = []
    if _due(policy):
        has_interpretation = bool(ready_interpretations) or any(
            i.published_version is not None and i.state is not DocumentState.WITHDRAWN for i in interpretations
        )
        if interpretation_required and mode is ReleaseMode.TOGETHER and not has_interpretation:
            return ReleasePlan((), "held until its interpretation is approved (同步发布)"
                               + (f"; one is embargoed until {shown(next_release)}" if next_release else ""),
                               waiting_for_interpretation=True, embargoed_until=next_release)  # fmt: skip
        members.append((policy.document_id, policy.current_version))
    elif not policy_public:
        return _policy_not_out(policy, bool(ready_interpretations))
    members.extend((i.document_id, i.current_version) for i in ready_interpretations)
    if not members:
        if next_release is not None:
            return ReleasePlan((), f"embargoed until {shown(next_release)}", embargoed_until=next_release)
        done = policy_public and policy.published_version == policy.current_version
        return ReleasePlan((), "already published" if done else "nothing to publish")
    return ReleasePlan(tuple(members), embargoed_until=next_release)  # what is still embargoed goes out later


@dataclass(frozen=True, slots=True)
class Deadline:
    """An open deadline on a document, with the computation behind its due date."""

    document_id: str
    kind: str  # "publication" (Art. 26) or "interpretation"
    title: str
    computed: WorkingDayResult
    basis: str

    @property
    def due(self) -> date:
        """The last day allowed."""
        return self.computed.value

    def overdue(self, today: date) -> bool:
        """Whether the due date has passed."""
        return today > self.computed.value

    def as_dict(self, today: date) -> dict[str, object]:
        """JSON-ready form."""
        return {
            "document_id": self.document_id,
            "kind": self.kind,
            "title": self.title,
            "due": self.due.isoformat(),
            "provisional": self.computed.provisional,
            "overdue": self.overdue(today),
            "basis": self.basis,
            "computation": self.computed.as_dict(),
        }


def publication_deadline(
    calendar: WorkingCalendar,
    *,
    document_id: str,
    title: str,
    formed_on: date,
    changed: bool,
    limit_days: int = PUBLICATION_LIMIT_DAYS,
) -> Deadline:
    """Art. 26: publish proactive information within 20 working days of being formed or changed."""
    basis = ("changed" if changed else "formed (成文日期)") + f" on {formed_on.isoformat()}; Regulation Art. 26"
    return Deadline(document_id, "publication", title, calendar.add_working_days(formed_on, limit_days), basis)


def interpretation_deadline(
    calendar: WorkingCalendar, *, document_id: str, title: str, anchor: date, limit_days: int, anchor_label: str
) -> Deadline:
    """The interpretation is due ``limit_days`` working days after the policy's publication (or hold)."""
    basis = f"policy {anchor_label} on {anchor.isoformat()}; interpretation limit {limit_days} working day(s)"
    return Deadline(document_id, "interpretation", title, calendar.add_working_days(anchor, limit_days), basis)
