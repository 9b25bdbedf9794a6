"""The review's transition table: needs_attention is entered only from screening and left only by a
retry (back to screening) or a new version (voided)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from disclosure.errors import NoReviewChain, RuleViolation, TransitionNotAllowed
from disclosure.review import (
    OPEN_STATES,
    REVIEW_TRANSITIONS,
    Grade,
    ReviewState,
    check_review_transition,
    select_chain,
)

S = ReviewState


def test_every_state_has_a_row():
    assert set(REVIEW_TRANSITIONS) == set(ReviewState)


def test_needs_attention_is_entered_only_from_screening():
    sources = {state for state, targets in REVIEW_TRANSITIONS.items() if S.NEEDS_ATTENTION in targets}
    assert sources == {S.SCREENING}


def test_needs_attention_leaves_only_by_a_retry_or_a_new_version():
    assert REVIEW_TRANSITIONS[S.NEEDS_ATTENTION] == {S.SCREENING, S.VOIDED}
    with pytest.raises(TransitionNotAllowed, match="a needs_attention review cannot become waiting"):
        check_review_transition(S.NEEDS_ATTENTION, S.WAITING)
    with pytest.raises(TransitionNotAllowed):
        check_review_transition(S.NEEDS_ATTENTION, S.APPROVED)
    check_review_transition(S.NEEDS_ATTENTION, S.SCREENING)
    check_review_transition(S.NEEDS_ATTENTION, S.VOIDED)


def test_a_parked_review_is_not_open():
    """The reconciler restarts open reviews whose flow run ended; a parked one must not be among them."""
    assert S.NEEDS_ATTENTION not in OPEN_STATES


def test_voided_is_final_and_every_other_state_may_be_voided():
    assert REVIEW_TRANSITIONS[S.VOIDED] == frozenset()
    assert all(S.VOIDED in targets for state, targets in REVIEW_TRANSITIONS.items() if state is not S.VOIDED)


def test_decisions_and_screening_follow_the_table():
    check_review_transition(S.SCREENING, S.WAITING)
    check_review_transition(S.WAITING, S.WAITING)  # the next level
    check_review_transition(S.WAITING, S.REFERRED)
    check_review_transition(S.REFERRED, S.WAITING)
    with pytest.raises(TransitionNotAllowed):
        check_review_transition(S.APPROVED, S.WAITING)
    with pytest.raises(TransitionNotAllowed):
        check_review_transition(S.WAITING, S.NEEDS_ATTENTION)  # a chain once chosen is never re-chosen


@given(st.sampled_from(list(ReviewState)), st.sampled_from(list(ReviewState)))
def test_the_check_is_the_table(current, target):
    if target in REVIEW_TRANSITIONS[current]:
        check_review_transition(current, target)
    else:
        with pytest.raises(TransitionNotAllowed):
            check_review_transition(current, target)


def test_no_chain_is_a_typed_rule_violation():
    with pytest.raises(NoReviewChain, match="category '财政', grade ordinary") as caught:
        select_chain([{"category": "教育", "grade": "sensitive", "levels": [{"name": "初审"}]}],
                     category="财政", grade=Grade.ORDINARY)  # fmt: skip
    assert isinstance(caught.value, RuleViolation)
