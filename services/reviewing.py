"""Reviewer commands: record a decision under the rules, then resume the waiting flow run."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import date, datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from sqlmodel import Session, select

from disclosure.attributes import Role
from disclosure.calendar import WorkingCalendar
from disclosure.review import DecisionRequest, ReviewState
from disclosure.screening import Detector
from services.attention import REMEDY, ParkedReview, parked_reviews
from services.review_service import ReviewService, RunView
from storage.models import Document, User, UserRole, aware
from storage.repository.reviews import list_findings, list_open_runs

logger = logging.getLogger(__name__)
SHANGHAI = ZoneInfo("Asia/Shanghai")


class WaitingRun(Protocol):
    """What waits for people: a review's run (RunView), an application's follower (FollowedRun)."""

    @property
    def flow_run_id(self) -> str | None:
        """The flow run waiting, if one is attached."""

    def waits_on(self, pause_key: str) -> bool:
        """Whether a run paused under ``pause_key`` waits for this act (a resume meant for an earlier wait,
        retried after the run moved on, must not wake the next one)."""


class Resumer(Protocol):
    """Wakes the flow run waiting for a review or following an application once an act is recorded
    (Prefect's, in flows/resume.py); the run reads the record, so the wake carries nothing."""

    def __call__(self, view: WaitingRun) -> None:
        """Wake it if it waits for this act; ServiceUnavailable if the orchestrator cannot be reached."""


def no_resume(view: WaitingRun) -> None:
    """A resumer for processes without an orchestrator: the reconciler resumes the run later."""
    del view


def decide(service: ReviewService, document_id: str, request: DecisionRequest, *, via: str, resume: Resumer) -> RunView:
    """Record the decision (rules checked), then wake the run waiting for it (it reads the record)."""
    before = service.current(document_id)

    def resume_waiting(_: RunView) -> None:
        if before is not None and before.flow_run_id:
            resume(before)

    return service.decide(document_id, request, via=via, then=resume_waiting)


def resolve(
    service: ReviewService, document_id: str, *, actor: str, cleared: bool, comment: str, resume: Resumer
) -> RunView:
    """Record the secrecy administration's answer and resume the parked run."""
    before = service.current(document_id)
    view = service.resolve_referral(document_id, actor=actor, cleared=cleared, comment=comment)
    if before is not None:
        resume(before)
    return view


class ReviewItem(BaseModel):
    """One review waiting for someone (the API's response schema too).

    A review parked in needs_attention (listed for the disclosure office, never for a reviewer) has
    no level: ``attention_reason`` and ``attention_detail`` say why, ``holders`` who can act.
    """

    document_id: str
    title: str
    version: int
    level: str
    state: str
    waiting_since: datetime
    waited_hours: float
    working_days_waited: int
    due_on: date | None
    due_provisional: bool
    overdue: bool
    holders: list[str]
    findings: dict[str, int]
    unscreened: list[dict[str, str]]  # file and reason of each part screening could not read
    attention_reason: str | None = None  # an AttentionReason, when the review needs attention
    attention_detail: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {**self.model_dump(mode="json"), "waited_hours": round(self.waited_hours, 2)}


def waiting_items(*, session: Session, user: User | None, now: datetime, calendar: WorkingCalendar) -> list[ReviewItem]:
    """Reviews waiting (oldest first); for a user, only levels they hold on others' documents; without
    one, the reviews that need attention too."""
    items = []
    held = (
        {r.level for r in session.exec(
            select(UserRole).where(UserRole.user_id == user.id, UserRole.role == Role.REVIEWER.value))}
        if user else None
    )  # fmt: skip
    for run in list_open_runs(session=session):
        if ReviewState(run.state) is ReviewState.SCREENING or run.position >= len(run.levels):
            continue
        level = run.levels[run.position]
        document = session.get(Document, run.document_id)
        if document is None:
            continue
        referred = ReviewState(run.state) is ReviewState.REFERRED
        if (
            held is not None
            and user is not None
            and (referred or level["name"] not in held or document.drafter_id == user.id)
        ):
            continue
        since = run.waiting_since or run.created_at
        since = aware(since)
        start_day = since.astimezone(SHANGHAI).date()
        today = now.astimezone(SHANGHAI).date()
        due = calendar.add_working_days(start_day, level["time_limit_days"]) if level.get("time_limit_days") else None
        holders = sorted(
            u.username for u in session.exec(
                select(User).join(UserRole, UserRole.user_id == User.id)  # type: ignore[arg-type]
                .where(UserRole.role == Role.REVIEWER.value, UserRole.level == level["name"]))
            if u.id != document.drafter_id
        ) if not referred else ["保密行政管理部门 (via disclosure office)"]  # fmt: skip
        rows = list_findings(session=session, document_id=run.document_id, version=run.version)
        findings = Counter(f.detector for f in rows)
        unscreened = [{"file": _part(f.source, f.location), "reason": f.note}
                      for f in rows if f.detector == Detector.UNSCREENED.value]  # fmt: skip
        items.append(ReviewItem(
            document_id=run.document_id, title=document.title, version=run.version,
            level=level["name"], state=run.state, waiting_since=since,
            waited_hours=(now - since).total_seconds() / 3600,
            working_days_waited=calendar.count_working_days(start_day, today),
            due_on=due.value if due else None, due_provisional=bool(due and due.provisional),
            overdue=bool(due and today > due.value), holders=holders, findings=dict(findings),
            unscreened=unscreened,
        ))  # fmt: skip
    if user is None:
        items.extend(_parked(parked, now=now, calendar=calendar) for parked in parked_reviews(session=session))
    return sorted(items, key=lambda i: i.waiting_since)


def _parked(parked: ParkedReview, *, now: datetime, calendar: WorkingCalendar) -> ReviewItem:
    """A review that needs attention, as review lists show it."""
    start_day = parked.since.astimezone(SHANGHAI).date()
    return ReviewItem(
        document_id=parked.document_id, title=parked.title, version=parked.version, level="",
        state=ReviewState.NEEDS_ATTENTION.value, waiting_since=parked.since,
        waited_hours=(now - parked.since).total_seconds() / 3600,
        working_days_waited=calendar.count_working_days(start_day, now.astimezone(SHANGHAI).date()),
        due_on=None, due_provisional=False, overdue=False, holders=[REMEDY.get(parked.reason, "an administrator")],
        findings={}, unscreened=[], attention_reason=parked.reason, attention_detail=parked.detail,
    )  # fmt: skip


def _part(source: str, location: dict[str, Any]) -> str:
    """The file, archive member or page a finding is about, as reviewers read it."""
    where = [f"{key} {location[key]}" for key in ("member", "page") if key in location]
    return f"{source} ({', '.join(where)})" if where else source
