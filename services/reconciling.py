"""What the reconciler needs to know from the record: reviews to start, runs to re-drive, waits to cancel,
parked reviews to check."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import col, select

from disclosure.review import ReviewState
from disclosure.states import DocumentState
from services.attention import parked_reviews
from storage.db import read_scope
from storage.models import Document, ReviewRun, aware
from storage.repository.reviews import list_decisions, list_open_runs


@dataclass(frozen=True, slots=True)
class LastDecision:
    """The newest decision recorded on a run (what a stale wait must be resumed with)."""

    decision: str
    comment: str
    confirmed_attribute: str | None
    confirmed_ground: str | None


@dataclass(frozen=True, slots=True)
class OpenRun:
    """An open review run and its newest decision."""

    document_id: str
    version: int
    last: LastDecision | None


@dataclass(frozen=True, slots=True)
class VoidedRun:
    """A run of a replaced version whose flow run may still wait."""

    document_id: str
    flow_run_id: str


@dataclass
class ReviewSnapshot:
    """The record's view of every review, read in one session."""

    unstarted: list[tuple[str, int]] = field(default_factory=list)  # (document, version) with no run
    open: list[OpenRun] = field(default_factory=list)
    voided: list[VoidedRun] = field(default_factory=list)
    parked: list[tuple[str, int]] = field(default_factory=list)  # (document, version) in needs_attention


def review_snapshot(engine: Engine, *, submitted_before: datetime) -> ReviewSnapshot:
    """Submitted versions without a run (older than the cutoff), open runs with their last decision,
    voided runs still attached to a flow run, parked runs of current versions."""
    snapshot = ReviewSnapshot()
    with read_scope(engine) as session:
        for document in session.exec(select(Document).where(Document.state == DocumentState.SUBMITTED.value)):
            has_run = session.exec(select(ReviewRun).where(
                ReviewRun.document_id == document.id,
                ReviewRun.version == document.current_version)).first()  # fmt: skip
            if has_run is None and aware(document.updated_at) < submitted_before:
                snapshot.unstarted.append((document.id, document.current_version))
        for run in list_open_runs(session=session):
            decisions = list_decisions(session=session, document_id=run.document_id, version=run.version)
            last = decisions[-1] if decisions else None
            snapshot.open.append(OpenRun(run.document_id, run.version, None if last is None else LastDecision(
                last.decision, last.comment, last.confirmed_attribute, last.confirmed_ground)))  # fmt: skip
        voided = session.exec(select(ReviewRun).where(
            ReviewRun.state == ReviewState.VOIDED.value, col(ReviewRun.flow_run_id).is_not(None)))  # fmt: skip
        snapshot.voided = [VoidedRun(r.document_id, r.flow_run_id or "") for r in voided]
        snapshot.parked = [(p.document_id, p.version) for p in parked_reviews(session=session)]
    return snapshot
