"""The application's flow on a real Prefect server, worker and deployments: registered → a
follow-application run waits (suspended), each act resumes it, the reply completes it; an act while
Prefect is unreachable is still recorded, and the reconciler starts, resumes and replaces runs.

The reconcile deployment's schedule is paused for this module: the test runs the ticks itself.
"""

import json
import shutil
import socket
import subprocess
import sys
import uuid
from pathlib import Path
from uuid import UUID

import pytest

from tests.conftest import poll_until
from tests.e2e.prefect_stack import pause_reconciler, prefect_stack

GOVPUB = shutil.which("govpub", path=str(Path(sys.executable).parent))
FOLLOW = "follow-application/follow-application"


@pytest.fixture(scope="module")
def stack(tmp_path_factory, seaweed, postgres_dsn):
    """govpub's embedded stack with a PostgreSQL-backed Prefect server, the reconcile schedule paused."""
    yield from prefect_stack(tmp_path_factory, seaweed, postgres_dsn, started=pause_reconciler)


def govpub(env, *args):
    return subprocess.run([GOVPUB, *args], env=env, capture_output=True, text=True, timeout=300, check=False)


def unreachable(env):
    """The command's environment with the Prefect API on a port where nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}/api"
    return {**env, "GOVPUB_PREFECT_API_URL": dead, "PREFECT_API_URL": dead}


def application_json():
    from services.bootstrap import today

    body = {"applicant": {"type": "自然人", "name": "李四"}, "description": "2025年本市老旧小区改造项目清单",
            "channel": "in_person", "received": {"handed_in_on": today().isoformat()}}  # fmt: skip
    return json.dumps(body, ensure_ascii=False)


def register(env, tmp_path):
    path = tmp_path / f"application-{uuid.uuid4().hex[:6]}.json"
    path.write_text(application_json())
    done = govpub(env, "applications", "register", "--file", str(path), "--as", "office")
    assert done.returncode == 0, done.stderr
    return int(done.stdout.split()[-1])


def register_unannounced():
    """Register in this process with its event lost (as when the Prefect API did not take it)."""
    from flows.runtime import govpub as composed
    from services.facade import Govpub
    from services.review_service import NoEvents
    from services.reviewing import no_resume

    gov = Govpub(composed().app, events=NoEvents(), resume=no_resume)
    return gov.applications.register(gov.identities.impersonate("office", via="cli"), application_json().encode()).id


def case(application_id):
    from flows.runtime import govpub as composed
    from services.principal import system

    return composed().following.read(system("flow"), application_id)


def flow_run(run_id):
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        return client.read_flow_run(UUID(str(run_id)))


def waiting(application_id, *, events, not_run=None):
    """The case once a run follows it, suspended on the key of its wait after ``events`` events."""
    found = case(application_id)
    if found.events != events or found.flow_run_id is None or found.flow_run_id == not_run:
        return None
    state = flow_run(found.flow_run_id).state
    if state and state.is_paused() and state.state_details.pause_key == found.wait_key(0):
        return found
    return None


def ended(run_id):
    state = flow_run(run_id).state
    return state if state is not None and state.is_final() else None


def test_a_registered_application_is_followed_until_it_is_replied(stack, tmp_path):
    from prefect.deployments import run_deployment

    env = stack
    application = register(env, tmp_path)  # its registered event starts the run (the deployment's trigger)
    first = poll_until(lambda: waiting(application, events=1), what="the run waiting after registration", timeout=60)
    assert case(application).deadline.kind == "application_reply"

    # a second run for the same application finds the first still active and ends (while the case goes on)
    second = run_deployment(FOLLOW, parameters={"application_id": application}, timeout=0, as_subflow=False)

    accepted = govpub(env, "applications", "accept", str(application), "--as", "office")
    assert accepted.returncode == 0, accepted.stderr
    again = poll_until(lambda: waiting(application, events=2), what="the run waiting after acceptance", timeout=60)
    assert again.flow_run_id == first.flow_run_id  # resumed, not replaced
    state = poll_until(lambda: ended(second.id), what="the second run ended", timeout=60)
    assert state.is_completed()
    assert state.result() in {"registered", "in_process"}  # the state it read when it found the first run
    assert case(application).flow_run_id == first.flow_run_id

    replied = govpub(env, "applications", "reply", str(application), "--kind", "does_not_exist", "--as", "office")
    assert replied.returncode == 0, replied.stderr
    state = poll_until(lambda: ended(first.flow_run_id), what="the run completed", timeout=60)
    assert state.is_completed()
    assert state.result() == "replied"


def test_acts_while_prefect_is_unreachable_are_recorded_and_the_reconciler_follows_up(stack):
    from prefect.client.orchestration import get_client
    from prefect.states import Crashed

    from flows.reconcile import reconcile_reviews

    down = unreachable(stack)
    application = register_unannounced()  # its registered event is lost: no run follows it
    assert case(application).flow_run_id is None
    report = reconcile_reviews(grace_minutes=0)
    assert f"application:{application}" in report.started
    first = poll_until(lambda: waiting(application, events=1), what="the run the reconciler started", timeout=60)

    accepted = govpub(down, "applications", "accept", str(application), "--as", "office")
    assert accepted.returncode == 0, accepted.stderr  # the act stands
    assert "in_process" in accepted.stdout
    assert [line for line in accepted.stderr.splitlines() if "could not be resumed" in line] != []
    assert case(application).events == 2
    stale = flow_run(first.flow_run_id).state
    assert stale.is_paused()
    assert stale.state_details.pause_key == first.wait_key(0)  # still waiting on the key before the act

    report = reconcile_reviews(grace_minutes=0)
    assert f"application:{application}" in report.resumed
    resumed = poll_until(lambda: waiting(application, events=2), what="the run waiting after acceptance", timeout=60)
    assert resumed.flow_run_id == first.flow_run_id

    with get_client(sync_client=True) as client:  # the worker's machine went down with the run
        client.set_flow_run_state(UUID(first.flow_run_id), Crashed(message="the machine went down"), force=True)
    report = reconcile_reviews(grace_minutes=0)
    assert f"application:{application}" in report.restarted
    replaced = poll_until(lambda: waiting(application, events=2, not_run=first.flow_run_id),
                          what="a new run following the case", timeout=60)  # fmt: skip
    assert replaced.flow_run_id != first.flow_run_id
    assert not report.failures
