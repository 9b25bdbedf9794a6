"""Release times (定时发布) in the pure core: parsing, the embargo at the second, and the release plan."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from disclosure.attributes import DisclosureAttribute as A
from disclosure.publication import ItemFacts, ReleaseMode, plan_release
from disclosure.release_time import ReleaseTimeError, embargoed_until, parse_release_at
from disclosure.states import DocumentState as S

NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
AT = NOW + timedelta(hours=1)
SECOND = timedelta(seconds=1)


def item(doc, *, state=S.APPROVED, published=None, until=None):
    return ItemFacts(doc, state, A.PROACTIVE, 1, published, until)


def test_a_release_time_is_a_moment_with_an_offset_in_the_future():
    assert parse_release_at("2026-11-23T10:00:00+08:00", now=NOW) == datetime(2026, 11, 23, 2, tzinfo=UTC)
    assert parse_release_at("2026-11-23T02:00:00Z", now=NOW) == datetime(2026, 11, 23, 2, tzinfo=UTC)
    for text, why in [("2026-11-23T10:00:00", "has no time zone"), ("2026-11-23", "has no time zone"),
                      ("明天上午", "is not an ISO 8601"), ("", "is not an ISO 8601"), ("9" * 65, "is not an ISO 8601"),
                      ("2026-11-23T09:00:00+08:00", "is not in the future"),
                      ("9999-12-31T23:00:00-10:00", "is out of range")]:  # fmt: skip
        with pytest.raises(ReleaseTimeError, match=why):
            parse_release_at(text, now=NOW)
    with pytest.raises(ReleaseTimeError, match="is not in the future"):  # the moment itself is no longer ahead
        parse_release_at(NOW.isoformat(), now=NOW)


MOMENTS = st.datetimes(datetime(2000, 1, 1), datetime(2100, 1, 1), timezones=st.just(UTC))  # noqa: DTZ001 - naive bounds


@given(MOMENTS, st.integers(-14 * 60, 14 * 60))
def test_any_aware_moment_round_trips_in_utc(moment, offset_minutes):
    shown = moment.astimezone(timezone(timedelta(minutes=offset_minutes))).isoformat()
    assert parse_release_at(shown, now=moment - SECOND) == moment


def test_the_embargo_ends_at_the_second():
    assert embargoed_until(AT, AT - SECOND) == AT
    assert embargoed_until(AT, AT - timedelta(microseconds=1)) == AT
    assert embargoed_until(AT, AT) is None
    assert embargoed_until(None, NOW) is None


def test_an_embargoed_policy_and_its_interpretations_wait_for_its_release_time():
    for mode in ReleaseMode:
        plan = plan_release(item("p", until=AT), [item("i")], interpretation_required=False, mode=mode)
        assert (plan.members, plan.embargoed_until) == ((), AT)
        assert plan.reason == "embargoed until 2026-11-23T10:00:00+08:00"
    due = plan_release(item("p"), [item("i")], interpretation_required=False, mode=ReleaseMode.TOGETHER)
    assert due.members == (("p", 1), ("i", 1))


def test_an_embargoed_interpretation_goes_out_later_and_holds_a_policy_that_needs_it():
    alone = plan_release(item("p"), [item("i", until=AT)], interpretation_required=False, mode=ReleaseMode.TOGETHER)
    assert (alone.members, alone.embargoed_until) == ((("p", 1),), AT)  # the rest is scheduled
    held = plan_release(item("p"), [item("i", until=AT)], interpretation_required=True, mode=ReleaseMode.TOGETHER)
    assert (held.members, held.waiting_for_interpretation, held.embargoed_until) == ((), True, AT)
    public = plan_release(item("p", state=S.PUBLISHED, published=1), [item("i", until=AT)],
                          interpretation_required=True, mode=ReleaseMode.TOGETHER)  # fmt: skip
    assert (public.members, public.embargoed_until) == ((), AT)


def test_an_embargoed_correction_keeps_the_public_version_and_lets_interpretations_out():
    correction = ItemFacts("p", S.APPROVED, A.PROACTIVE, 2, 1, AT)
    plan = plan_release(correction, [item("i")], interpretation_required=False, mode=ReleaseMode.TOGETHER)
    assert (plan.members, plan.embargoed_until) == ((("i", 1),), AT)


def test_a_revision_started_from_the_form_keeps_the_release_time():
    # The drafting form starts a revision from the stored submission: dropping release_at there
    # would publish the revision on approval, before the embargo the drafter set.
    from services.drafting import DOCUMENT_FIELDS, document_payload, values_of

    stored = {"title": "通知", "issuing_agency": "示范市人民政府办公室", "category": "综合政务/其他",
              "disclosure": {"attribute": "proactive"}, "body": "正文", "release_at": "2026-11-23T02:00:00+00:00"}  # fmt: skip
    values = values_of(stored)
    assert set(DOCUMENT_FIELDS) - {"attachments"} <= set(values)
    assert document_payload(values, [], drafter="drafter")["release_at"] == "2026-11-23T02:00:00+00:00"
    assert "release_at" not in document_payload({**values, "release_at": " "}, [], drafter="drafter")
