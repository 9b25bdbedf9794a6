"""JSON Schema (draft 2020-12) contracts and the one validator that reports every violation."""

from schemas.validation import (
    AGENCY_CONFIG,
    APPLICATION,
    CALENDAR_OVERRIDE,
    DOCUMENT_SUBMISSION,
    INTERPRETATION,
    load_json,
    schema,
    validate,
)

__all__ = [
    "AGENCY_CONFIG",
    "APPLICATION",
    "CALENDAR_OVERRIDE",
    "DOCUMENT_SUBMISSION",
    "INTERPRETATION",
    "load_json",
    "schema",
    "validate",
]
