"""The application state table: every allowed act, every refused one, and the paths of DOMAIN §10."""

from __future__ import annotations

import pytest

from disclosure.applications import (
    OPEN_STATES,
    TRANSITIONS,
    ApplicationAct,
    ApplicationState,
    allowed_acts,
    check_act,
    next_state,
)
from disclosure.errors import RuleViolation, TransitionNotAllowed

S, A = ApplicationState, ApplicationAct


def walk(*acts: ApplicationAct) -> ApplicationState:
    state = S.REGISTERED
    for act in acts:
        state = next_state(state, act)
    return state


@pytest.mark.parametrize(("source", "act"), list(TRANSITIONS))
def test_every_allowed_act_moves_to_its_target(source: ApplicationState, act: ApplicationAct) -> None:
    assert next_state(source, act) is TRANSITIONS[source, act]


@pytest.mark.parametrize(
    ("source", "act"), [(s, a) for s in ApplicationState for a in ApplicationAct if (s, a) not in TRANSITIONS]
)
def test_every_other_act_is_refused_naming_state_and_act(source: ApplicationState, act: ApplicationAct) -> None:
    with pytest.raises(TransitionNotAllowed) as refused:
        next_state(source, act)
    assert str(source) in str(refused.value)
    assert str(act) in str(refused.value)


def test_the_paths_of_the_regulation() -> None:
    assert walk(A.ACCEPT, A.REPLY, A.DELIVER, A.ARCHIVE) is S.ARCHIVED  # answered in time
    assert walk(A.REQUEST_CORRECTION, A.RECEIVE_CORRECTION, A.ACCEPT, A.REPLY) is S.REPLIED  # corrected
    assert walk(A.REQUEST_CORRECTION, A.CLOSE_UNCORRECTED) is S.CLOSED  # abandoned
    assert walk(A.ACCEPT, A.CONSULT, A.EXTEND, A.CONSULTATION_ANSWERED, A.REPLY) is S.REPLIED  # consulted, extended
    assert walk(A.ACCEPT, A.NOTIFY_FEE, A.CLOSE_UNPAID, A.ARCHIVE) is S.ARCHIVED  # fee unpaid
    assert walk(A.ACCEPT, A.NOTIFY_FEE, A.RECORD_PAYMENT, A.REPLY) is S.REPLIED  # fee paid


def test_a_correction_is_asked_for_once() -> None:
    corrected = walk(A.REQUEST_CORRECTION, A.RECEIVE_CORRECTION)
    assert check_act(S.REGISTERED, A.REQUEST_CORRECTION, corrections_requested=0) is S.CORRECTION_REQUESTED
    with pytest.raises(RuleViolation, match="everything at once"):
        check_act(corrected, A.REQUEST_CORRECTION, corrections_requested=1)
    assert check_act(corrected, A.ACCEPT, corrections_requested=1) is S.IN_PROCESS


def test_open_states_are_exactly_those_that_can_still_reach_a_reply_or_closing() -> None:
    ended = {S.REPLIED, S.DELIVERED, S.CLOSED, S.ARCHIVED}
    assert set(ApplicationState) - ended == OPEN_STATES
    assert allowed_acts(S.ARCHIVED) == []
