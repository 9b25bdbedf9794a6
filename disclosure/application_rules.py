"""The periods an application's side paths must keep, on the working-day calendar (Art. 30, 32-34, 109号).

A correction request must be sent within 7 working days of receipt and state the period for the
correction; a consultation gives the third party or the other agency 15 working days (an agency's
silence is consent, Art. 34); a fee notice gives 20 working days to pay. Each check raises
``RuleViolation`` with the date the law fixes, so the refusal explains itself. Pure: ``disclosure``
and the standard library.
"""

from __future__ import annotations

from datetime import date

from disclosure.application_fees import PAYMENT_WORKING_DAYS
from disclosure.calendar import WorkingCalendar
from disclosure.errors import InvalidInput, RuleViolation, Violation
from disclosure.time_limits import RULES, DeadlineKind

CORRECTION_WINDOW = RULES[DeadlineKind.CORRECTION_REQUEST].working_days or 7
CONSULTATION_DAYS = RULES[DeadlineKind.THIRD_PARTY_CONSULTATION].working_days or 15


def correction_deadline(received: date, calendar: WorkingCalendar) -> date:
    """The last day a correction request may be sent: 7 working days after receipt (Art. 30)."""
    return calendar.add_working_days(received, CORRECTION_WINDOW).value


def check_correction_request(received: date, *, sent_on: date, correct_by: date, calendar: WorkingCalendar) -> None:
    """Refuse a correction request sent too late, or one whose stated period is not after it."""
    if sent_on < received:
        raise InvalidInput([Violation("$.sent_on", f"{sent_on} is before the application was received ({received})")])
    if correct_by <= sent_on:
        raise InvalidInput([Violation("$.correct_by", f"the period for the correction must end after {sent_on}")])
    last = correction_deadline(received, calendar)
    if sent_on > last:
        raise RuleViolation(f"a correction request must be sent within {CORRECTION_WINDOW} working days of receipt "
                            f"(Art. 30): received {received}, so by {last}; {sent_on} is too late")  # fmt: skip


def consultation_deadline(sent_on: date, calendar: WorkingCalendar) -> date:
    """The day a consulted third party or agency must answer by: 15 working days (Art. 32, 34)."""
    return calendar.add_working_days(sent_on, CONSULTATION_DAYS).value


def payment_deadline(notified_on: date, calendar: WorkingCalendar) -> date:
    """The day a fee notice must be paid by: 20 working days after it (109号), else the case closes."""
    return calendar.add_working_days(notified_on, PAYMENT_WORKING_DAYS).value


def check_period_passed(what: str, last: date | None, *, today: date) -> None:
    """Refuse closing a case for a missed period that has not yet passed (``last`` is its last day)."""
    if last is None:
        raise RuleViolation(f"no period for the {what} was recorded")
    if today <= last:
        raise RuleViolation(f"the period for the {what} runs until {last}: the case cannot be closed on {today}")
