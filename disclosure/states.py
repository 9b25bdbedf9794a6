"""Lifecycle of a document and the transitions the rules allow."""

from __future__ import annotations

from enum import StrEnum

from disclosure.errors import TransitionNotAllowed


class DocumentState(StrEnum):
    """Where a document is in its life."""

    SUBMITTED = "submitted"  # recorded, waiting for screening and review
    IN_REVIEW = "in_review"  # somewhere in its review chain
    RETURNED = "returned"  # sent back to the drafter for changes
    REFERRED = "referred"  # waiting for the secrecy administration
    REJECTED = "rejected"  # review ended; not to be disclosed in this form
    APPROVED = "approved"  # chain complete, attribute confirmed
    PUBLISHED = "published"  # public copy written (主动公开 only)
    WITHDRAWN = "withdrawn"  # taken down after publication, with a public reason


ALLOWED_TRANSITIONS: dict[DocumentState, frozenset[DocumentState]] = {
    DocumentState.SUBMITTED: frozenset({DocumentState.SUBMITTED, DocumentState.IN_REVIEW, DocumentState.REJECTED}),
    DocumentState.IN_REVIEW: frozenset(
        {
            DocumentState.IN_REVIEW,
            DocumentState.RETURNED,
            DocumentState.REFERRED,
            DocumentState.REJECTED,
            DocumentState.APPROVED,
            DocumentState.SUBMITTED,  # the drafter changed it mid-review: a new version, a new chain
        }
    ),
    DocumentState.RETURNED: frozenset({DocumentState.SUBMITTED}),
    DocumentState.REFERRED: frozenset({DocumentState.IN_REVIEW, DocumentState.REJECTED, DocumentState.APPROVED}),
    DocumentState.REJECTED: frozenset(),
    DocumentState.APPROVED: frozenset({DocumentState.PUBLISHED, DocumentState.SUBMITTED}),
    DocumentState.PUBLISHED: frozenset({DocumentState.SUBMITTED, DocumentState.WITHDRAWN}),
    DocumentState.WITHDRAWN: frozenset(),
}

# States in which the drafter may submit a new version of the same document.
REVISABLE = frozenset(
    {
        DocumentState.SUBMITTED,
        DocumentState.IN_REVIEW,
        DocumentState.RETURNED,
        DocumentState.APPROVED,
        DocumentState.PUBLISHED,
    }
)


def check_transition(current: DocumentState, target: DocumentState) -> None:
    """Raise TransitionNotAllowed unless the rules allow ``current`` → ``target``."""
    if target not in ALLOWED_TRANSITIONS[current]:
        raise TransitionNotAllowed(f"a {current} document cannot become {target}")
