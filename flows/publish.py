"""The publication flow (deployment ``publish-document``, triggered by ``govpub.document.approved``).

It runs PublicationService.publish: numbers, public copies through the gate, the record, feed
pages, pushes. Held policies (waiting for their interpretation) end quietly; the interpretation's
approval triggers the release. A version with a release time ahead (定时发布) is not published: the
run makes sure another run of this deployment is scheduled at that time, and ends. A scheduled run
the server let start a moment before its time waits for it. The reconciler re-drives anything that
failed, and publishes what is due if its scheduled run was lost.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from flows.runtime import govpub, publication_service
from services.principal import system

EARLY_START_SECONDS = 10.0  # a run this close to its release time waits for it instead of scheduling another


@task(cache_policy=NO_CACHE, retries=2, retry_delay_seconds=10)
def publish_release(document_id: str) -> dict[str, object]:
    """Publish what the document's release allows now (idempotent)."""
    outcome = publication_service().publish(document_id)
    until = outcome.embargoed_until.isoformat() if outcome.embargoed_until else None
    return {"state": outcome.state, "published": outcome.published, "reason": outcome.reason, "embargoed_until": until}


@task(cache_policy=NO_CACHE, retries=2, retry_delay_seconds=10)
def schedule_release(document_id: str) -> str | None:
    """Make sure a publish-document run is scheduled at the release's next release time; its id."""
    return govpub().release_times.ensure_scheduled(system("flow"), document_id)


@flow(name="publish-document")
def publish_document(document_id: str) -> dict[str, object]:
    """Publish an approved document and whatever goes out with it, or schedule it for its release time."""
    result = publish_release(document_id)
    lead = _lead(result)
    if lead is not None and lead <= EARLY_START_SECONDS:
        threading.Event().wait(lead + 0.05)  # its release time is a moment away: publish at it, not a run later
        result = publish_release(document_id)
        lead = _lead(result)
    if lead is not None:
        result["scheduled_flow_run"] = schedule_release(document_id)
    get_run_logger().info("publication of %s: %s", document_id, result)
    return result


def _lead(result: dict[str, object]) -> float | None:
    """Seconds until the release time the result reports, if any."""
    until = result.get("embargoed_until")
    if not isinstance(until, str):
        return None
    return max(0.0, (datetime.fromisoformat(until) - datetime.now(UTC)).total_seconds())
