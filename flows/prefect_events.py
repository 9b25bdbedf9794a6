"""Transition events as Prefect events, with the document (or the application) as the resource."""

from __future__ import annotations

from typing import Any

from prefect.events import emit_event

APPLICATION = "application:"  # services.application_checks.subject: the id an application's events carry


def _resource(subject: str, version: int) -> dict[str, str]:
    """The event's resource: ``govpub.document.<id>``, or ``govpub.application.<n>`` for an application."""
    if subject.startswith(APPLICATION):
        number = subject.removeprefix(APPLICATION)
        return {"prefect.resource.id": f"govpub.application.{number}", "prefect.resource.name": subject,
                "govpub.application-id": number}  # fmt: skip
    return {"prefect.resource.id": f"govpub.document.{subject}", "prefect.resource.name": subject,
            "govpub.document-id": subject, "govpub.version": str(version)}  # fmt: skip


class PrefectEvents:
    """An EventSink that emits Prefect events (consumed by deployment triggers and automations)."""

    def emit(self, event: str, *, document_id: str, version: int, payload: dict[str, Any]) -> None:
        """Emit one event about a document version (or an application: ``document_id`` ``application:<n>``)."""
        emit_event(event=event, resource=_resource(document_id, version), payload={**payload, "version": version})
