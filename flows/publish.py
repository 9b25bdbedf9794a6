"""The publication flows: ``publish-releases`` (triggered by ``govpub.document.approved``) and
``publish-document`` (the run scheduled at a release time, 定时发布).

publish-releases takes every release waiting — approved 主动公开 items that are due, failed, partial
and pending releases — and publishes them with one task per batch of ``publish.batch_size``
releases (PublicationService.publish_batch: each release planned and written on its own, the batch
recorded together, each head page rebuilt once per batch). It looks again after its last batch and
takes what was approved meanwhile, until a look finds nothing new. Its deployment runs one at a time
(concurrency limit 1, ENQUEUE): a burst of approvals makes one run that publishes them all, and
queued runs that find nothing left. Last, it makes sure every embargoed approval has a
publish-document run scheduled at its release time. Held policies (waiting for their interpretation)
are left quietly; the interpretation's approval releases them.

publish-document publishes one document's release; a run the server let start a moment before its
time waits for it. The reconciler re-drives whatever failed, and publishes what is due if its
scheduled run was lost. Both flows are async and never block the event loop (the worker that hosts
them is shared by many runs): every service call runs in a thread.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime

from prefect import State, flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.states import Completed

from disclosure.errors import ServiceUnavailable
from flows.runtime import govpub, publication_batch_size, publication_service
from services.principal import system
from services.publication import BatchOutcome

EARLY_START_SECONDS = 10.0  # a run this close to its release time waits for it instead of scheduling another
MAX_LOOKS = 20  # publish-releases looks for new releases at most this often, then leaves the rest to the next run


@dataclass
class PublishRun:
    """What a publication run (or one of its batches) did."""

    published: list[tuple[str, int, str]] = field(default_factory=list)  # (document, version, 索引号)
    held: list[str] = field(default_factory=list)  # policies waiting for their interpretation
    embargoed: dict[str, str] = field(default_factory=dict)  # document → its release time (ISO 8601)
    failed: dict[str, str] = field(default_factory=dict)  # document → why (recorded on its release)
    scheduled: dict[str, str | None] = field(default_factory=dict)  # document → the run waiting for its time
    batches: int = 0
    left_for_reconciler: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, batch: BatchOutcome) -> PublishRun:
        """A batch's outcome, summarised."""
        run = cls(published=batch.published, batches=1)
        for document_id, outcome in batch.outcomes.items():
            if outcome.state == "held":
                run.held.append(document_id)
            elif outcome.state in {"failed", "partial"}:
                run.failed[document_id] = outcome.reason
            if outcome.embargoed_until is not None:  # embargoed, or published with a later item embargoed
                run.embargoed[document_id] = outcome.embargoed_until.isoformat()
        run.left_for_reconciler = [batch.left_for_reconciler] if batch.left_for_reconciler else []
        return run

    def add(self, other: PublishRun) -> None:
        """Count another batch in."""
        self.published += [item for item in other.published if item not in self.published]
        self.held += [doc for doc in other.held if doc not in self.held]
        self.embargoed |= other.embargoed
        self.failed |= other.failed
        self.scheduled |= other.scheduled
        self.batches += other.batches
        self.left_for_reconciler += other.left_for_reconciler

    def published_documents(self) -> set[str]:
        """The documents published."""
        return {document_id for document_id, _, _ in self.published}

    def summary(self) -> str:
        """One line."""
        counts = {"held": self.held, "embargoed": self.embargoed, "failed": self.failed, "scheduled": self.scheduled}
        rest = ", ".join(f"{len(items)} {name}" for name, items in counts.items())
        return f"{len(self.published)} published in {self.batches} batch(es), {rest}"


@task(cache_policy=NO_CACHE, retries=2, retry_delay_seconds=10)
async def list_waiting() -> list[str]:
    """Every release waiting to be published (one document of each)."""
    return await asyncio.to_thread(lambda: publication_service().waiting_releases())


@task(cache_policy=NO_CACHE)
async def publish_batch(document_ids: list[str]) -> PublishRun:
    """Publish these releases as one batch; each fails alone (recorded on it, re-driven by the reconciler)."""
    return PublishRun.of(await asyncio.to_thread(lambda: publication_service().publish_batch(document_ids)))


@task(cache_policy=NO_CACHE, retries=2, retry_delay_seconds=10)
async def list_unscheduled() -> list[str]:
    """Embargoed approvals with no run recorded to wait for their release time."""
    return await asyncio.to_thread(lambda: publication_service().unscheduled_embargoes())


@task(cache_policy=NO_CACHE, retries=2, retry_delay_seconds=10)
async def schedule_release(document_id: str) -> str | None:
    """Make sure a publish-document run is scheduled at the release's next release time; its id."""
    return await asyncio.to_thread(lambda: govpub().release_times.ensure_scheduled(system("flow"), document_id))


@flow(name="publish-releases", persist_result=True)
async def publish_releases(document_ids: list[str] | None = None) -> State[PublishRun]:
    """Publish every release waiting (or only these documents'), in batches; schedule the embargoed."""
    size = await asyncio.to_thread(publication_batch_size)
    run, tried = PublishRun(), set[str]()
    for _ in range(MAX_LOOKS if document_ids is None else 1):
        waiting = [d for d in (await list_waiting() if document_ids is None else document_ids) if d not in tried]
        if not waiting:
            break
        tried.update(waiting)
        for start in range(0, len(waiting), size):
            run.add(await publish_batch(waiting[start : start + size]))
    await _schedule(run, await list_unscheduled())
    return _finished(run)


@flow(name="publish-document", persist_result=True)
async def publish_document(document_id: str) -> State[PublishRun]:
    """Publish an approved document and whatever goes out with it (the run scheduled at its release time)."""
    run = await publish_batch([document_id])
    lead = _lead(run.embargoed.get(document_id))
    if lead is not None and lead <= EARLY_START_SECONDS:
        await asyncio.sleep(lead + 0.05)  # its release time is a moment away: publish at it, not a run later
        earlier, run = run, await publish_batch([document_id])
        run.published, run.batches = earlier.published + run.published, earlier.batches + run.batches
    if document_id in run.embargoed:
        await _schedule(run, [document_id])
    return _finished(run)


async def _schedule(run: PublishRun, document_ids: list[str]) -> None:
    """A run scheduled at each document's release time; one the orchestrator refused is left to the reconciler."""
    for document_id in document_ids:
        try:
            run.scheduled[document_id] = await schedule_release(document_id)
        except ServiceUnavailable as exc:
            run.left_for_reconciler.append(f"no run scheduled for {document_id} ({exc}); the reconciler publishes it")


def _finished(run: PublishRun) -> State[PublishRun]:
    """Completed, its message the summary (named so when some release failed)."""
    summary = run.summary()
    get_run_logger().info("publication: %s", summary)
    if run.failed:
        return Completed(data=run, message=summary, name="Completed with failures")
    return Completed(data=run, message=summary)


def _lead(until: str | None) -> float | None:
    """Seconds until a release time, if any."""
    if until is None:
        return None
    return max(0.0, (datetime.fromisoformat(until) - datetime.now(UTC)).total_seconds())
