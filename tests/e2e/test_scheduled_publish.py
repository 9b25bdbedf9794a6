"""Scheduled publishing (定时发布) on a real Prefect server, worker and deployments.

The approval of a version with a release time ahead starts publish-releases, which publishes
nothing of it and leaves a run of publish-document Scheduled at the release time; `govpub publish schedule`
moves the time (the old run cancelled, a new one scheduled); a release time a few seconds ahead is
published by its scheduled run, which the server does not start before that time.
"""

import json
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

from govpub.samples import load_samples
from services.intake import Intake
from services.principal import operator
from tests.conftest import poll_until
from tests.e2e.test_review_flow import stack  # noqa: F401 - the real Prefect stack, for this module too
from tests.helpers import review_through

GOVPUB = shutil.which("govpub", path=str(Path(sys.executable).parent))


def govpub(env, *args):
    return subprocess.run([GOVPUB, *args], env=env, capture_output=True, text=True, timeout=300, check=False)


def flow_run(run_id):
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        return client.read_flow_run(UUID(run_id))


def scheduled_run(gov, doc, *, other_than=None):
    """The publish run recorded on the document's version, once there is one (and not ``other_than``)."""
    [version] = gov.document(operator(), doc)["versions"]
    run_id = version["release_flow_run_id"]
    return run_id if run_id and run_id != other_than else None


def test_a_scheduled_run_publishes_at_the_release_time_and_not_before(stack, tmp_path):  # noqa: F811
    from flows.runtime import govpub as flow_govpub
    from flows.runtime import review_service

    env = stack
    gov = flow_govpub()  # this process's application layer: Prefect events and scheduler, the stack's record
    sample = load_samples()[2]
    for name, content in sample.files.items():
        (tmp_path / name).write_bytes(content)
    release_at = (datetime.now(UTC) + timedelta(hours=1)).replace(microsecond=0)
    submission = {**sample.submission, "release_at": release_at.isoformat()}
    intake = Intake(engine=gov.app.engine, store=gov.app.store, private_bucket=gov.app.settings.store.private_bucket)
    doc = intake.submit(json.dumps(submission, ensure_ascii=False).encode(), beside=tmp_path,
                        today=datetime.now(UTC).date()).document_id  # fmt: skip
    review_through(review_service(), doc, 1)  # the approval is a Prefect event: publish-releases runs

    first = poll_until(lambda: scheduled_run(gov, doc), timeout=180, what="the run scheduled at the release time")
    waiting = flow_run(first)
    assert waiting.deployment_id is not None
    assert waiting.state.is_scheduled()
    assert waiting.state.state_details.scheduled_time == release_at
    assert gov.document(operator(), doc)["state"] == "approved"  # nothing published on approval

    later = release_at + timedelta(hours=1)
    moved = govpub(env, "publish", "schedule", doc, "--at", later.isoformat(), "--as", "office")
    assert moved.returncode == 0, moved.stderr
    assert "embargoed until" in moved.stdout
    second = scheduled_run(gov, doc, other_than=first)
    assert second is not None
    assert flow_run(first).state.is_cancelled()
    assert flow_run(second).state.state_details.scheduled_time == later
    refused = govpub(env, "publish", "schedule", doc, "--at", later.isoformat(), "--as", "reviewer1")
    assert refused.returncode == 1
    assert "only the disclosure office" in refused.stderr

    soon = (datetime.now(UTC) + timedelta(seconds=3)).replace(microsecond=0)
    result = gov.release_times.set(gov.identities.impersonate("office", via="cli"), doc, soon.isoformat())
    assert result.left_for_reconciler == ""
    assert flow_run(second).state.is_cancelled()
    run = flow_run(result.flow_run_id)
    assert run.state.is_scheduled()
    assert run.state.state_details.scheduled_time == soon

    done = poll_until(lambda: (r := flow_run(result.flow_run_id)).state.is_final() and r, timeout=180,
                      interval=0.5, what="the scheduled run to finish")  # fmt: skip
    assert done.state.is_completed(), done.state
    # the server does not let it start before its time, to the second (WaitForScheduledTime rounds);
    # a run started that moment early waits for the time itself before it publishes (asserted below)
    assert done.start_time >= soon - timedelta(seconds=1)
    assert [d for d, _, _ in done.state.result().published] == [doc]
    status = gov.document(operator(), doc)
    assert status["state"] == "published"
    [publication] = status["publications"]
    assert datetime.fromisoformat(publication["published_at"]) >= soon
    public = gov.app.settings.store.public_bucket
    assert gov.app.store.stat(public, publication["public_prefix"] + "metadata.json") is not None
