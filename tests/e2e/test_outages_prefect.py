"""Outages of the orchestrator (issue 12, item 3): the Prefect server stopped while reviews wait, and the
only govpub worker stopped while it hosts waiting runs, on a PostgreSQL-backed server.

Server down: a reviewer's decision is recorded and the command says so in one line (exit 3: "recorded,
but the flow run could not be resumed …; the reconciler will resume it"); the worker outlives the
outage; once the server is back on the same database, one reconciler tick wakes the run, which reads
the record and waits at the next level — the decided level is not asked again, a review nobody
decided still waits where it was. Worker down (SIGINT, as ``govpub serve`` stops it): its waiting runs
are set Scheduled; a decision meanwhile is recorded (nothing to wake: exit 0); a worker started
again takes the runs and drives them from the record. (A SIGKILLed worker's runs handed to another
worker: tests/e2e/test_workers.py.)
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from govpub.samples import load_samples
from tests.conftest import poll_until
from tests.e2e.prefect_stack import pause_reconciler, paused_at, prefect_stack

GOVPUB = shutil.which("govpub", path=str(Path(sys.executable).parent))
PREFECT = str(Path(sys.executable).parent / "prefect")
CHAIN = [{"name": "初审"}, {"name": "复审"}, {"name": "终审"}]


@pytest.fixture(scope="module")
def stacks():
    return []


@pytest.fixture(scope="module")
def stack(tmp_path_factory, seaweed, postgres_dsn, stacks):
    from services.bootstrap import sample_agency_config

    config = sample_agency_config()
    config["review_chains"] = [{"category": "*", "grade": g, "levels": CHAIN}
                               for g in ("ordinary", "important", "sensitive")]  # fmt: skip
    yield from prefect_stack(tmp_path_factory, seaweed, postgres_dsn, config=config, started=pause_reconciler,
                             stacks=stacks)  # fmt: skip


def govpub(env, *args):
    return subprocess.run([GOVPUB, *args], env=env, capture_output=True, text=True, timeout=120, check=False)


def _submit(env, tmp_path, *numbers: int) -> list[str]:
    """Submit a copy of a sample per number, the commands side by side; the documents' ids."""
    sample = load_samples()[0]
    for name, content in sample.files.items():
        (tmp_path / name).write_bytes(content)
    commands = []
    for n in numbers:
        path = tmp_path / f"outage-{n}.json"
        path.write_text(json.dumps({**sample.submission, "title": f"{sample.submission['title']}（中断{n}）"},
                                   ensure_ascii=False))  # fmt: skip
        commands.append(subprocess.Popen([GOVPUB, "submit", str(path)], env=env, stdout=subprocess.PIPE,
                                         stderr=subprocess.PIPE, text=True))  # fmt: skip
    ids = []
    for command in commands:
        out, err = command.communicate(timeout=120)
        assert command.returncode == 0, err
        ids.append(out.split()[-1])
    return ids


def _stop(process: subprocess.Popen[bytes], signum: signal.Signals) -> None:
    os.killpg(process.pid, signum)
    process.wait(timeout=60)


def _decided(env, doc: str) -> int:
    """How many decisions the document's audit trail records."""
    status = json.loads(govpub(env, "status", doc, "--json").stdout)
    return sum(1 for event in status["audit"] if event["action"] == "review.decided")


def test_prefect_server_stopped_while_reviews_wait(stack, stacks, tmp_path):
    from flows.reconcile import reconcile_reviews
    from govpub.stack import healthy, prefect_dir

    env, running = stack, stacks[0]
    decided, untouched = _submit(env, tmp_path, 1, 2)
    first = poll_until(lambda: paused_at(decided, 0), what="初审 waiting")
    poll_until(lambda: paused_at(untouched, 0), what="初审 waiting")
    server = running.processes["server"]
    command = server.args
    _stop(server, signal.SIGTERM)
    assert not healthy(running.api_url)

    configured = {**env, "GOVPUB_PREFECT_API_URL": running.api_url}  # as in production: no server to find
    done = govpub(configured, "review", "approve", decided, "--as", "reviewer1", "--comment", "同意")
    assert done.returncode == 3, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert "recorded, but the flow run could not be resumed" in lines[0], lines[0]
    assert "reconciler will resume it" in lines[0]

    # the server back on the same port and database
    log = (prefect_dir(running.settings) / "server-again.log").open("ab")
    running.processes["server"] = subprocess.Popen(command, env={**os.environ, **_server_env(running)}, stdout=log,
                                                   stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
    log.close()
    poll_until(lambda: healthy(running.api_url), timeout=180, what="the Prefect server back")
    assert running.processes["worker"].poll() is None, "the worker did not outlive the outage"
    report = poll_until(lambda: (r := reconcile_reviews(grace_minutes=60)) and decided in r.resumed and r,
                        what="the reconciler waking the run")  # fmt: skip
    assert untouched not in report.resumed + report.restarted
    view = poll_until(lambda: paused_at(decided, 1), what="复审 waiting: the run caught up")
    assert view.flow_run_id == first.flow_run_id  # the same run, woken, not a replacement
    assert paused_at(untouched, 0) is not None  # still waits where it was
    again = govpub(env, "review", "approve", untouched, "--as", "reviewer1", "--comment", "同意")
    assert again.returncode == 0, again.stderr
    poll_until(lambda: paused_at(untouched, 1), what="复审 waiting after a decision once the server is back")
    assert _decided(env, decided) == 1


def _server_env(running) -> dict[str, str]:
    """What Stack.start gave the server: Prefect's settings for the data directory and its database."""
    from govpub.stack import prefect_env

    database = running.settings.prefect.database_url
    assert database is not None
    return {**prefect_env(running.settings, running.api_url),
            "PREFECT_API_DATABASE_CONNECTION_URL": database.get_secret_value()}  # fmt: skip


def test_the_worker_stopped_while_it_hosts_waiting_runs(stack, stacks, tmp_path):
    from govpub.stack import prefect_dir

    env, running = stack, stacks[0]
    [doc] = _submit(env, tmp_path, 3)
    first = poll_until(lambda: paused_at(doc, 0), what="初审 waiting")
    worker = running.processes["worker"]
    _stop(worker, signal.SIGINT)  # as `govpub serve` stops it: its runs set Scheduled for whoever comes next
    assert paused_at(doc, 0) is None

    done = govpub(env, "review", "approve", doc, "--as", "reviewer1", "--comment", "同意")
    assert done.returncode == 0, done.stderr  # recorded; the run is not waiting, it reads the record when it starts

    log = (prefect_dir(running.settings) / "worker-again.log").open("ab")
    running.processes["worker"] = subprocess.Popen([GOVPUB, "worker"], env=env, stdout=log, stderr=subprocess.STDOUT,
                                                   start_new_session=True)  # fmt: skip
    log.close()
    view = poll_until(lambda: paused_at(doc, 1), what="复审 waiting: driven again from the record")
    assert view.flow_run_id == first.flow_run_id  # the same run, taken by the new worker
    assert _decided(env, doc) == 1  # 初审 not asked again
