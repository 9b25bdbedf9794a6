"""Review runs, decisions and screening findings."""

from __future__ import annotations

from sqlmodel import Session, col, select

from disclosure.review import OPEN_STATES, ReviewState, check_review_transition
from storage.models import ReviewDecision, ReviewRun, ScreeningFinding


def get_run(*, session: Session, document_id: str, version: int) -> ReviewRun | None:
    """The review run of one version, if it started."""
    statement = select(ReviewRun).where(ReviewRun.document_id == document_id, ReviewRun.version == version)
    return session.exec(statement).first()


def lock_run(*, session: Session, document_id: str, version: int) -> ReviewRun | None:
    """The review run of one version, locked for update until the transaction ends."""
    statement = (
        select(ReviewRun)
        .where(ReviewRun.document_id == document_id, ReviewRun.version == version)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return session.exec(statement).first()


def list_open_runs(*, session: Session) -> list[ReviewRun]:
    """Runs still waiting for screening, a reviewer or the secrecy administration, oldest first."""
    statement = (
        select(ReviewRun)
        .where(col(ReviewRun.state).in_([s.value for s in OPEN_STATES]))
        .order_by(col(ReviewRun.waiting_since), col(ReviewRun.id))
    )
    return list(session.exec(statement))


def list_runs_in(*, session: Session, state: ReviewState) -> list[ReviewRun]:
    """Runs in one state, oldest first."""
    statement = (
        select(ReviewRun)
        .where(ReviewRun.state == state.value)
        .order_by(col(ReviewRun.waiting_since), col(ReviewRun.id))
    )
    return list(session.exec(statement))


def move_run(run: ReviewRun, target: ReviewState) -> None:
    """Set a run's state if the review's transition table allows it (TransitionNotAllowed otherwise)."""
    check_review_transition(ReviewState(run.state), target)
    run.state = target.value


def list_decisions(*, session: Session, document_id: str, version: int | None = None) -> list[ReviewDecision]:
    """Decisions on a document (one version, or all), in the order they were made."""
    statement = select(ReviewDecision).where(ReviewDecision.document_id == document_id)
    if version is not None:
        statement = statement.where(ReviewDecision.version == version)
    return list(session.exec(statement.order_by(col(ReviewDecision.id))))


def list_findings(*, session: Session, document_id: str, version: int) -> list[ScreeningFinding]:
    """Screening findings of one version."""
    statement = select(ScreeningFinding).where(
        ScreeningFinding.document_id == document_id, ScreeningFinding.version == version
    )
    return list(session.exec(statement.order_by(col(ScreeningFinding.id))))


def void_older_runs(*, session: Session, document_id: str, version: int) -> list[ReviewRun]:
    """Close every open run of earlier versions: a new version voids earlier approvals."""
    statement = select(ReviewRun).where(ReviewRun.document_id == document_id, ReviewRun.version < version)
    voided = []
    for run in session.exec(statement):
        if ReviewState(run.state) is not ReviewState.VOIDED:
            move_run(run, ReviewState.VOIDED)
            session.add(run)
            voided.append(run)
    return voided
