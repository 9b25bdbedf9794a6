"""Disclosure on application (依申请公开) as use cases, each taking the acting principal.

Only the disclosure office registers and acts on applications and reads the applicant's personal
data; admins, the operator and govpub itself read masked lists and the case facts of the annual
report. Every act is checked against the core's state table, stored with its append-only event,
audited (the application's id and state only, never personal data) and announced as a
``govpub.application.*`` event. Dates the law fixes by the record (receipt, sending, answer,
payment, reply) are given explicitly and default to today, so a seed can replay a year. Once an act
on an open case has committed, the follow-application flow run following it is resumed through the
``resume`` hook (the same one reviews use); when the orchestrator does not answer, the act stands, one
line is logged, and the reconciler resumes the run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, select

from disclosure.application_fees import FeeMethod, application_fee, page_fee
from disclosure.application_receipt import IntakeChannel, ReceiptDates, receipt_date
from disclosure.application_replies import CLOSING_LEAVES, Closing, Reply, reply_leaf
from disclosure.application_rules import (
    check_correction_request,
    check_period_passed,
    consultation_deadline,
    payment_deadline,
)
from disclosure.applications import OPEN_STATES, ApplicationAct, ApplicationState, check_act, next_state
from disclosure.calendar import WorkingCalendar
from disclosure.clock import Approval, ClockEvent, Extended, Paused, Restarted, Resumed
from disclosure.clock_due import compute_due
from disclosure.errors import (
    ConfigurationError,
    InvalidInput,
    NotFound,
    RuleViolation,
    ServiceUnavailable,
    Violation,
)
from disclosure.report_rows import ApplicantType, CaseFact, Table3Leaf
from disclosure.time_limits import DeadlineKind, PauseReason
from schemas import APPLICATION, load_json, validate
from services.application_checks import (
    EXTENSION_REQUESTED,
    REVIEWED,
    approval_problem,
    check_day,
    get_case,
    last_details,
    pending_extension,
    subject,
)
from services.application_deadlines import OpenCase, deadline_of, due_of, open_case
from services.application_follow import FollowedRun
from services.application_notices import Announced, announce_deadlines
from services.application_transfer import ApplicationTransfer, TransferReason, Transferred
from services.application_views import ApplicationDetail, ApplicationSummary, detail, summary
from services.authz import Act, Authorizer, refusal
from services.principal import Principal
from services.review_service import EventSink
from services.reviewing import Resumer, no_resume
from storage.db import session_scope
from storage.models import Agency, Document
from storage.models_applications import Application
from storage.repository.applications import (
    append_application_event,
    append_clock_event,
    application_events,
    applications_received_through,
    create_application,
    create_clock,
    get_clock_row,
    list_applications,
    load_clocks,
    next_receipt_number,
)
from storage.repository.audit import append_event

REPLY = DeadlineKind.APPLICATION_REPLY
logger = logging.getLogger(__name__)
__all__ = ["ApplicationService", "OpenCase", "deadline_of"]


class ApplicationService:
    """Every use case of disclosure on application."""

    def __init__(
        self, engine: Engine, *, authz: Authorizer, events: EventSink, calendar: Callable[[], WorkingCalendar],
        today: Callable[[], date], transfer: ApplicationTransfer | None = None, resume: Resumer = no_resume,
    ) -> None:  # fmt: skip
        self._engine, self._authz, self._events = engine, authz, events
        self._calendar, self._today, self._transfer, self._resume = calendar, today, transfer, resume

    # -- registration and reading --------------------------------------------------------------
    def register(self, principal: Principal, raw: bytes) -> ApplicationDetail:
        """Register an application from its JSON (schemas/application.schema.json), receipt fixed by Art. 31."""
        self._authz.require(principal, Act.HANDLE_APPLICATIONS)
        data = load_json(raw)
        validate(APPLICATION, data)
        channel = IntakeChannel(data["channel"])
        given = {k: date.fromisoformat(v) for k, v in data["received"].items()}
        received = receipt_date(channel, ReceiptDates(**given), today=self._today())
        applicant = data["applicant"]
        with session_scope(self._engine) as session:
            agency = self._agency(session, principal, data.get("agency"))
            row = create_application(session=session, application=Application(
                agency=agency, receipt_number=next_receipt_number(session=session, agency=agency, year=received.year),
                applicant_type=ApplicantType(applicant["type"]).value, applicant_name=applicant["name"].strip(),
                applicant_id_proof=applicant.get("id_proof", ""), applicant_phone=applicant.get("phone", ""),
                applicant_email=applicant.get("email", ""), applicant_address=applicant.get("address", ""),
                description=data["description"], doc_number=data.get("doc_number", ""), form=data.get("form", ""),
                delivery=data.get("delivery", ""), channel=channel.value, receipt_dates=data["received"],
                received_on=received, state=ApplicationState.REGISTERED.value, created_by=principal.username,
            ))  # fmt: skip
            assert row.id is not None  # noqa: S101 - flushed
            create_clock(session=session, application_id=row.id, kind=REPLY, started_on=received)
            announce = self._record(session, principal, row, act="register", day=received,
                                    details={"channel": channel.value})  # fmt: skip
            application_id = row.id
        announce()
        return self.show(principal, application_id)

    def list_masked(
        self, principal: Principal, *, agency: str | None = None, state: str | None = None
    ) -> list[ApplicationSummary]:
        """Applications newest first, always masked."""
        self._authz.require(principal, Act.READ_APPLICATIONS)
        with Session(self._engine) as session:
            rows = list_applications(session=session, agency=agency, states=[state] if state else [])
            clocks = load_clocks(session=session, application_ids=[r.id for r in rows if r.id], kind=REPLY)
        calendar = self._calendar()
        return [summary(r, due_of(clocks.get(r.id or 0), calendar)) for r in rows]

    def show(self, principal: Principal, application_id: int) -> ApplicationDetail:
        """One application with its events and the reply due date; personal data only for the disclosure office."""
        self._authz.require(principal, Act.READ_APPLICATIONS, subject=subject(application_id))
        full = refusal(principal, Act.HANDLE_APPLICATIONS) is None
        with Session(self._engine) as session:
            row = get_case(session, application_id)
            events = application_events(session=session, application_id=application_id)
            clock = load_clocks(session=session, application_ids=[application_id], kind=REPLY).get(application_id)
        return detail(row, events, due_of(clock, self._calendar()), full=full)

    def case_facts(self, principal: Principal, *, agency: str | None, through: date) -> list[CaseFact]:
        """Who applied, when received and how it ended, for every application received on or before ``through``."""
        self._authz.require(principal, Act.READ_APPLICATIONS)
        with Session(self._engine) as session:
            rows = applications_received_through(session=session, agency=agency, through=through)
        return [CaseFact(ApplicantType(r.applicant_type), r.received_on, r.closed_on,
                         Table3Leaf(r.outcome) if r.outcome else None) for r in rows]  # fmt: skip

    def open_cases(self, principal: Principal) -> list[OpenCase]:
        """Every open application's next deadline, soonest first."""
        self._authz.require(principal, Act.READ_APPLICATIONS)
        with Session(self._engine) as session:
            rows = list_applications(session=session, states=[s.value for s in OPEN_STATES], limit=100_000)
            clocks = load_clocks(session=session, application_ids=[r.id for r in rows if r.id], kind=REPLY)
        calendar = self._calendar()
        found = [case for r in rows if (case := open_case(r, clocks.get(r.id or 0), calendar)) is not None]
        return sorted(found, key=lambda c: (c.due, c.application_id))

    def announce_deadlines(self, principal: Principal, *, today: date | None = None) -> list[Announced]:
        """Emit ``govpub.application.due_soon`` / ``.overdue`` once per due date (the reconciler calls this)."""
        self._authz.require(principal, Act.READ_APPLICATIONS)
        return announce_deadlines(self._engine, self._events, self._calendar(), today=today or self._today())

    # -- review and correction (Art. 30) -------------------------------------------------------
    def accept(self, principal: Principal, application_id: int, *, on: date | None = None) -> ApplicationDetail:
        """审核: the application is complete; handling starts."""
        return self._act(principal, application_id, ApplicationAct.ACCEPT, on)

    def request_correction(
        self, principal: Principal, application_id: int, *, correct_by: date, note: str, sent_on: date | None = None
    ) -> ApplicationDetail:
        """Ask, once and for everything, for a correction within 7 working days of receipt, stating the period."""
        self._authz.require(principal, Act.HANDLE_APPLICATIONS, subject=subject(application_id))
        day = sent_on or self._today()
        if not note.strip():
            raise InvalidInput([Violation("$.note", "say everything the applicant must correct (all at once)")])

        def apply(_: Session, row: Application) -> dict[str, Any]:
            check_correction_request(row.received_on, sent_on=day, correct_by=correct_by, calendar=self._calendar())
            row.correction_by = correct_by
            return {"correct_by": correct_by.isoformat()}

        return self._act(principal, application_id, ApplicationAct.REQUEST_CORRECTION, day, note=note, apply=apply)

    def record_correction(
        self, principal: Principal, application_id: int, *, received_on: date | None = None
    ) -> ApplicationDetail:
        """The corrected application received: the 20 working days restart from that day (Art. 30)."""
        day = received_on or self._today()
        return self._act(principal, application_id, ApplicationAct.RECEIVE_CORRECTION, day, clock_event=Restarted(day))

    def close(
        self, principal: Principal, application_id: int, *, closing: Closing, on: date | None = None
    ) -> ApplicationDetail:
        """Close without a reply: not corrected, or the fee not paid, once its stated period has passed."""
        day = on or self._today()
        act = ApplicationAct.CLOSE_UNCORRECTED if closing is Closing.NO_CORRECTION else ApplicationAct.CLOSE_UNPAID

        def apply(_: Session, row: Application) -> dict[str, Any]:
            if closing is Closing.NO_CORRECTION:
                check_period_passed("correction", row.correction_by, today=day)
            else:
                check_period_passed("fee payment", row.fee_pay_by, today=day)
            row.outcome, row.closed_on = CLOSING_LEAVES[closing].value, day
            return {"closing": closing.value, "outcome": row.outcome}

        return self._act(principal, application_id, act, day, apply=apply)

    # -- consultation (Art. 32, 34), extension (Art. 33), fee (109号) ---------------------------
    def consult(
        self, principal: Principal, application_id: int, *, agency: bool, note: str = "", sent_on: date | None = None
    ) -> ApplicationDetail:
        """Consult a third party (Art. 32) or a co-producing agency (Art. 34): the reply clock pauses."""
        day = sent_on or self._today()
        reason = PauseReason.AGENCY_CONSULTATION if agency else PauseReason.THIRD_PARTY_CONSULTATION

        def apply(_: Session, __: Application) -> dict[str, Any]:
            return {"party": "agency" if agency else "third_party",
                    "answer_by": consultation_deadline(day, self._calendar()).isoformat()}  # fmt: skip

        event = Paused(day, reason, note)
        return self._act(
            principal, application_id, ApplicationAct.CONSULT, day, note=note, apply=apply, clock_event=event
        )

    def consultation_answered(
        self, principal: Principal, application_id: int, *, answer: str, note: str = "", answered_on: date | None = None
    ) -> ApplicationDetail:
        """The consulted party answered (``consent`` / ``objection``), or kept silent past 15 WD (``silent``)."""
        self._authz.require(principal, Act.HANDLE_APPLICATIONS, subject=subject(application_id))
        if answer not in {"consent", "objection", "silent"}:
            raise InvalidInput([Violation("$.answer", "consent, objection or silent")])
        day = answered_on or self._today()
        with self._audited(principal, ApplicationAct.CONSULTATION_ANSWERED.value, application_id):
            with Session(self._engine) as session:
                opened = last_details(session, application_id, ApplicationAct.CONSULT)
            answer_by = date.fromisoformat(opened["answer_by"])
            if answer == "silent" and day <= answer_by:
                raise RuleViolation(
                    f"the consulted party has until {answer_by} to answer: silence counts only after it"
                )
        if answer == "silent":
            if opened["party"] == "agency":
                answer = "silent_consent"  # Art. 34: 逾期未提出意见的视为同意公开
            day = answer_by  # the clock resumes once the period for the answer has run out

        def apply(_: Session, __: Application) -> dict[str, Any]:
            return {"answer": answer, "party": opened["party"]}

        act = ApplicationAct.CONSULTATION_ANSWERED
        return self._act(principal, application_id, act, day, note=note, apply=apply, clock_event=Resumed(day))

    def request_extension(
        self, principal: Principal, application_id: int, *, days: int, note: str, on: date | None = None
    ) -> ApplicationDetail:
        """Ask the head of the disclosure office to extend the reply period (≤ 20 WD in all, Art. 33); the
        clock moves only once approved (``approve_extension``)."""
        self._authz.require(principal, Act.HANDLE_APPLICATIONS, subject=subject(application_id))
        day = on or self._today()
        if not note.strip():
            raise InvalidInput([Violation("$.note", "say why the reply period must be extended")])
        with self._audited(principal, EXTENSION_REQUESTED, application_id), session_scope(self._engine) as session:
            row = get_case(session, application_id, for_update=True)
            check_day(day, received=row.received_on, today=self._today())
            next_state(ApplicationState(row.state), ApplicationAct.EXTEND)  # refused where no extension is allowed
            clock = load_clocks(session=session, application_ids=[application_id], kind=REPLY).get(application_id)
            if clock is not None:  # refused now, naming the rule, if the approval could not be kept
                compute_due(clock.append(Extended(days, Approval(principal.username, day))), self._calendar().day)
            announce = self._record(session, principal, row, act=EXTENSION_REQUESTED, day=day, note=note,
                                    details={"days": days})  # fmt: skip
        announce()
        return self.show(principal, application_id)

    def approve_extension(
        self, principal: Principal, application_id: int, *, notice_sent_on: date, approved_on: date | None = None
    ) -> ApplicationDetail:
        """The head of the disclosure office approves the extension asked for, with their own credentials;
        the applicant is told (on ``notice_sent_on``)."""
        self._authz.require(principal, Act.HANDLE_APPLICATIONS, subject=subject(application_id))
        day = approved_on or self._today()
        if notice_sent_on < day:
            raise InvalidInput([Violation("$.notice_sent_on", f"the applicant is told after the approval ({day})")])
        with self._audited(principal, ApplicationAct.EXTEND.value, application_id):
            with Session(self._engine) as session:
                requested = pending_extension(session, application_id)
            problem = approval_problem(principal, requested)
            if problem:
                raise RuleViolation(problem)
        days = int(requested.details["days"])

        def apply(_: Session, __: Application) -> dict[str, Any]:
            return {"days": days, "requested_by": requested.actor, "notice_sent_on": notice_sent_on.isoformat()}

        event = Extended(days, Approval(principal.username, day))
        return self._act(principal, application_id, ApplicationAct.EXTEND, day, apply=apply, clock_event=event)

    def notify_fee(
        self, principal: Principal, application_id: int, *, method: FeeMethod, count: int, note: str = "",
        notified_on: date | None = None,
    ) -> ApplicationDetail:  # fmt: skip
        """Send a fee notice: ``count`` is the pages (per page) or the applicant's nth application this month."""
        self._authz.require(principal, Act.HANDLE_APPLICATIONS, subject=subject(application_id))
        day = notified_on or self._today()
        try:
            fee = page_fee(count) if method is FeeMethod.PER_PAGE else application_fee(count)
        except ValueError as exc:
            raise InvalidInput([Violation("$.count", str(exc))]) from None
        if fee == 0:
            with self._audited(principal, ApplicationAct.NOTIFY_FEE.value, application_id):
                raise RuleViolation(f"no fee is due for {count} ({method}): nothing to notify")

        def apply(_: Session, row: Application) -> dict[str, Any]:
            row.fee_yuan, row.fee_pay_by = fee, payment_deadline(day, self._calendar())
            return {"method": method.value, "count": count, "yuan": fee, "pay_by": row.fee_pay_by.isoformat()}

        event = Paused(day, PauseReason.FEE, note)
        act = ApplicationAct.NOTIFY_FEE
        return self._act(principal, application_id, act, day, note=note, apply=apply, clock_event=event)

    def record_payment(
        self, principal: Principal, application_id: int, *, paid_on: date | None = None
    ) -> ApplicationDetail:
        """The fee paid within its period: the reply clock resumes."""
        day = paid_on or self._today()

        def apply(_: Session, row: Application) -> dict[str, Any]:
            if row.fee_pay_by is not None and day > row.fee_pay_by:
                raise RuleViolation(f"the fee was due by {row.fee_pay_by}: close the case as unpaid instead")
            return {"yuan": row.fee_yuan}

        act = ApplicationAct.RECORD_PAYMENT
        return self._act(principal, application_id, act, day, apply=apply, clock_event=Resumed(day))

    # -- reply and after -----------------------------------------------------------------------
    def reply(
        self, principal: Principal, application_id: int, reply: Reply, *, replied_on: date | None = None
    ) -> ApplicationDetail:
        """Answer with a typed outcome (Art. 35-39); it counts under exactly one row of Table 3."""
        self._authz.require(principal, Act.HANDLE_APPLICATIONS, subject=subject(application_id))
        day = replied_on or self._today()
        leaf = reply_leaf(reply)

        def apply(session: Session, row: Application) -> dict[str, Any]:
            if reply.published_item is not None:
                released = session.get(Document, reply.published_item)
                if released is None:
                    raise InvalidInput([Violation("$.published_item", f"no published item {reply.published_item}")])
                if released.state not in REVIEWED:  # what is released has passed review first (Art. 17, 37)
                    raise RuleViolation(f"{reply.published_item} is {released.state}: a document is released to an "
                                        "applicant only once its review has approved it")  # fmt: skip
            if day < row.received_on:
                raise InvalidInput(
                    [Violation("$.replied_on", f"before the application was received ({row.received_on})")]
                )
            row.outcome, row.closed_on = leaf.value, day
            row.reply = {"kind": reply.kind.value, "ground": reply.ground.value if reply.ground else None,
                         "where": reply.where, "agency": reply.agency, "published_item": reply.published_item,
                         "note": reply.note}  # fmt: skip
            return {"kind": reply.kind.value, "outcome": leaf.value}

        return self._act(principal, application_id, ApplicationAct.REPLY, day, note=reply.note, apply=apply)

    def deliver(self, principal: Principal, application_id: int, *, on: date | None = None) -> ApplicationDetail:
        """The reply served on the applicant."""
        return self._act(principal, application_id, ApplicationAct.DELIVER, on)

    def archive(self, principal: Principal, application_id: int, *, on: date | None = None) -> ApplicationDetail:
        """归档."""
        return self._act(principal, application_id, ApplicationAct.ARCHIVE, on)

    def transfer_to_proactive(
        self, principal: Principal, document_id: str, *, reason: TransferReason | str, applications: list[int],
        note: str = "",
    ) -> Transferred:  # fmt: skip
        """依申请公开转主动公开 (Art. 44): a new 主动公开 version, reviewed like any (application_transfer.py)."""
        if self._transfer is None:
            raise ConfigurationError("transfers need intake: this ApplicationService was built without one")
        return self._transfer(principal, document_id, reason=reason, applications=applications, note=note)

    # -- the one path every act takes ------------------------------------------------------------
    def _act(
        self, principal: Principal, application_id: int, act: ApplicationAct, on: date | None, *, note: str = "",
        apply: Callable[[Session, Application], dict[str, Any]] | None = None, clock_event: ClockEvent | None = None,
    ) -> ApplicationDetail:  # fmt: skip
        self._authz.require(principal, Act.HANDLE_APPLICATIONS, subject=subject(application_id))
        day = on or self._today()
        with self._audited(principal, act.value, application_id), session_scope(self._engine) as session:
            row = get_case(session, application_id, for_update=True)
            check_day(day, received=row.received_on, today=self._today())
            corrections = sum(1 for e in application_events(session=session, application_id=application_id)
                              if e.act == ApplicationAct.REQUEST_CORRECTION.value)  # fmt: skip
            target = check_act(ApplicationState(row.state), act, corrections_requested=corrections)
            details = apply(session, row) if apply is not None else {}
            if clock_event is not None:
                self._append_clock(session, application_id, clock_event, self._calendar())
            followed = ApplicationState(row.state) in OPEN_STATES  # a run follows it until it closes
            row.state = target.value
            announce = self._record(session, principal, row, act=act.value, day=day, note=note, details=details,
                                    followed=followed)  # fmt: skip
        announce()
        return self.show(principal, application_id)

    def _audited(self, principal: Principal, act: str, application_id: int) -> AbstractContextManager[None]:
        """A refusal by a rule inside (a RuleViolation: wrong state, a period not over, the wrong officer)
        is audited as ``access.refused`` (``application.<act>``), then raised."""
        return self._authz.auditing(principal, f"application.{act}", subject=subject(application_id))

    @staticmethod
    def _append_clock(session: Session, application_id: int, event: ClockEvent, calendar: WorkingCalendar) -> None:
        stored = get_clock_row(session=session, application_id=application_id, kind=REPLY)
        clock = load_clocks(session=session, application_ids=[application_id], kind=REPLY).get(application_id)
        if stored is None or clock is None:
            raise NotFound(f"application {application_id} has no reply clock")
        compute_due(clock.append(event), calendar.day)  # InvalidInput naming what the history would break
        append_clock_event(session=session, clock=stored, event=event)

    def _record(self, session: Session, principal: Principal, row: Application, *, act: str, day: date,
                note: str = "", details: dict[str, Any], followed: bool = True) -> Callable[[], None]:  # fmt: skip
        append_application_event(session=session, application=row, act=act, dated=day, actor=principal.username,
                                 note=note, details=details)  # fmt: skip
        after = {"state": row.state, "receipt_number": row.receipt_number, "agency": row.agency, "on": day.isoformat()}
        if row.outcome:
            after["outcome"] = row.outcome
        name = {"register": "registered", "reply": "replied"}.get(act, act)
        append_event(session=session, actor=principal.username, action=f"application.{name}",
                     entity_type="application", entity_id=subject(row.id or 0), after=after)  # fmt: skip
        event, payload = f"govpub.application.{name}", {"application_id": row.id, "state": row.state,
                                                         "outcome": row.outcome}  # fmt: skip
        # sent once the transaction has committed: never an event (or a resume) for an act that was not kept
        resource = subject(row.id or 0)
        follower = FollowedRun(row.id or 0, row.flow_run_id) if followed and row.flow_run_id else None

        def announce() -> None:
            self._events.emit(event, document_id=resource, version=0, payload=payload)
            if follower is not None:
                self._resume_follower(follower, name)

        return announce

    def _resume_follower(self, follower: FollowedRun, act: str) -> None:
        """Resume the flow run following the case; if the orchestrator does not answer, the act stands."""
        try:
            self._resume(follower)
        except ServiceUnavailable as exc:
            logger.warning("application %s %s: %s", follower.application_id, act, exc,
                           extra={"application_id": follower.application_id})  # fmt: skip

    def _agency(self, session: Session, principal: Principal, given: str | None) -> str:
        if given is not None:
            if session.exec(select(Agency).where(Agency.code == given)).first() is None:
                raise InvalidInput([Violation("$.agency", f"no agency {given!r}")])
            return given
        agency = session.get(Agency, principal.agency_id) if principal.agency_id is not None else None
        if agency is None:
            raise InvalidInput([Violation("$.agency", "name the agency the application was made to")])
        return agency.code
