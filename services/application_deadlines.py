"""The next deadline of each open application: the reply, or the period a side path is waiting for."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from disclosure.applications import ApplicationState
from disclosure.calendar import WorkingCalendar, WorkingDayResult
from disclosure.clock import StatutoryClock
from disclosure.clock_due import DueDate, compute_due
from disclosure.publication import Deadline
from storage.models_applications import Application


@dataclass(frozen=True, slots=True)
class OpenCase:
    """An open application's next deadline: the reply, or the period a side path waits for."""

    application_id: int
    agency: str
    receipt_number: str
    state: str
    kind: str  # application_reply, or application_correction / application_fee while one is awaited
    due: date
    provisional: bool
    basis: str
    start: date | None = None  # the reply clock: the day counting starts after, and the working days counted
    days: int = 0


def deadline_of(case: OpenCase) -> Deadline:
    """The open case as ``govpub deadlines`` lists it beside the documents' deadlines."""
    computed = WorkingDayResult(case.start or case.due, case.days, case.due, case.provisional)
    return Deadline(f"application:{case.application_id}", case.kind, f"依申请公开 {case.agency}/{case.receipt_number}",
                    computed, case.basis)  # fmt: skip


def due_of(clock: StatutoryClock | None, calendar: WorkingCalendar) -> DueDate | None:
    """The stored clock's due date on the calendar, computed from its events (None without a clock)."""
    return compute_due(clock, calendar.day) if clock is not None else None


def open_case(row: Application, clock: StatutoryClock | None, calendar: WorkingCalendar) -> OpenCase | None:
    """The next deadline of an open application; None while a consultation stops the reply clock."""
    assert row.id is not None  # noqa: S101 - stored
    app, agency, number = row.id, row.agency, row.receipt_number
    state = ApplicationState(row.state)
    if state is ApplicationState.CORRECTION_REQUESTED and row.correction_by is not None:
        return OpenCase(app, agency, number, row.state, "application_correction", row.correction_by, provisional=False,
                        basis=f"correction asked for by {row.correction_by}; Regulation Art. 30")  # fmt: skip
    if state is ApplicationState.FEE_NOTIFIED and row.fee_pay_by is not None:
        return OpenCase(app, agency, number, row.state, "application_fee", row.fee_pay_by, provisional=False,
                        basis=f"fee of {row.fee_yuan} yuan, to be paid by {row.fee_pay_by}; 109号")  # fmt: skip
    due = due_of(clock, calendar)
    if due is None or due.due is None:
        return None  # a consultation is open: the reply clock is stopped (see show)
    basis = f"received {row.received_on}" + (f", restarted {due.start}" if due.restarted else "")
    basis += f", {len(due.pauses)} pause(s)" if due.pauses else ""
    basis += f", extended {due.extension_days} WD" if due.extensions else ""
    return OpenCase(app, agency, number, row.state, kind="application_reply", due=due.due,
                    provisional=due.provisional, basis=basis + "; Regulation Art. 33", start=due.start,
                    days=due.period + due.extension_days)  # fmt: skip
