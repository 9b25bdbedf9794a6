"""Review latency: a reviewer's decision → the next level waiting (its flow run paused on the next
key) or the document approved, on the embedded default stack (SQLite, managed SeaweedFS, local
Prefect server, the govpub worker).

    python bench/review_latency.py [--documents 10] [--levels 5]

Each document's chain has ``--levels`` levels (default 5: 50 approvals over 10 documents). All
documents wait at once; the approvals go round the documents level by level, each through the
doors' path (services.reviewing.decide with Prefect's resume, as `govpub review approve`). The
baseline, measured in the same run, is the decision's own database work (the same call with no
resume). Starts the embedded stack in a scratch data directory unless GOVPUB_DATA_DIR names one.
Ends with ``result: p50_s=… p99_s=… command_p50_s=… ratio=…``.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar
from uuid import UUID

from disclosure.attributes import DisclosureAttribute
from disclosure.review import Decision, DecisionRequest, ReviewState
from flows.prefect_events import PrefectEvents
from flows.resume import resume
from govpub.demo import paused_on
from govpub.samples import load_samples
from govpub.stack import Stack, use_prefect
from services.bootstrap import open_app, sample_agency_config, today
from services.intake import Intake
from services.review_service import ReviewService, RunView
from services.reviewing import decide, no_resume
from services.settings import load_settings

T = TypeVar("T")
LEVELS = ["初审", "复审", "会签", "保密审查", "终审"]


def wait_for(condition: Callable[[], T | None], timeout: float = 120.0) -> T:
    """Poll every 50 ms (the measurement's resolution; faster polling loads the server it measures) until
    ``condition`` gives a value."""
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise TimeoutError
        time.sleep(0.05)
    return value


def explain(view: RunView | None) -> str:
    """Where a review and its flow run stand (for a failure's message)."""
    from prefect.client.orchestration import get_client  # noqa: PLC0415

    if view is None or view.flow_run_id is None:
        return f"no run: {view}"
    with get_client(sync_client=True) as client:
        run = client.read_flow_run(UUID(view.flow_run_id))
        states = [f"{s.name}:{s.state_details.pause_key or ''}" for s in client.read_flow_run_states(run.id)]
    return f"review at {view.position} {view.state.value} key {view.suspend_key}; run {states}"


def config(levels: int) -> dict[str, object]:
    """The sample agency with one chain of ``levels`` levels for every grade, one reviewer per level."""
    agency = sample_agency_config()
    names = LEVELS[:levels] if levels <= len(LEVELS) else [f"第{i + 1}审" for i in range(levels)]
    users = [u for u in agency["users"] if not u.get("review_levels")]
    users += [{"username": f"bench{i}", "name": f"审核 {i}", "department": "政务公开科", "roles": ["reviewer"],
               "review_levels": [name]} for i, name in enumerate(names)]  # fmt: skip
    agency["users"] = users
    agency["review_chains"] = [{"category": "*", "grade": grade, "levels": [{"name": n} for n in names]}
                               for grade in ("ordinary", "important", "sensitive")]  # fmt: skip
    return agency


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=10)
    parser.add_argument("--levels", type=int, default=5)
    args = parser.parse_args()
    scratch_home = None if os.environ.get("GOVPUB_DATA_DIR") else tempfile.TemporaryDirectory()
    if scratch_home is not None:
        os.environ["GOVPUB_DATA_DIR"] = scratch_home.name
    settings = load_settings()
    with open_app(settings, owner="serve", config=config(args.levels)) as opened:
        stack = Stack(settings)
        try:
            use_prefect(settings, stack.start())
            events = PrefectEvents()
            service = ReviewService(engine=opened.engine, store=opened.store,
                                    private_bucket=settings.store.private_bucket, events=events, today=today)  # fmt: skip
            intake = Intake(engine=opened.engine, store=opened.store, private_bucket=settings.store.private_bucket)
            docs = submit(intake, events, args.documents)
            latencies, command, record_only = [], [], []
            by_level: dict[int, list[float]] = {}
            commands: dict[int, list[float]] = {}
            resumes: dict[int, list[float]] = {}
            reviewers = {u["review_levels"][0]: u["username"] for u in config(args.levels)["users"]  # type: ignore[index,union-attr,attr-defined]
                         if u.get("review_levels")}  # type: ignore[union-attr,attr-defined]  # fmt: skip
            for _ in range(args.levels):
                for doc in docs:
                    view = wait_for(lambda d=doc: (v := service.current(d)) and v.state is ReviewState.WAITING
                                    and paused_on(v) and v)  # fmt: skip
                    last = view.position == len(view.levels) - 1
                    request = DecisionRequest(Decision.APPROVE, reviewers[view.level.name], "同意",
                                              confirmed_attribute=DisclosureAttribute.PROACTIVE if last else None)  # fmt: skip
                    start = time.perf_counter()
                    decide(service, doc, request, via="cli", resume=timed(resumes.setdefault(view.position, [])))
                    command.append(time.perf_counter() - start)
                    try:
                        wait_for(lambda d=doc, v=view: (n := service.current(d)) and (
                            n.state is ReviewState.APPROVED or (n.position != v.position and paused_on(n))))  # fmt: skip
                    except TimeoutError:
                        raise SystemExit(f"{doc} never reached the wait after level {view.position + 1}: "
                                         f"{explain(service.current(doc))}") from None  # fmt: skip
                    latencies.append(time.perf_counter() - start)
                    by_level.setdefault(view.position, []).append(latencies[-1])
                    commands.setdefault(view.position, []).append(command[-1])
            record_only = baseline(intake, service, events, args.levels, reviewers)
        finally:
            stack.stop()
    if scratch_home is not None:
        scratch_home.cleanup()
    q = statistics.quantiles(latencies, n=100, method="inclusive")  # never beyond the largest sample
    p50, p99, cmd, base = (
        statistics.median(latencies),
        q[98],
        statistics.median(command),
        statistics.median(record_only),
    )
    print(
        f"{len(latencies)} approvals over {args.documents} documents ({args.levels} levels each), all waiting at once"
    )
    print(f"decision → next level waiting / approved: p50 {p50:.3f} s, p90 {q[89]:.3f} s, p99 {p99:.3f} s, "
          f"max {max(latencies):.3f} s")  # fmt: skip
    for position, values in sorted(by_level.items()):
        print(
            f"  level {position + 1}: p50 {statistics.median(values):.3f} s, max {max(values):.3f} s "
            f"(the call itself: p50 {statistics.median(commands[position]):.3f} s, max {max(commands[position]):.3f} s; "
            f"its resume p50 {statistics.median(resumes[position]):.3f} s, max {max(resumes[position]):.3f} s)"
        )
    print(f"the approve call itself (record + resume): p50 {cmd:.3f} s; record only (baseline): p50 {base:.3f} s")
    print(f"result: p50_s={p50:.3f} p99_s={p99:.3f} command_p50_s={cmd:.3f} record_p50_s={base:.3f} "
          f"ratio={p50 / base:.1f}")  # fmt: skip


def timed(into: list[float]) -> Callable[[RunView], None]:
    """Prefect's resume, its time appended to ``into``."""

    def resume_timed(view: RunView) -> None:
        start = time.perf_counter()
        resume(view)
        into.append(time.perf_counter() - start)

    return resume_timed


def submit(intake: Intake, events: PrefectEvents, count: int) -> list[str]:
    """``count`` sample documents submitted, each announced (the review deployment's trigger)."""
    samples = load_samples()
    docs = []
    with tempfile.TemporaryDirectory() as scratch:
        for i in range(count):
            sample = samples[i % len(samples)]
            data = copy.deepcopy(sample.submission)
            data["title"] = f"{data['title']}（延迟测试{uuid.uuid4().hex[:6]}）"
            for name, content in sample.files.items():
                (Path(scratch) / name).write_bytes(content)
            result = intake.submit(json.dumps(data, ensure_ascii=False).encode(), beside=Path(scratch), today=today())
            events.emit("govpub.document.submitted", document_id=result.document_id, version=1, payload={})
            docs.append(result.document_id)
    return docs


def baseline(intake: Intake, service: ReviewService, events: PrefectEvents, levels: int,
             reviewers: dict[str, str]) -> list[float]:  # fmt: skip
    """The same decisions' database work alone: a document screened here, decided with no resume."""
    del events
    doc = submit(intake, _Quiet(), 1)[0]
    service.begin(doc, 1, f"bench-{uuid.uuid4()}")
    service.screen(doc, 1)
    timings = []
    for _ in range(levels):
        view = service.current(doc)
        if view is None or view.state is not ReviewState.WAITING:
            raise RuntimeError(f"the baseline's review is not waiting: {view}")
        last = view.position == len(view.levels) - 1
        request = DecisionRequest(Decision.APPROVE, reviewers[view.level.name], "同意",
                                  confirmed_attribute=DisclosureAttribute.PROACTIVE if last else None)  # fmt: skip
        start = time.perf_counter()
        decide(service, doc, request, via="cli", resume=no_resume)
        timings.append(time.perf_counter() - start)
    return timings


class _Quiet(PrefectEvents):
    """No event for the baseline's document (no flow run takes it)."""

    def emit(self, *args: object, **kwargs: object) -> None:  # type: ignore[override]
        del args, kwargs


if __name__ == "__main__":
    main()
