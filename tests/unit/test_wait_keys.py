"""The review flow's pause keys: one per wait, valid for Prefect, recognised by the reconciler."""

import re

from hypothesis import given
from hypothesis import strategies as st

from flows.review import wait_key
from services.review_service import same_wait

# what Prefect's FlowRunInput accepts in a key (the schema of a paused run's input is saved under it)
PREFECT_KEY = re.compile(r"^[a-z0-9-]+$")
suspend_keys = st.builds(lambda doc, v, p, a: f"review-{doc}-{v}-{p}-{a}", st.uuids().map(lambda u: u.hex),
                         st.integers(1, 99), st.integers(0, 9), st.integers(0, 99))  # fmt: skip


@given(suspend_keys, st.integers(0, 50))
def test_every_wait_key_is_a_prefect_key_and_the_same_wait(key, again):
    made = wait_key(key, again)
    assert PREFECT_KEY.match(made)
    assert same_wait(made, key)
    assert (made == key) == (again == 0)


@given(suspend_keys, st.integers(0, 50))
def test_another_level_or_attempt_is_not_the_same_wait(key, again):
    head, attempt = key.rsplit("-", 1)
    for other in (f"{head}-{int(attempt) + 1}", f"{head}-{attempt}0", f"{head}-{attempt}1"):
        assert not same_wait(wait_key(other, again), key)
    assert not same_wait(f"referral-{key.removeprefix('review-')}", key)
