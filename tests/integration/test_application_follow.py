"""What the follow-application flow reads and the run it attaches, and the resume after each act, on
real SQLite and PostgreSQL (no Prefect: the run's activity and the resume hook are given)."""

import logging
from datetime import UTC, date, datetime, timedelta

import pytest

from disclosure.application_replies import Closing, Reply, ReplyKind
from disclosure.calendar import WorkingCalendar
from disclosure.errors import Forbidden, ServiceUnavailable
from services.application_follow import ApplicationFollowing
from services.applications import ApplicationService
from services.authz import Authorizer
from services.principal import system
from tests.integration.test_applications import (
    d,
    payload,
    world,  # noqa: F401 - the fixture, reused
)

FLOW = system("flow")
RUN, OTHER = "00000000-0000-0000-0000-000000000001", "00000000-0000-0000-0000-000000000002"


class Resumes:
    """A Resumer keeping what it was asked to resume; fails like Prefect's when told to."""

    def __init__(self):
        self.calls = []
        self.down = False

    def __call__(self, view):
        self.calls.append((view.application_id, view.flow_run_id))
        if self.down:
            raise ServiceUnavailable("recorded, but the flow run could not be resumed (refused); the reconciler "
                                     "will resume it")  # fmt: skip


@pytest.fixture
def cases(world):  # noqa: F811 - the fixture imported above
    resumes, authz = Resumes(), Authorizer(world.engine)
    world.service = ApplicationService(world.engine, authz=authz, events=world.events, calendar=WorkingCalendar,
                                       today=lambda: d(12, 31), resume=resumes)  # fmt: skip
    world.following = ApplicationFollowing(world.engine, authz=authz, calendar=WorkingCalendar)
    world.resumes = resumes
    return world


def register(w, day="2026-12-01"):
    return w.service.register(w.office, payload(handed_in_on=day))


def never_active(_run):
    return False


def test_the_read_gives_state_events_the_next_deadline_and_the_key(cases):
    case = register(cases)
    first = cases.following.read(FLOW, case.id)
    assert (first.state, first.events, first.is_open, first.flow_run_id) == ("registered", 1, True, None)
    assert first.deadline is not None
    assert (first.deadline.kind, first.deadline.due) == ("application_reply", case.due)
    assert first.wait_key() == f"application-{case.id}-1-0"
    assert first.wait_key(2) == f"application-{case.id}-1-2"
    assert first.describe() == f"registered, application_reply due {case.due}"
    # the wait ends when the due day ends in Asia/Shanghai: from then on the case is overdue
    assert first.wake_at == datetime(case.due.year, case.due.month, case.due.day, 16, tzinfo=UTC)
    assert first.timeout(first.wake_at - timedelta(seconds=90)) == 90
    assert first.timeout(first.wake_at) is None  # passed: only the next act is waited for

    cases.service.accept(cases.office, case.id, on=d(12, 2))
    accepted = cases.following.read(FLOW, case.id)
    assert (accepted.state, accepted.events) == ("in_process", 2)
    assert accepted.wait_key() == f"application-{case.id}-2-0"

    cases.service.reply(cases.office, case.id, Reply(ReplyKind.DOES_NOT_EXIST), replied_on=d(12, 10))
    replied = cases.following.read(FLOW, case.id)
    assert (replied.state, replied.is_open, replied.deadline, replied.timeout(datetime.now(UTC))) == (
        "replied", False, None, None)  # fmt: skip


def test_a_correction_period_is_the_deadline_while_it_is_awaited(cases):
    case = register(cases, "2026-12-21")
    cases.service.request_correction(cases.office, case.id, correct_by=d(12, 30), note="写明所需信息的名称",
                                     sent_on=d(12, 22))  # fmt: skip
    waiting = cases.following.read(FLOW, case.id)
    assert (waiting.deadline.kind, waiting.deadline.due) == ("application_correction", date(2026, 12, 30))
    cases.service.close(cases.office, case.id, closing=Closing.NO_CORRECTION, on=d(12, 31))
    assert not cases.following.read(FLOW, case.id).is_open


def test_a_claim_is_idempotent_and_a_second_run_finds_the_first_active(cases):
    case = register(cases)
    first = cases.following.claim(FLOW, case.id, flow_run_id=RUN, active=never_active)
    assert (first.claimed, first.follower, first.case.flow_run_id) == (True, RUN, RUN)
    again = cases.following.claim(FLOW, case.id, flow_run_id=RUN, active=lambda _run: pytest.fail("not asked"))
    assert (again.claimed, again.follower) == (True, RUN)  # the resumed run, re-run from the top

    asked = []
    second = cases.following.claim(FLOW, case.id, flow_run_id=OTHER, active=lambda run: asked.append(run) or True)
    assert (second.claimed, second.follower, asked) == (False, RUN, [RUN])
    assert cases.following.read(FLOW, case.id).flow_run_id == RUN

    # the first run ended (crashed, cancelled, its wait timed out): the next one takes the case over
    taken = cases.following.claim(FLOW, case.id, flow_run_id=OTHER, active=never_active)
    assert (taken.claimed, taken.follower, taken.case.flow_run_id) == (True, OTHER, OTHER)


def test_only_govpub_itself_attaches_a_flow_run(cases):
    case = register(cases)
    for who in (cases.office, cases.admin):
        with pytest.raises(Forbidden):
            cases.following.claim(who, case.id, flow_run_id=RUN, active=never_active)
    assert cases.following.read(FLOW, case.id).flow_run_id is None


def test_open_followers_are_the_open_cases_registered_before_the_grace(cases):
    done, open_one = register(cases), register(cases)
    cases.service.reply(cases.office, done.id, Reply(ReplyKind.DOES_NOT_EXIST), replied_on=d(12, 2))
    listed = cases.following.open_followers(FLOW, registered_before=datetime.now(UTC) + timedelta(seconds=5))
    assert [f.application_id for f in listed] == [open_one.id]
    assert cases.following.open_followers(FLOW, registered_before=datetime.now(UTC) - timedelta(minutes=2)) == []


def test_each_act_on_an_open_case_resumes_its_follower_once_committed(cases):
    case = register(cases)
    cases.service.accept(cases.office, case.id, on=d(12, 2))
    assert cases.resumes.calls == []  # no run follows it yet: nothing to resume (the reconciler starts one)
    cases.following.claim(FLOW, case.id, flow_run_id=RUN, active=never_active)
    cases.service.reply(cases.office, case.id, Reply(ReplyKind.DOES_NOT_EXIST), replied_on=d(12, 10))
    assert cases.resumes.calls == [(case.id, RUN)]  # the act that closed it: the run sees it and completes
    cases.service.deliver(cases.office, case.id, on=d(12, 11))
    cases.service.archive(cases.office, case.id, on=d(12, 12))
    assert len(cases.resumes.calls) == 1  # nothing follows a replied case any more


def test_an_orchestrator_outage_does_not_fail_the_act(cases, caplog):
    case = register(cases)
    cases.following.claim(FLOW, case.id, flow_run_id=RUN, active=never_active)
    cases.resumes.down = True
    with caplog.at_level(logging.WARNING, logger="services.applications"):
        accepted = cases.service.accept(cases.office, case.id, on=d(12, 2))
    assert accepted.state == "in_process"
    assert cases.following.read(FLOW, case.id).events == 2  # recorded
    assert cases.resumes.calls == [(case.id, RUN)]
    warnings = [r.getMessage() for r in caplog.records if r.name == "services.applications"]
    assert len(warnings) == 1
    assert warnings[0].startswith(f"application {case.id} accept: recorded, but the flow run could not be resumed")
    assert caplog.records[-1].application_id == case.id
