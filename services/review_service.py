"""The review record: screening results, chains, decisions and their rules, in the database.

Every path that decides (the CLI, the Prefect UI's resume form via the flow, the reconciler)
goes through ReviewService.decide, so the rules hold whatever path a decision came by.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy import Engine
from sqlmodel import Session, select

from disclosure.attributes import Role
from disclosure.errors import NoReviewChain, RuleViolation
from disclosure.review import (
    Decision,
    DecisionRequest,
    Grade,
    Level,
    ReviewSituation,
    ReviewState,
    check_decision,
    effective_grade,
    select_chain,
)
from disclosure.screening import Detector, Finding
from disclosure.states import DocumentState, check_transition
from services.attention import Attention, load_attachments, missing_objects, no_chain, park, retry_parked
from services.extract import DEFAULT_LIMITS, ExtractionLimits
from services.screening import agency_screener, screen_body, screen_files
from storage.db import read_scope, session_scope
from storage.models import (
    Document,
    DocumentVersion,
    ReviewChain,
    ReviewDecision,
    ReviewRun,
    ScreeningFinding,
    User,
    aware,
    utcnow,
)
from storage.objectstore import ObjectStore
from storage.repository.agencies import get_user, user_roles
from storage.repository.audit import append_event
from storage.repository.documents import get_document, list_attachments
from storage.repository.reviews import get_run, lock_run, move_run, void_older_runs

logger = logging.getLogger(__name__)


class EventSink(Protocol):
    """Where transition events go (Prefect events in production)."""

    def emit(self, event: str, *, document_id: str, version: int, payload: dict[str, Any]) -> None:
        """Send one event about a document."""


class NoEvents:
    """An EventSink for processes without a Prefect API: events are only logged."""

    def emit(self, event: str, *, document_id: str, version: int, payload: dict[str, Any]) -> None:
        """Log the event."""
        logger.info("event %s (no Prefect API): %s", event, payload,
                    extra={"document_id": document_id, "version": version})  # fmt: skip


@dataclass(frozen=True, slots=True)
class RunView:
    """A review run as callers see it."""

    document_id: str
    version: int
    state: ReviewState
    position: int
    attempt: int
    levels: tuple[Level, ...]
    flow_run_id: str | None

    @property
    def level(self) -> Level | None:
        """The level waiting now, if any."""
        return self.levels[self.position] if self.position < len(self.levels) else None

    @property
    def suspend_key(self) -> str:
        """The deterministic key of the flow's current wait (document, version, level, attempt)."""
        kind = "referral" if self.state is ReviewState.REFERRED else "review"
        return f"{kind}-{self.document_id}-{self.version}-{self.position}-{self.attempt}"

    def waits_on(self, pause_key: str) -> bool:
        """Whether a run paused under ``pause_key`` waits for this level and attempt."""
        return same_wait(pause_key, self.suspend_key)


WAIT_AGAIN = "-w"  # a key waited on again takes <key>-w<n> (Prefect refuses a pause key twice)


def same_wait(pause_key: str, suspend_key: str) -> bool:
    """Whether a run paused under ``pause_key`` waits for the level and attempt of ``suspend_key``."""
    return pause_key == suspend_key or pause_key.startswith(suspend_key + WAIT_AGAIN)


def _view(run: ReviewRun) -> RunView:
    levels = tuple(Level(lv["name"], lv.get("time_limit_days")) for lv in run.levels)
    return RunView(run.document_id, run.version, ReviewState(run.state), run.position, run.attempt,
                   levels, run.flow_run_id)  # fmt: skip


_OUTCOME = {
    Decision.RETURN: (ReviewState.RETURNED, DocumentState.RETURNED, "govpub.document.returned"),
    Decision.REJECT: (ReviewState.REJECTED, DocumentState.REJECTED, "govpub.document.rejected"),
    Decision.REFER: (ReviewState.REFERRED, DocumentState.REFERRED, "govpub.document.referred"),
}


class ReviewService:
    """Starts, screens and decides reviews; the database is the record."""

    def __init__(
        self,
        *,
        engine: Engine,
        store: ObjectStore,
        private_bucket: str,
        events: EventSink,
        today: Callable[[], date],
        limits: ExtractionLimits = DEFAULT_LIMITS,
    ) -> None:
        self._engine = engine
        self._limits = limits
        self._store = store
        self._bucket = private_bucket
        self._events = events
        self._today = today

    @property
    def engine(self) -> Engine:
        """The database engine (the reconciler reads with it)."""
        return self._engine

    # -- the flow's steps --------------------------------------------------------------------
    def begin(self, document_id: str, version: int, flow_run_id: str | None) -> RunView | None:
        """Open (or find) the run of a version; None when the version is no longer current."""
        with session_scope(self._engine) as session:
            document = get_document(session=session, document_id=document_id)
            if document.current_version != version:
                return None
            run = lock_run(session=session, document_id=document_id, version=version)
            if run is None:
                content = self._version(session, document_id, version).content_sha256
                run = ReviewRun(document_id=document_id, version=version, content_sha256=content,
                                grade=document.grade, levels=[], state=ReviewState.SCREENING.value,
                                flow_run_id=flow_run_id, waiting_since=utcnow())  # fmt: skip
                for old in void_older_runs(session=session, document_id=document_id, version=version):
                    append_event(session=session, actor="system", action="review.voided",
                                 entity_type="document", entity_id=document_id,
                                 after={"version": old.version}, reason="a newer version was submitted")  # fmt: skip
            elif (
                flow_run_id
                and run.flow_run_id != flow_run_id
                and ReviewState(run.state) in {ReviewState.SCREENING, ReviewState.WAITING, ReviewState.REFERRED}
            ):
                run.flow_run_id = flow_run_id  # a re-driven run takes over
            session.add(run)
            session.flush()
            return _view(run)

    def screen(self, document_id: str, version: int) -> RunView:
        """Screen body and attachments, store findings, choose the chain; idempotent.

        A failure that would recur on every attempt (an attachment's object missing, no chain for the
        category and grade) parks the run in needs_attention with its reason instead of raising.
        """
        with session_scope(self._engine) as session:
            run = lock_run(session=session, document_id=document_id, version=version)
            if run is None:
                raise RuleViolation(f"no review run for {document_id} version {version}")
            if ReviewState(run.state) is not ReviewState.SCREENING:
                return _view(run)
            event, payload = self._screen_run(session, run, get_document(session=session, document_id=document_id))
            view = _view(run)
        self._events.emit(event, document_id=document_id, version=version, payload=payload)
        return view

    def _screen_run(self, session: Session, run: ReviewRun, document: Document) -> tuple[str, dict[str, Any]]:
        """Findings and chain (the run waits at its first level), or needs_attention; the event to emit."""
        screened = self._findings(session, document, run.version)
        attention = screened if isinstance(screened, Attention) else None
        findings = screened if isinstance(screened, list) else []
        grade = effective_grade(Grade(document.grade), has_findings=bool(findings))
        levels: list[Level] = []
        if attention is None:
            chains = session.exec(select(ReviewChain).where(ReviewChain.agency_id == document.agency_id))
            try:
                levels = select_chain([{"category": c.category, "grade": c.grade, "levels": c.levels}
                                       for c in chains], category=document.category, grade=grade)  # fmt: skip
            except NoReviewChain as exc:
                attention = no_chain(session=session, document=document, problem=str(exc))
        if attention is not None:
            park(session=session, run=run, document=document, attention=attention)
            logger.warning("review of %s v%s needs attention: %s", run.document_id, run.version, attention.detail,
                           extra={"document_id": run.document_id, "version": run.version})  # fmt: skip
            return "govpub.document.needs_attention", {"reason": attention.reason.value, "detail": attention.detail}
        for finding in findings:
            session.add(ScreeningFinding(document_id=document.id, version=run.version,
                                         detector=finding.detector.value, source=finding.source[:255],
                                         location=finding.location, masked=finding.masked[:255],
                                         note=finding.note[:255]))  # fmt: skip
        run.grade, run.levels = grade.value, [{"name": lv.name, "time_limit_days": lv.time_limit_days}
                                              for lv in levels]  # fmt: skip
        move_run(run, ReviewState.WAITING)
        run.position, run.waiting_since = 0, utcnow()
        self._move(session, document, DocumentState.IN_REVIEW, actor="system", action="document.screened",
                   extra={"version": run.version, "grade": grade.value, "findings": len(findings),
                          "chain": [lv.name for lv in levels]})  # fmt: skip
        session.add(run)
        return "govpub.document.screened", {"findings": len(findings), "grade": grade.value}

    def retry_if_changed(self, document_id: str, version: int) -> RunView | None:
        """Reopen a parked review (back to screening) once what its failure depended on changed; else None."""
        if not retry_parked(engine=self._engine, store=self._store, bucket=self._bucket,
                            document_id=document_id, version=version):  # fmt: skip
            return None
        return self.current(document_id)

    def current(self, document_id: str) -> RunView | None:
        """The run of the document's current version."""
        with read_scope(self._engine) as session:
            document = get_document(session=session, document_id=document_id)
            run = get_run(session=session, document_id=document_id, version=document.current_version)
            return _view(run) if run else None

    # -- decisions ---------------------------------------------------------------------------
    def decide(
        self, document_id: str, request: DecisionRequest, *, via: str, then: Callable[[RunView], None] | None = None
    ) -> RunView:
        """Check the rules and record a decision; raise RuleViolation naming the rule broken. ``then`` runs
        once it is committed and before its events are emitted (the doors resume the waiting run there:
        the event's automations, a publication, would otherwise make that resume wait on the server)."""
        events: list[tuple[str, dict[str, Any]]] = []
        with session_scope(self._engine) as session:
            document = get_document(session=session, document_id=document_id)
            run = lock_run(session=session, document_id=document_id, version=document.current_version)
            if run is None:
                raise RuleViolation("this document's review has not started yet")
            view = _view(run)
            situation = self._situation(session, document, run, view, request.reviewer)
            check_decision(request, situation)
            reviewer = get_user(session=session, username=request.reviewer)
            version = self._version(session, document_id, run.version)
            level = view.level
            assert level is not None  # noqa: S101 - WAITING implies a level
            row = ReviewDecision(
                document_id=document_id, version=run.version, level=level.name, position=run.position,
                decision=request.decision.value, reviewer_id=reviewer.id or 0, comment=request.comment,
                content_sha256=version.content_sha256, via=via,
                confirmed_attribute=request.confirmed_attribute.value if request.confirmed_attribute else None,
                confirmed_ground=request.confirmed_ground, decided_at=utcnow(),
            )  # fmt: skip
            session.add(row)
            detail: dict[str, Any] = {"version": run.version, "level": level.name,
                                      "decision": request.decision.value,
                                      "content_sha256": version.content_sha256, "via": via}  # fmt: skip
            if request.decision is Decision.APPROVE and situation.unscreened:
                detail["acknowledged_unscreened"] = list(situation.unscreened)
            # The audit event carries the whole row (the comment as its reason): `audit verify` checks one by the other.
            record = {**detail, "position": row.position, "reviewer_id": row.reviewer_id,
                      "confirmed_attribute": row.confirmed_attribute, "confirmed_ground": row.confirmed_ground,
                      "decided_at": row.decided_at.isoformat()}  # fmt: skip
            events.append(("govpub.document.review.decided", detail))
            if request.decision is Decision.APPROVE and situation.is_last_level:
                move_run(run, ReviewState.APPROVED)
                assert request.confirmed_attribute is not None  # noqa: S101 - checked by the rules
                document.attribute = request.confirmed_attribute.value
                self._move(session, document, DocumentState.APPROVED, actor=request.reviewer,
                           action="document.approved", extra=record, reason=request.comment or None)  # fmt: skip
                events.append(("govpub.document.approved", detail))
            elif request.decision is Decision.APPROVE:
                run.position, run.attempt, run.waiting_since = run.position + 1, 0, utcnow()
                append_event(session=session, actor=request.reviewer, action="review.decided",
                             entity_type="document", entity_id=document_id, after=record,
                             reason=request.comment or None)  # fmt: skip
            else:
                run_state, doc_state, event = _OUTCOME[request.decision]
                move_run(run, run_state)
                self._move(session, document, doc_state, actor=request.reviewer,
                           action=f"document.{doc_state.value}", extra=record, reason=request.comment)  # fmt: skip
                events.append((event, detail))
            session.add(run)
            view = _view(run)
        try:
            if then is not None:
                then(view)
        finally:  # announced after ``then`` (the waiting run resumed first), and whatever it raised
            for name, payload in events:
                self._events.emit(name, document_id=document_id, version=view.version, payload=payload)
        return view

    def refuse(self, view: RunView, *, reviewer: str, reason: str) -> RunView:
        """Record a refused decision that came through the flow; the run waits again (new key)."""
        with session_scope(self._engine) as session:
            run = lock_run(session=session, document_id=view.document_id, version=view.version)
            assert run is not None  # noqa: S101 - the view came from this run
            if (run.position, run.attempt, run.state) == (view.position, view.attempt, view.state.value):
                run.attempt += 1
                append_event(session=session, actor=reviewer[:64] or "unknown", action="review.refused",
                             entity_type="document", entity_id=view.document_id,
                             after={"version": view.version, "position": view.position}, reason=reason)  # fmt: skip
                session.add(run)
            return _view(run)

    def resolve_referral(self, document_id: str, *, actor: str, cleared: bool, comment: str) -> RunView:
        """Record the secrecy administration's answer: cleared continues the chain; not cleared rejects."""
        if not comment.strip():
            raise RuleViolation("record the secrecy administration's answer in the comment")
        events: list[tuple[str, dict[str, Any]]] = []
        with session_scope(self._engine) as session:
            user = get_user(session=session, username=actor)
            if (Role.DISCLOSURE_OFFICE, "") not in user_roles(session=session, user=user):
                raise RuleViolation(f"{actor!r} is not in the disclosure office")
            document = get_document(session=session, document_id=document_id)
            run = lock_run(session=session, document_id=document_id, version=document.current_version)
            if run is None or ReviewState(run.state) is not ReviewState.REFERRED:
                raise RuleViolation("this document is not waiting for the secrecy administration")
            detail = {"version": run.version, "cleared": cleared}
            if not cleared:
                move_run(run, ReviewState.REJECTED)
                self._move(session, document, DocumentState.REJECTED, actor=actor,
                           action="document.rejected", extra=detail, reason=comment)  # fmt: skip
                events.append(("govpub.document.rejected", detail))
            elif run.position + 1 >= len(run.levels):
                move_run(run, ReviewState.APPROVED)
                self._move(session, document, DocumentState.APPROVED, actor=actor,
                           action="document.approved", extra=detail, reason=comment)  # fmt: skip
                events.append(("govpub.document.approved", detail))
            else:
                move_run(run, ReviewState.WAITING)
                run.position, run.attempt = run.position + 1, 0
                run.waiting_since = utcnow()
                self._move(session, document, DocumentState.IN_REVIEW, actor=actor,
                           action="referral.cleared", extra=detail, reason=comment)  # fmt: skip
            session.add(run)
            view = _view(run)
        for name, payload in events:
            self._events.emit(name, document_id=document_id, version=view.version, payload=payload)
        return view

    # -- internals ---------------------------------------------------------------------------
    def _situation(
        self, session: Session, document: Document, run: ReviewRun, view: RunView, reviewer: str
    ) -> ReviewSituation:
        drafter = session.get(User, document.drafter_id)
        user = session.exec(select(User).where(User.username == reviewer)).first()
        level = view.level or Level("?")
        already = session.exec(select(ReviewDecision).where(
            ReviewDecision.document_id == document.id, ReviewDecision.version == run.version,
            ReviewDecision.level == level.name)).first() is not None  # fmt: skip
        current = self._version(session, document.id, document.current_version)
        unscreened = sorted({f.source for f in session.exec(select(ScreeningFinding).where(
            ScreeningFinding.document_id == document.id, ScreeningFinding.version == run.version,
            ScreeningFinding.detector == Detector.UNSCREENED.value))})  # fmt: skip
        return ReviewSituation(
            state=view.state, level=level, is_last_level=view.position == len(view.levels) - 1,
            drafter=drafter.username if drafter else "", reviewer_active=bool(user and user.active),
            reviewer_roles=frozenset(user_roles(session=session, user=user)) if user else frozenset(),
            already_decided=already,
            content_matches=current.content_sha256 == run.content_sha256 and run.version == current.number,
            unscreened=tuple(unscreened),
        )  # fmt: skip

    @staticmethod
    def _version(session: Session, document_id: str, number: int) -> DocumentVersion:
        statement = select(DocumentVersion).where(
            DocumentVersion.document_id == document_id, DocumentVersion.number == number
        )
        return session.exec(statement).one()

    def _findings(self, session: Session, document: Document, number: int) -> list[Finding] | Attention:
        """The version's findings; Attention when an attachment's object is missing (nothing is screened)."""
        version = self._version(session, document.id, number)
        rows = list_attachments(session=session, version_id=version.id or 0)
        files, missing = load_attachments(self._store, self._bucket, rows)
        if missing:
            return missing_objects(rows, missing)
        screener = agency_screener(session=session, agency_id=document.agency_id, today=self._today())
        found = screen_body(screener, version.submission["body"], version.submission.get("body_format", "text"))
        found.extend(screen_files(screener, files, limits=self._limits))  # unreadable → unscreened findings
        return found

    @staticmethod
    def _move(
        session: Session,
        document: Document,
        target: DocumentState,
        *,
        actor: str,
        action: str,
        extra: dict[str, Any],
        reason: str | None = None,
    ) -> None:
        before = {"state": document.state}
        check_transition(DocumentState(document.state), target)
        document.state, document.updated_at = target.value, utcnow()
        session.add(document)
        append_event(session=session, actor=actor, action=action, entity_type="document",
                     entity_id=document.id, before=before, after={"state": target.value, **extra},
                     reason=reason)  # fmt: skip


def waited(since: datetime | None) -> float:
    """Hours since a moment (for review lists)."""
    if since is None:
        return 0.0
    moment = aware(since)
    return (utcnow() - moment).total_seconds() / 3600
