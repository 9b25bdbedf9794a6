"""Review chains and the rules every review decision must pass, whatever path it came by."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from disclosure.attributes import DisclosureAttribute, Role
from disclosure.errors import NoReviewChain, RuleViolation, TransitionNotAllowed


class Grade(StrEnum):
    """How carefully a document is reviewed (一般 / 重要 / 敏感)."""

    ORDINARY = "ordinary"
    IMPORTANT = "important"
    SENSITIVE = "sensitive"


_ORDER = [Grade.ORDINARY, Grade.IMPORTANT, Grade.SENSITIVE]


class Decision(StrEnum):
    """What a reviewer decides at a level."""

    APPROVE = "approve"
    RETURN = "return"  # back to the drafter for changes
    REJECT = "reject"  # ends the review; not disclosed in this form
    REFER = "refer"  # to the secrecy administration (保密行政管理部门)


class ReviewState(StrEnum):
    """Where a version's review stands."""

    SCREENING = "screening"
    WAITING = "waiting"  # for a reviewer at ``position``
    REFERRED = "referred"  # for the secrecy administration's answer
    APPROVED = "approved"
    RETURNED = "returned"
    REJECTED = "rejected"
    VOIDED = "voided"  # a newer version replaced this one
    NEEDS_ATTENTION = "needs_attention"  # screening cannot finish until something changes (AttentionReason)


OPEN_STATES = frozenset({ReviewState.SCREENING, ReviewState.WAITING, ReviewState.REFERRED})

_ENDED = frozenset({ReviewState.APPROVED, ReviewState.RETURNED, ReviewState.REJECTED})
REVIEW_TRANSITIONS: dict[ReviewState, frozenset[ReviewState]] = {
    ReviewState.SCREENING: frozenset({ReviewState.WAITING, ReviewState.NEEDS_ATTENTION, ReviewState.VOIDED}),
    # WAITING → WAITING: the next level, or a refused decision's new attempt
    ReviewState.WAITING: frozenset({ReviewState.WAITING, ReviewState.REFERRED, ReviewState.VOIDED, *_ENDED}),
    ReviewState.REFERRED: frozenset(
        {ReviewState.WAITING, ReviewState.APPROVED, ReviewState.REJECTED, ReviewState.VOIDED}
    ),
    # parked until what it depended on changed (the configuration, a stored object); a new version voids it
    ReviewState.NEEDS_ATTENTION: frozenset({ReviewState.SCREENING, ReviewState.VOIDED}),
    ReviewState.APPROVED: frozenset({ReviewState.VOIDED}),
    ReviewState.RETURNED: frozenset({ReviewState.VOIDED}),
    ReviewState.REJECTED: frozenset({ReviewState.VOIDED}),
    ReviewState.VOIDED: frozenset(),
}


def check_review_transition(current: ReviewState, target: ReviewState) -> None:
    """Raise TransitionNotAllowed unless a review may move from ``current`` to ``target``."""
    if target not in REVIEW_TRANSITIONS[current]:
        raise TransitionNotAllowed(f"a {current} review cannot become {target}")


class AttentionReason(StrEnum):
    """Why a review cannot go on by itself: a failure that would recur on every attempt."""

    NO_REVIEW_CHAIN = "no_review_chain"  # the category and grade have no chain; retried when the chains change
    MISSING_OBJECT = "missing_object"  # an attachment's object is not in the store; retried when it is back


@dataclass(frozen=True, slots=True)
class Level:
    """One review level of a chain."""

    name: str
    time_limit_days: int | None = None


def effective_grade(proposed: Grade, *, has_findings: bool) -> Grade:
    """A document with screening findings is reviewed as at least sensitive."""
    return Grade.SENSITIVE if has_findings else proposed


def raise_grade(a: Grade, b: Grade) -> Grade:
    """The stricter of two grades."""
    return max(a, b, key=_ORDER.index)


def select_chain(chains: Sequence[Mapping[str, Any]], *, category: str, grade: Grade) -> list[Level]:
    """The chain for the category and grade; a category-specific chain wins over '*'.

    Falls back to the nearest stricter grade configured, so a missing chain never loosens review.
    """
    for candidate in _ORDER[_ORDER.index(grade) :]:
        for wanted in (category, "*"):
            for chain in chains:
                if chain["category"] == wanted and chain["grade"] == candidate:
                    return [Level(lv["name"], lv.get("time_limit_days")) for lv in chain["levels"]]
    raise NoReviewChain(f"no review chain is configured for category {category!r}, grade {grade} or stricter")


@dataclass(frozen=True, slots=True)
class DecisionRequest:
    """A decision as a reviewer submitted it."""

    decision: Decision
    reviewer: str
    comment: str = ""
    confirmed_attribute: DisclosureAttribute | None = None
    confirmed_ground: str | None = None
    acknowledge_unscreened: bool = False  # the reviewer saw that some files were not screened


@dataclass(frozen=True, slots=True)
class ReviewSituation:
    """What the rules need to know about the item under review."""

    state: ReviewState
    level: Level
    is_last_level: bool
    drafter: str
    reviewer_roles: frozenset[tuple[Role, str]]
    reviewer_active: bool
    already_decided: bool
    content_matches: bool
    unscreened: tuple[str, ...] = ()  # files (or parts) screening could not read, as shown to reviewers


def check_decision(request: DecisionRequest, situation: ReviewSituation) -> None:
    """Raise RuleViolation naming the first rule the decision breaks."""
    _check_who(request, situation)
    _check_what(request, situation)


def _check_who(request: DecisionRequest, situation: ReviewSituation) -> None:
    """The item waits, the level is open, and the reviewer may decide it."""
    if situation.state is not ReviewState.WAITING:
        raise RuleViolation(f"the review is not waiting for a decision (it is {situation.state})")
    if situation.already_decided:
        raise RuleViolation(f"level {situation.level.name} of this version has already been decided")
    if not situation.reviewer_active:
        raise RuleViolation(f"{request.reviewer!r} is not an active user")
    if request.reviewer == situation.drafter:
        raise RuleViolation("the drafter may not review their own document")
    if (Role.REVIEWER, situation.level.name) not in situation.reviewer_roles:
        raise RuleViolation(f"{request.reviewer!r} does not hold the review level {situation.level.name}")
    if not situation.content_matches:
        raise RuleViolation("the content changed since this review started; review the new version")


def _check_what(request: DecisionRequest, situation: ReviewSituation) -> None:
    """The decision carries what it must: a reason, and at the last level the attribute."""
    if request.decision in {Decision.RETURN, Decision.REJECT, Decision.REFER} and not request.comment.strip():
        raise RuleViolation(f"a {request.decision} decision needs a comment giving the reason")
    if request.decision is Decision.APPROVE and situation.is_last_level:
        if request.confirmed_attribute is None:
            raise RuleViolation("the last level must confirm the disclosure attribute")
        if request.confirmed_attribute is not DisclosureAttribute.PROACTIVE and not request.confirmed_ground:
            raise RuleViolation(f"confirming {request.confirmed_attribute.label} needs a legal ground")
    if request.decision is Decision.APPROVE and situation.unscreened and not _acknowledged(request, situation):
        raise RuleViolation(
            f"screening could not read {', '.join(situation.unscreened)}: approving needs the reviewer to "
            "acknowledge the unscreened files (--acknowledge-unscreened, or a comment naming each of them) "
            "after checking them by hand"
        )


def _acknowledged(request: DecisionRequest, situation: ReviewSituation) -> bool:
    """An approval acknowledges unscreened files explicitly, or by naming every one in its comment."""
    return request.acknowledge_unscreened or all(name in request.comment for name in situation.unscreened)
