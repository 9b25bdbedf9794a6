"""Transition events as Prefect events, with the document as the resource."""

from __future__ import annotations

from typing import Any

from prefect.events import emit_event


class PrefectEvents:
    """An EventSink that emits Prefect events (consumed by deployment triggers and automations)."""

    def emit(self, event: str, *, document_id: str, version: int, payload: dict[str, Any]) -> None:
        """Emit one event about a document version."""
        emit_event(
            event=event,
            resource={
                "prefect.resource.id": f"govpub.document.{document_id}",
                "prefect.resource.name": document_id,
                "govpub.document-id": document_id,
                "govpub.version": str(version),
            },
            payload={**payload, "version": version},
        )
