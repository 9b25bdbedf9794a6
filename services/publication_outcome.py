"""What a publication did: one release's outcome, and a batch's (each item on its own)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class PublishOutcome:
    """What one publish call (or one item of a batch) did."""

    root_id: str
    state: str  # published, held, embargoed, failed, partial, nothing
    published: list[tuple[str, int, str]] = field(default_factory=list)  # (document, version, 索引号)
    reason: str = ""
    left_for_reconciler: str = ""  # what could not be done now (a backing service down): re-driven
    embargoed_until: datetime | None = None  # the next release time of an approved item of this release
    error: BaseException | None = field(default=None, repr=False, compare=False)  # failed/partial: why


@dataclass
class BatchOutcome:
    """What one batch did: an outcome per document asked for (the same object for documents of one
    release), the head pages rebuilt once for all of them."""

    outcomes: dict[str, PublishOutcome] = field(default_factory=dict)
    channels: set[str] = field(default_factory=set)  # channels whose head pages were rebuilt
    left_for_reconciler: str = ""  # the rebuild or pushes left to the reconciler

    def with_state(self, *states: str) -> list[str]:
        """The documents asked for whose outcome is in one of these states."""
        return [doc for doc, outcome in self.outcomes.items() if outcome.state in states]

    @property
    def published(self) -> list[tuple[str, int, str]]:
        """Every version published by the batch, once each."""
        seen: dict[tuple[str, int, str], None] = {}
        for outcome in self.outcomes.values():
            seen.update(dict.fromkeys(outcome.published))
        return list(seen)
