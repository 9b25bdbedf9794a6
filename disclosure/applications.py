"""Disclosure on application (依申请公开): the case's states and the acts that move it (Art. 29–45).

``TRANSITIONS`` is the one table of what may happen in which state; ``next_state`` applies it and
refuses anything else with the state and the act named. The reply clock is ``disclosure.clock``'s;
how a reply maps to Table 3 is ``disclosure.application_replies``. Pure: stdlib and ``disclosure``.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from disclosure.errors import RuleViolation, TransitionNotAllowed


class ApplicationState(StrEnum):
    """Where a case stands (登记 → 审核 → 办理 → 答复 → 归档, Art. 45, with the side paths)."""

    REGISTERED = "registered"  # 登记: received, the receipt date fixed (Art. 31)
    CORRECTION_REQUESTED = "correction_requested"  # 补正: asked once, within 7 WD (Art. 30)
    IN_PROCESS = "in_process"  # 审核 passed, being handled
    CONSULTING = "consulting"  # third party or other agency asked (Art. 32, 34): clock paused
    FEE_NOTIFIED = "fee_notified"  # 收费通知: waiting for payment, clock paused
    REPLIED = "replied"  # 答复: a typed outcome, one row of Table 3
    DELIVERED = "delivered"  # the reply served on the applicant
    CLOSED = "closed"  # ended without a reply on the merits: no correction, fee unpaid
    ARCHIVED = "archived"  # 归档


class ApplicationAct(StrEnum):
    """What a disclosure officer can record on a case."""

    ACCEPT = "accept"  # 审核: the application is complete, handling starts
    REQUEST_CORRECTION = "request_correction"
    RECEIVE_CORRECTION = "receive_correction"  # the corrected application: the clock restarts
    CLOSE_UNCORRECTED = "close_uncorrected"  # no correction in the stated period
    CONSULT = "consult"
    CONSULTATION_ANSWERED = "consultation_answered"  # or the agency's silence = consent (Art. 34)
    EXTEND = "extend"  # approved by the head of the disclosure office, applicant told (Art. 33)
    NOTIFY_FEE = "notify_fee"
    RECORD_PAYMENT = "record_payment"
    CLOSE_UNPAID = "close_unpaid"
    REPLY = "reply"
    DELIVER = "deliver"
    ARCHIVE = "archive"


_S, _A = ApplicationState, ApplicationAct
TRANSITIONS: Mapping[tuple[ApplicationState, ApplicationAct], ApplicationState] = {
    (_S.REGISTERED, _A.ACCEPT): _S.IN_PROCESS,
    (_S.REGISTERED, _A.REQUEST_CORRECTION): _S.CORRECTION_REQUESTED,
    (_S.REGISTERED, _A.REPLY): _S.REPLIED,  # answered on the spot, or not an application (Art. 39)
    (_S.CORRECTION_REQUESTED, _A.RECEIVE_CORRECTION): _S.REGISTERED,
    (_S.CORRECTION_REQUESTED, _A.CLOSE_UNCORRECTED): _S.CLOSED,
    (_S.IN_PROCESS, _A.CONSULT): _S.CONSULTING,
    (_S.IN_PROCESS, _A.EXTEND): _S.IN_PROCESS,
    (_S.IN_PROCESS, _A.NOTIFY_FEE): _S.FEE_NOTIFIED,
    (_S.IN_PROCESS, _A.REPLY): _S.REPLIED,
    (_S.CONSULTING, _A.CONSULTATION_ANSWERED): _S.IN_PROCESS,
    (_S.CONSULTING, _A.EXTEND): _S.CONSULTING,
    (_S.FEE_NOTIFIED, _A.RECORD_PAYMENT): _S.IN_PROCESS,
    (_S.FEE_NOTIFIED, _A.CLOSE_UNPAID): _S.CLOSED,
    (_S.REPLIED, _A.DELIVER): _S.DELIVERED,
    (_S.DELIVERED, _A.ARCHIVE): _S.ARCHIVED,
    (_S.CLOSED, _A.ARCHIVE): _S.ARCHIVED,
}

OPEN_STATES = frozenset({_S.REGISTERED, _S.CORRECTION_REQUESTED, _S.IN_PROCESS, _S.CONSULTING, _S.FEE_NOTIFIED})
"""A case in one of these counts in Table 3 row 四 at the year's end and carries into the next year."""


def allowed_acts(state: ApplicationState) -> list[ApplicationAct]:
    """The acts a case in ``state`` accepts, in the table's order."""
    return [act for (source, act) in TRANSITIONS if source is state]


def next_state(state: ApplicationState, act: ApplicationAct) -> ApplicationState:
    """The state after ``act``, or ``TransitionNotAllowed`` naming the state, the act and what is allowed."""
    target = TRANSITIONS.get((state, act))
    if target is None:
        allowed = ", ".join(allowed_acts(state)) or "nothing"
        raise TransitionNotAllowed(f"an application that is {state} cannot {act} (allowed: {allowed})")
    return target


def check_act(state: ApplicationState, act: ApplicationAct, *, corrections_requested: int) -> ApplicationState:
    """``next_state`` with the rules that need the case's history: one correction request (Art. 30)."""
    target = next_state(state, act)
    if act is ApplicationAct.REQUEST_CORRECTION and corrections_requested > 0:
        raise RuleViolation("a correction must ask for everything at once (Art. 30): this application was already "
                            "asked to correct once")  # fmt: skip
    return target
