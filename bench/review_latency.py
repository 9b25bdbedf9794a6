"""Latency from a reviewer's approve (record + resume) to the next level waiting (the flow run
suspended on its next key) or the document approved, on the embedded default stack.

    python bench/review_latency.py [--documents 5]

Uses a running `govpub serve` for GOVPUB_DATA_DIR, or starts the embedded stack for the run.
The baseline printed beside it is the time of the approve command's own database work
(ReviewService.decide without a resume), measured in the same run.
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from disclosure.attributes import DisclosureAttribute
from disclosure.review import Decision, DecisionRequest, ReviewState
from flows.prefect_events import PrefectEvents
from govpub.demo import REVIEWERS, _suspended_on
from govpub.samples import load_samples
from govpub.stack import Stack, running_api, use_prefect
from services.bootstrap import open_app, today
from services.intake import Intake
from services.review_service import ReviewService
from services.reviewing import decide
from services.settings import load_settings


def wait_for(condition, timeout=120.0):  # noqa: ANN001, ANN201
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise TimeoutError
        time.sleep(0.05)
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=5)
    args = parser.parse_args()
    settings = load_settings()
    api = running_api(settings)
    with open_app(settings, owner="call" if api else "serve") as opened:
        stack = None if api else Stack(settings)
        try:
            api = api or stack.start()  # type: ignore[union-attr]
            use_prefect(settings, api)
            events = PrefectEvents()
            service = ReviewService(engine=opened.engine, store=opened.store,
                                    private_bucket=settings.store.private_bucket, events=events, today=today)  # fmt: skip
            intake = Intake(engine=opened.engine, store=opened.store, private_bucket=settings.store.private_bucket)
            latencies, record_only = [], []
            samples = load_samples()
            with tempfile.TemporaryDirectory() as scratch:
                docs = []
                for i in range(args.documents):
                    sample = samples[i % len(samples)]
                    data = copy.deepcopy(sample.submission)
                    data["title"] = f"{data['title']}（延迟测试{uuid.uuid4().hex[:6]}）"
                    for name, content in sample.files.items():
                        (Path(scratch) / name).write_bytes(content)
                    result = intake.submit(
                        json.dumps(data, ensure_ascii=False).encode(), beside=Path(scratch), today=today()
                    )
                    events.emit("govpub.document.submitted", document_id=result.document_id, version=1, payload={})
                    docs.append(result.document_id)
                for doc in docs:
                    while True:
                        view = wait_for(lambda d=doc: (v := service.current(d)) and v.state is not ReviewState.SCREENING
                                        and (v.state is ReviewState.APPROVED or _suspended_on(v)) and v)  # fmt: skip
                        if view.state is ReviewState.APPROVED:
                            break
                        last = view.position == len(view.levels) - 1
                        request = DecisionRequest(Decision.APPROVE, REVIEWERS[view.level.name], "同意",
                                                  confirmed_attribute=DisclosureAttribute.PROACTIVE if last else None)  # fmt: skip
                        start = time.perf_counter()
                        decide(service, doc, request)
                        record_only.append(time.perf_counter() - start)
                        wait_for(lambda d=doc, v=view: (n := service.current(d)) and (
                            n.state is ReviewState.APPROVED or (n.position != v.position and _suspended_on(n))))  # fmt: skip
                        latencies.append(time.perf_counter() - start)
        finally:
            if stack is not None:
                stack.stop()
    q = statistics.quantiles(latencies, n=20)
    print(f"{len(latencies)} approvals over {args.documents} documents")
    print(f"approve → next level waiting / approved: p50 {statistics.median(latencies):.2f} s, p95 {q[18]:.2f} s")
    print(f"approve command itself (record + resume): p50 {statistics.median(record_only):.3f} s")
    print(f"ratio end-to-end / command: {statistics.median(latencies) / statistics.median(record_only):.1f}")
    print(
        f"result: p50_s={statistics.median(latencies):.2f} p95_s={q[18]:.2f} "
        f"command_p50_s={statistics.median(record_only):.3f}"
    )


if __name__ == "__main__":
    main()
