"""Following each application with a flow run (follow-application): what the flow reads, and the run attached.

The database is the record; the flow only waits. ``read`` gives the case's state, how many events it
has (the key of the flow's wait moves on with every act) and its next deadline as ``open_case`` gives
it — the reply, or the correction or fee period awaited — with the moment the flow stops waiting for
it: the end of that day in Asia/Shanghai, from when the case is overdue. ``claim`` attaches a flow
run to the case unless another still follows it; ``open_followers`` lists the open cases for the
reconciler, which starts a run where none follows and resumes one waiting on a stale key.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session

from disclosure.applications import OPEN_STATES, ApplicationState
from disclosure.calendar import WorkingCalendar
from disclosure.time_limits import DeadlineKind
from services.application_checks import get_case, subject
from services.application_deadlines import OpenCase, open_case
from services.authz import Act, Authorizer
from services.principal import Principal
from storage.db import read_scope, session_scope
from storage.models import aware
from storage.models_applications import Application
from storage.repository.applications import event_counts, list_applications, load_clocks

SHANGHAI = ZoneInfo("Asia/Shanghai")
REPLY = DeadlineKind.APPLICATION_REPLY


class RunActivity(Protocol):
    """Whether a flow run still follows its case (Prefect's answer, given by the flow)."""

    def __call__(self, flow_run_id: str) -> bool:
        """True while the run is in no final state; False once it is, or when it is gone."""


@dataclass(frozen=True, slots=True)
class FollowedRun:
    """The flow run following an application, as the resume hook is given it."""

    application_id: int
    flow_run_id: str | None

    def waits_on(self, pause_key: str) -> bool:
        """Any wait of the follower: a resume only makes it read the case again."""
        del pause_key
        return True


@dataclass(frozen=True, slots=True)
class Following:
    """An application as the flow following it reads it."""

    application_id: int
    state: ApplicationState
    events: int  # acts recorded so far (registration included): the wait's key moves on with each
    flow_run_id: str | None
    registered_at: datetime
    deadline: OpenCase | None  # while open: the next deadline; None while a consultation stops the clock

    @property
    def is_open(self) -> bool:
        """Still handled: the flow keeps following it (closed, replied and after: it completes)."""
        return self.state in OPEN_STATES

    @property
    def wait_prefix(self) -> str:
        """What every key of a wait for the act after these events starts with."""
        return f"application-{self.application_id}-{self.events}-"

    def wait_key(self, wake: int = 0) -> str:
        """The wait's deterministic key: application, events so far, and how often it woke without an act."""
        return f"{self.wait_prefix}{wake}"

    @property
    def wake_at(self) -> datetime | None:
        """The end of the next deadline's day in Asia/Shanghai (overdue from then on); None without one."""
        if self.deadline is None:
            return None
        return datetime.combine(self.deadline.due + timedelta(days=1), time(), tzinfo=SHANGHAI)

    def timeout(self, now: datetime) -> int | None:
        """Seconds from ``now`` to ``wake_at``; None without a deadline or once it has passed (the flow then
        waits for the next act only: the reconciler announces the case as overdue)."""
        if self.wake_at is None:
            return None
        seconds = int((self.wake_at - now).total_seconds())
        return seconds if seconds > 0 else None

    def describe(self) -> str:
        """The state and the due date, as the flow logs them."""
        if not self.is_open:
            return f"{self.state}: no longer open"
        if self.deadline is None:
            return f"{self.state}: no due date while a consultation stops the reply clock"
        due = self.deadline
        return f"{self.state}, {due.kind} due {due.due}" + (" (provisional)" if due.provisional else "")


@dataclass(frozen=True, slots=True)
class Claim:
    """Who follows the case once a run asked to: this run, or another one still active."""

    case: Following
    follower: str  # the flow run following the case now
    claimed: bool  # whether that is the run that asked


class ApplicationFollowing:
    """The use cases of the follow-application flow and of the reconciler's step for it (govpub itself)."""

    def __init__(self, engine: Engine, *, authz: Authorizer, calendar: Callable[[], WorkingCalendar]) -> None:
        self._engine, self._authz, self._calendar = engine, authz, calendar

    def read(self, principal: Principal, application_id: int) -> Following:
        """The case's state, events and next deadline (no personal data)."""
        self._authz.require(principal, Act.READ_APPLICATIONS, subject=subject(application_id))
        with read_scope(self._engine) as session:
            return self._following(session, [get_case(session, application_id)])[0]

    def claim(self, principal: Principal, application_id: int, *, flow_run_id: str, active: RunActivity) -> Claim:
        """Attach ``flow_run_id`` to the case unless another run still follows it (idempotent: the run that
        follows it already is told so). Prefect is asked outside the write transaction."""
        self._authz.require(principal, Act.FOLLOW_APPLICATIONS, subject=subject(application_id))
        with read_scope(self._engine) as session:
            current = get_case(session, application_id).flow_run_id
        if current and current != flow_run_id and active(current):
            return Claim(self.read(principal, application_id), follower=current, claimed=False)
        with session_scope(self._engine) as session:
            row = get_case(session, application_id, for_update=True)
            if row.flow_run_id != current:  # another run claimed it since: that one is starting now
                return Claim(self._following(session, [row])[0], follower=row.flow_run_id or "", claimed=False)
            row.flow_run_id = flow_run_id
            session.add(row)
            session.flush()
            return Claim(self._following(session, [row])[0], follower=flow_run_id, claimed=True)

    def open_followers(self, principal: Principal, *, registered_before: datetime) -> list[Following]:
        """Every open case registered before then (the grace for its registered event's run), oldest first."""
        self._authz.require(principal, Act.READ_APPLICATIONS)
        with read_scope(self._engine) as session:
            rows = list_applications(session=session, states=[s.value for s in OPEN_STATES], limit=100_000)
            found = self._following(session, [r for r in rows if aware(r.created_at) < registered_before])
        return sorted(found, key=lambda f: f.application_id)

    def _following(self, session: Session, rows: Sequence[Application]) -> list[Following]:
        ids = [r.id for r in rows if r.id is not None]
        counts = event_counts(session=session, application_ids=ids)
        clocks = load_clocks(session=session, application_ids=ids, kind=REPLY)
        calendar = self._calendar()
        found = []
        for row in rows:
            assert row.id is not None  # noqa: S101 - stored
            state = ApplicationState(row.state)
            deadline = open_case(row, clocks.get(row.id), calendar) if state in OPEN_STATES else None
            found.append(Following(row.id, state, counts.get(row.id, 0), row.flow_run_id, aware(row.created_at),
                                   deadline))  # fmt: skip
        return found
