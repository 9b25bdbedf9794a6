"""The reconciler on a real Prefect server, worker and deployments: every item on its own, failures
counted in the run's result, and failures that would recur parked in needs_attention — shown,
announced once, and retried only after what they depended on changed.

The reconcile deployment's schedule is paused for this module: the test runs every tick itself.
"""

import json
import shutil
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path
from uuid import UUID

import pytest

from tests.conftest import poll_until
from tests.e2e.prefect_stack import pause_reconciler, paused_at, prefect_stack

GOVPUB = shutil.which("govpub", path=str(Path(sys.executable).parent))
CHAIN = [{"name": "初审"}, {"name": "终审", "time_limit_days": 3}]
COVERED = "综合政务/政务公开"
UNCOVERED = "财政、金融、审计/财政"


def chains(*categories):
    return [{"category": c, "grade": g, "levels": CHAIN} for c in categories
            for g in ("ordinary", "important", "sensitive")]  # fmt: skip


@pytest.fixture(scope="module")
def stack(tmp_path_factory, seaweed, postgres_dsn):
    """govpub's embedded stack (PostgreSQL-backed Prefect server) with chains for one category only."""
    from services.bootstrap import sample_agency_config

    config = sample_agency_config()
    config["review_chains"] = chains(COVERED)
    yield from prefect_stack(tmp_path_factory, seaweed, postgres_dsn, config=config, started=_quiet_reconciler)


def _quiet_reconciler():
    """The reconcile schedule paused, and no scheduled tick still in flight: the tests tick themselves."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName, FlowRunFilter, FlowRunFilterStateType
    from prefect.client.schemas.objects import StateType

    pause_reconciler()
    busy = FlowRunFilter(state={"type": FlowRunFilterStateType(any_=[StateType.PENDING, StateType.RUNNING])})
    reconciling = FlowFilter(name=FlowFilterName(any_=["reconcile-reviews"]))
    with get_client(sync_client=True) as client:
        poll_until(lambda: not client.read_flow_runs(flow_filter=reconciling, flow_run_filter=busy),
                   what="no scheduled reconcile run in flight")  # fmt: skip


def govpub(env, *args):
    return subprocess.run([GOVPUB, *args], env=env, capture_output=True, text=True, timeout=300, check=False)


def submit(env, tmp_path, sample, *extra, **changes):
    from govpub.samples import load_samples

    chosen = next(s for s in load_samples() if s.name == sample)
    data = {**chosen.submission, **changes}
    for name, content in chosen.files.items():
        (tmp_path / name).write_bytes(content)
    path = tmp_path / f"{sample}-{uuid.uuid4().hex[:6]}.json"
    path.write_text(json.dumps(data, ensure_ascii=False))
    done = govpub(env, "submit", str(path), *extra)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()[-1]


def status(env, doc):
    done = govpub(env, "status", doc, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def listed(env, doc):
    """The document's row in the office's review list, if any."""
    items = json.loads(govpub(env, "review", "list", "--json").stdout or "[]")
    return next((i for i in items if i["document_id"] == doc), None)


def review_runs(doc):
    """Every review-document flow run Prefect holds for the document."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName

    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(flow_filter=FlowFilter(name=FlowFilterName(any_=["review-document"])), limit=200)
    return [r for r in runs if r.parameters.get("document_id") == doc]


def events_named(name, doc):
    from prefect.client.orchestration import get_client
    from prefect.events.filters import EventFilter, EventNameFilter, EventResourceFilter

    with get_client(sync_client=True) as client:
        page = client.read_events(filter=EventFilter(event=EventNameFilter(name=[name]),
                                                     resource=EventResourceFilter(id=[f"govpub.document.{doc}"])), limit=50)  # fmt: skip
    return page.events


def audit_count(env, doc, action):
    return [e["action"] for e in status(env, doc)["audit"]].count(action)


def tick(grace_minutes=60):
    from flows.reconcile import reconcile_reviews

    return reconcile_reviews(grace_minutes=grace_minutes)


def finished(doc):
    """The document's review flow runs, once none of them is still scheduled, pending or running."""
    runs = review_runs(doc)
    return runs if runs and all(r.state and r.state.is_final() for r in runs) else None


def test_a_chainless_category_needs_attention_once_until_the_configuration_gains_a_chain(stack, tmp_path):
    env = stack
    doc = submit(env, tmp_path, "zhejiang-civil-affairs-2020-key-work", category=UNCOVERED)
    parked = poll_until(lambda: (s := status(env, doc))["needs_attention"] and s, what="the review parked")
    assert parked["needs_attention"]["reason"] == "no_review_chain"
    assert UNCOVERED in parked["needs_attention"]["detail"]
    assert (parked["state"], parked["review_state"]) == ("submitted", "needs_attention")
    (first,) = poll_until(lambda: finished(doc), what="the parked review's flow run completed")
    assert first.state.is_completed()  # it ended by itself: nothing for the reconciler to restart

    item = listed(env, doc)
    assert (item["state"], item["attention_reason"]) == ("needs_attention", "no_review_chain")
    assert "review_chains" in item["attention_detail"]
    assert f"NEEDS ATTENTION {doc} v1 (no_review_chain)" in govpub(env, "review", "list").stdout
    assert "NEEDS ATTENTION v1 (no_review_chain" in govpub(env, "status", doc).stdout

    for _ in range(3):
        report = tick()
        assert doc in report.needs_attention
        assert doc not in report.started + report.restarted + report.retried
        assert report.steps["attention"].needs_attention >= 1
        assert report.failures == []
    assert [r.id for r in finished(doc)] == [first.id]  # one review start, however many ticks
    assert audit_count(env, doc, "review.needs_attention") == 1
    poll_until(lambda: events_named("govpub.document.needs_attention", doc), what="the needs_attention event")
    assert len(events_named("govpub.document.needs_attention", doc)) == 1

    from services.bootstrap import sample_agency_config

    config = sample_agency_config()
    config["review_chains"] = chains(COVERED, UNCOVERED)
    path = tmp_path / "agency.json"
    path.write_text(json.dumps(config, ensure_ascii=False))
    configured = govpub(env, "init", "--config", str(path))
    assert configured.returncode == 0, configured.stderr
    report = tick()
    assert doc in report.retried
    assert poll_until(lambda: paused_at(doc), what="初审 waiting after the chain was configured")
    assert listed(env, doc)["level"] == "初审"
    assert len(review_runs(doc)) == 2
    assert audit_count(env, doc, "review.retried") == 1
    assert status(env, doc)["needs_attention"] is None
    assert doc not in tick().retried  # once
    assert len(events_named("govpub.document.needs_attention", doc)) == 1


def test_a_missing_private_object_needs_attention_until_it_is_back(stack, tmp_path):
    from flows.runtime import _app

    env = stack
    quiet = {k: v for k, v in env.items() if k != "PREFECT_API_URL"}  # submitted while Prefect was unreachable
    quiet["GOVPUB_DATA_DIR"] = str(tmp_path / "elsewhere")
    doc = submit(quiet, tmp_path, "hunan-police-2019-annual-report")
    assert review_runs(doc) == []  # the submitted event was lost
    (attachment,) = status(env, doc)["versions"][0]["attachments"]
    app = _app()
    bucket, key = app.settings.store.private_bucket, f"attachments/sha256/{attachment['sha256']}"
    content = app.store.get(bucket, key)
    app.store.delete(bucket, key)

    assert doc in tick(grace_minutes=0).started
    parked = poll_until(lambda: (s := status(env, doc))["needs_attention"] and s, what="the review parked")
    assert parked["needs_attention"]["reason"] == "missing_object"
    assert attachment["file_name"] in parked["needs_attention"]["detail"]
    assert key in listed(env, doc)["attention_detail"]
    poll_until(lambda: finished(doc), what="the parked review's flow run completed")
    for _ in range(2):
        report = tick()
        assert doc in report.needs_attention
        assert report.failures == []
    assert len(review_runs(doc)) == 1

    app.store.put(bucket, key, content, length=len(content), content_type=attachment["media_type"])
    assert doc in tick().retried
    assert poll_until(lambda: paused_at(doc), what="初审 waiting once the object was back")
    assert len(review_runs(doc)) == 2


def test_deleted_flow_runs_and_a_failing_item_stop_nothing_and_the_result_counts_them(stack, tmp_path):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId

    from flows.reconcile import reconcile_reviews

    env = stack
    replaced = submit(env, tmp_path, "hangzhou-2021-work-points")
    crashed = submit(env, tmp_path, "hangzhou-police-2020-work-points")
    broken = submit(env, tmp_path, "zhanjiang-police-2017-implementation-plan")
    views = {doc: poll_until(lambda doc=doc: paused_at(doc), what=f"{doc} at 初审")
             for doc in (replaced, crashed, broken)}  # fmt: skip
    submit(
        env, tmp_path, "hangzhou-2021-work-points", "--revise", replaced, title="杭州市2021年政务公开工作要点（修订）"
    )
    poll_until(lambda: paused_at(replaced, version=2), what="the revision at 初审")
    with get_client(sync_client=True) as client:
        assert client.read_flow_run(UUID(views[replaced].flow_run_id)).state.is_paused()  # version 1 still waits
        client.delete_flow_run(UUID(views[replaced].flow_run_id))  # the wait of a voided version, deleted
        client.delete_flow_run(UUID(views[crashed].flow_run_id))  # an open review's run, deleted
    database = env["GOVPUB_DATABASE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(database) as conn:  # a record the reconciler cannot use: anything may go wrong with one item
        conn.execute("UPDATE review_run SET flow_run_id = 'not-a-flow-run' WHERE document_id = ?", (broken,))

    state = reconcile_reviews(grace_minutes=60, return_state=True)
    report = state.result()
    assert state.is_completed()
    assert state.name == "Completed with failures"
    assert state.message.startswith("1 failed")
    assert report.steps["redrive"].failed == 1
    assert report.failures == [f"redrive {broken} v1: ValueError: badly formed hexadecimal UUID string"]
    assert crashed in report.restarted  # the other open reviews were handled
    assert report.steps["voided"].failed == 0
    assert report.steps["voided"].handled >= 1  # the deleted wait: nothing left to cancel
    for later in ("publish", "withdrawals", "status records", "feeds", "deliveries", "deadlines", "audit checkpoint"):
        assert report.steps[later].failed == 0, later  # every later step still ran
    assert report.steps["feeds"].handled == report.steps["deliveries"].handled == 1

    run_id = state.state_details.flow_run_id
    with get_client(sync_client=True) as client:
        stored = client.read_flow_run(run_id).state
        assert (stored.type.value, stored.name) == ("COMPLETED", "Completed with failures")
        assert stored.result().steps["redrive"].failed == 1  # the run's persisted result carries the counts

        def warned():
            logs = client.read_logs(LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run_id])))
            return [log for log in logs if broken in log.message and log.level >= 30]

        assert poll_until(warned, what="a warning naming the failed item in the run's logs")
    assert poll_until(lambda: paused_at(crashed), what="the restarted review at 初审").flow_run_id != (
        views[crashed].flow_run_id
    )

    with sqlite3.connect(database) as conn:
        conn.execute("UPDATE review_run SET flow_run_id = ? WHERE document_id = ?", (views[broken].flow_run_id, broken))
    state = reconcile_reviews(grace_minutes=60, return_state=True)
    assert (state.name, state.result().failures) == ("Completed", [])
