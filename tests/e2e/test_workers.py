"""Several govpub workers serving one pool, on a PostgreSQL-backed Prefect server (flows/worker.py).

Two worker processes take the pool's runs: each run is claimed (Pending) once and executes once,
and every review reaches its end through either. A worker killed with SIGKILL while it hosts waiting
reviews is found by its silence; the reconciler hands its runs to the other, which drives them again
from the database's record — levels already decided are not asked again. Cancelling a waiting run
(what the Prefect UI's Cancel does) stops it in the worker; the reconciler then starts a run that
takes the review over. A second reviewer deciding the moment after the first is recorded, not
refused as an outage, and the run catches up.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from uuid import UUID

import pytest

from tests.conftest import poll_until
from tests.e2e.prefect_stack import pause_reconciler, paused_at, prefect_stack

GOVPUB = shutil.which("govpub", path=str(Path(sys.executable).parent))
CHAIN = [{"name": "初审"}, {"name": "复审"}, {"name": "终审"}]
REVIEWER = {"初审": "reviewer1", "复审": "reviewer2", "终审": "leader"}
SAMPLES = ["zhejiang-civil-affairs-2020-key-work", "hangzhou-2021-work-points"]


@pytest.fixture(scope="module")
def stack(tmp_path_factory, seaweed, postgres_dsn):
    """The stack (with its own worker) and a second `govpub worker` on the same pool; heartbeats of 1 s."""
    from services.bootstrap import sample_agency_config

    config = sample_agency_config()
    config["review_chains"] = [{"category": "*", "grade": g, "levels": CHAIN}
                               for g in ("ordinary", "important", "sensitive")]  # fmt: skip
    extra = {"GOVPUB_PREFECT_WORKER_HEARTBEAT_SECONDS": "1", "GOVPUB_PREFECT_WORKER_POLL_SECONDS": "0.5"}
    for env in prefect_stack(tmp_path_factory, seaweed, postgres_dsn, config=config, started=pause_reconciler,
                             extra_env=extra):  # fmt: skip
        log = (tmp_path_factory.mktemp("worker2") / "worker.log").open("wb")
        second = subprocess.Popen([GOVPUB, "worker"], env=env, stdout=log, stderr=subprocess.STDOUT,
                                  start_new_session=True)  # fmt: skip
        poll_until(lambda: len(_live_workers()) >= 2, what="two live workers")
        try:
            yield env
        finally:
            if second.poll() is None:
                second.send_signal(signal.SIGINT)
                second.wait(timeout=60)
            log.close()


def govpub(env, *args):
    return subprocess.run([GOVPUB, *args], env=env, capture_output=True, text=True, timeout=300, check=False)


def _live_workers() -> set[str]:
    from prefect.client.orchestration import get_client

    from flows.hosts import live_workers

    with get_client(sync_client=True) as client:
        return live_workers(client, "govpub", heartbeat_seconds=1)


def _submit(env, tmp_path, sample: str, n: int) -> str:
    data = json.loads((tmp_path / f"{sample}.json").read_text())
    data["title"] = f"{data['title']}（{n}）"
    path = tmp_path / f"{sample}-{n}.json"
    path.write_text(json.dumps(data, ensure_ascii=False))
    done = govpub(env, "submit", str(path))
    assert done.returncode == 0, done.stderr
    return done.stdout.split()[-1]


def _explain(doc: str) -> str:
    """Where the review and its run stand (for a failure's message)."""
    from flows.runtime import review_service

    view = review_service().current(doc)
    if view is None or view.flow_run_id is None:
        return f"no run: {view}"
    run, states = _run(view.flow_run_id)
    return (f"review at {view.position} ({view.state}, key {view.suspend_key}); run {run.state.name} "
            f"key {run.state.state_details.pause_key} by {run.labels.get('prefect.worker.name')}: "
            f"{[s.name for s in states]}")  # fmt: skip


def _run(flow_run_id: str):
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        return client.read_flow_run(UUID(flow_run_id)), client.read_flow_run_states(UUID(flow_run_id))


def test_two_workers_each_run_once_and_a_lost_worker_hands_over(stack, tmp_path):
    from flows.reconcile import reconcile_reviews

    env = stack
    assert govpub(env, "sample", "export", str(tmp_path)).returncode == 0
    docs = [_submit(env, tmp_path, SAMPLES[n % 2], n) for n in range(6)]
    views = [poll_until(lambda d=doc: paused_at(d, 0), what=f"{doc} waiting at 初审") for doc in docs]
    hosts = {}
    for view in views:
        run, states = _run(view.flow_run_id)
        names = [s.name for s in states]
        assert names.count("Pending") == 1, names  # claimed once, by one worker
        assert (names.count("Running"), names.count("Paused")) == (1, 1), names  # executed once, one wait
        hosts[view.document_id] = run.labels["prefect.worker.name"]
    assert set(hosts.values()) <= _live_workers()

    # 初审 decided for every document; then the worker hosting the first one is killed
    for doc in docs:
        assert govpub(env, "review", "approve", doc, "--as", "reviewer1", "--comment", "同意").returncode == 0
    for doc in docs:
        poll_until(lambda d=doc: paused_at(d, 1), what=f"{doc} waiting at 复审")
    victim = hosts[docs[0]]
    orphans = {d for d, h in hosts.items() if h == victim}
    os.kill(int(victim.rsplit("-", 1)[1]), signal.SIGKILL)
    poll_until(lambda: victim not in _live_workers(), what="the killed worker to fall silent")
    report = poll_until(lambda: (r := reconcile_reviews(grace_minutes=60)) and r.rehosted and r,
                        what="the reconciler handing the orphans over")  # fmt: skip
    assert len(report.rehosted) == len(orphans)
    for doc in orphans:  # driven again by the survivor: waiting at 复审, 初审 not asked again
        try:
            view = poll_until(lambda d=doc: paused_at(d, 1), what=f"{doc} waiting at 复审 again")
        except pytest.fail.Exception:
            pytest.fail(f"{doc} not waiting at 复审 again: {_explain(doc)}")
        run, _ = _run(view.flow_run_id)
        assert run.labels["prefect.worker.name"] != victim
    for doc in docs:
        for level in ("复审", "终审"):
            extra = ["--attribute", "proactive"] if level == "终审" else []
            position = list(REVIEWER).index(level)
            poll_until(lambda d=doc, p=position: paused_at(d, p), what=f"{doc} waiting at {level}")
            done = govpub(env, "review", "approve", doc, "--as", REVIEWER[level], "--comment", "同意", *extra)
            assert done.returncode == 0, done.stderr
    for doc in docs:
        status = json.loads(govpub(env, "status", doc, "--json").stdout)
        assert status["state"] in {"approved", "published"}
        decided = [e for e in status["audit"] if e["action"] == "review.decided"]
        assert len(decided) == 2  # 初审 and 复审, each once (终审 is document.approved)


def test_a_cancelled_run_stops_and_the_review_is_taken_over(stack, tmp_path):
    from prefect.client.orchestration import get_client
    from prefect.states import Cancelling

    from flows.reconcile import reconcile_reviews

    env = stack
    assert govpub(env, "sample", "export", str(tmp_path)).returncode == 0
    doc = _submit(env, tmp_path, SAMPLES[0], 100)
    view = poll_until(lambda: paused_at(doc, 0), what="初审 waiting")
    with get_client(sync_client=True) as client:  # what the UI's Cancel does
        client.set_flow_run_state(UUID(view.flow_run_id), Cancelling(message="cancelled in the UI"), force=True)
    poll_until(lambda: _run(view.flow_run_id)[0].state.is_cancelled(),  # noqa: PLW0108 - read on every poll
               what="the run cancelled by its worker")  # fmt: skip
    report = reconcile_reviews(grace_minutes=60)
    assert doc in report.restarted
    again = poll_until(lambda: paused_at(doc, 0), what="初审 waiting on a new run")
    assert again.flow_run_id != view.flow_run_id


def test_a_second_reviewer_right_after_the_first_is_recorded(stack, tmp_path):
    from disclosure.review import Decision, DecisionRequest
    from flows.resume import resume
    from flows.runtime import review_service
    from services.reviewing import decide

    env = stack
    assert govpub(env, "sample", "export", str(tmp_path)).returncode == 0
    doc = _submit(env, tmp_path, SAMPLES[1], 200)
    poll_until(lambda: paused_at(doc, 0), what="初审 waiting")
    service = review_service()
    decide(service, doc, DecisionRequest(Decision.APPROVE, "reviewer1", "同意"), via="cli", resume=resume)
    # at once, while the run is between its waits: recorded, no "could not be resumed"
    decide(service, doc, DecisionRequest(Decision.APPROVE, "reviewer2", "同意"), via="cli", resume=resume)
    poll_until(lambda: paused_at(doc, 2), what="终审 waiting: the run caught up")
