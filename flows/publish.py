"""The publication flow (deployment ``publish-document``, triggered by ``govpub.document.approved``).

It runs PublicationService.publish: numbers, public copies through the gate, the record, feed
pages, pushes. Held policies (waiting for their interpretation) end quietly; the interpretation's
approval triggers the release. The reconciler re-drives anything that failed.
"""

from __future__ import annotations

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from flows.runtime import publication_service


@task(cache_policy=NO_CACHE, retries=2, retry_delay_seconds=10)
def publish_release(document_id: str) -> dict[str, object]:
    """Publish what the document's release allows now (idempotent)."""
    outcome = publication_service().publish(document_id)
    return {"state": outcome.state, "published": outcome.published, "reason": outcome.reason}


@flow(name="publish-document")
def publish_document(document_id: str) -> dict[str, object]:
    """Publish an approved document and whatever goes out with it."""
    result = publish_release(document_id)
    get_run_logger().info("publication of %s: %s", document_id, result)
    return result
