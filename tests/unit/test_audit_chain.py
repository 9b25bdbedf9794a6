from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from disclosure.audit import GENESIS_HASH, AuditRecord, event_hash, verify_chain
from disclosure.errors import AuditChainBroken

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def build_chain(n: int) -> list[tuple[AuditRecord, str]]:
    chain, prev = [], GENESIS_HASH
    for i in range(1, n + 1):
        record = AuditRecord(sequence=i, occurred_at=T0 + timedelta(seconds=i), actor="drafter",
                             action="document.submitted", entity_type="document",
                             entity_id=f"d{i}", before=None, after={"state": "submitted", "标题": "政務(wù)"},
                             reason=None, prev_hash=prev)  # fmt: skip
        digest = event_hash(record)
        chain.append((record, digest))
        prev = digest
    return chain


@given(n=st.integers(1, 30), data=st.data())
def test_any_single_edit_is_named_at_its_record(n, data):
    chain = build_chain(n)
    assert verify_chain(chain) == n
    index = data.draw(st.integers(0, n - 1))
    record, digest = chain[index]
    field = data.draw(st.sampled_from(["actor", "reason", "after", "occurred_at"]))
    edited = {
        "actor": replace(record, actor="someone else"),
        "reason": replace(record, reason="inserted"),
        "after": replace(record, after={"state": "approved"}),
        "occurred_at": replace(record, occurred_at=record.occurred_at + timedelta(microseconds=1)),
    }[field]
    chain[index] = (edited, digest)
    with pytest.raises(AuditChainBroken) as caught:
        verify_chain(chain)
    assert caught.value.sequence == index + 1


def test_a_removed_record_is_named():
    chain = build_chain(5)
    del chain[2]
    with pytest.raises(AuditChainBroken) as caught:
        verify_chain(chain)
    assert caught.value.sequence == 4


def test_rehashing_an_edit_breaks_the_next_link():
    chain = build_chain(4)
    record, _ = chain[1]
    forged = replace(record, actor="forger")
    chain[1] = (forged, event_hash(forged))
    with pytest.raises(AuditChainBroken) as caught:
        verify_chain(chain)
    assert caught.value.sequence == 3


def test_timezone_of_the_timestamp_does_not_change_the_hash():
    record = build_chain(1)[0][0]
    shanghai = record.occurred_at.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Shanghai"))
    assert event_hash(replace(record, occurred_at=shanghai)) == event_hash(record)
    with pytest.raises(ValueError, match="timezone"):
        event_hash(replace(record, occurred_at=record.occurred_at.replace(tzinfo=None)))
