"""What screening looks at (segments of text) and what it reports (findings, never raw values)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Detector(StrEnum):
    """The detectors screening runs."""

    RESIDENT_ID = "resident_id"
    RESIDENT_ID_15 = "resident_id_15"
    MOBILE = "mobile"
    BANK_CARD = "bank_card"
    SECRECY_MARKING = "secrecy_marking"
    NEGATIVE_TERM = "negative_term"
    UNSCREENED = "unscreened"  # a file, or part of one, screening could not read; note says why


@dataclass(frozen=True, slots=True)
class Segment:
    """A piece of text from a body or attachment, with where it came from.

    ``location`` names the part inside the source (page, sheet and cell, paragraph, table).
    """

    source: str
    text: str
    location: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Finding:
    """One hit. ``masked`` is safe to show and store; the raw value is never kept."""

    detector: Detector
    source: str
    location: dict[str, Any]
    masked: str
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "file": self.source,
            "detector": self.detector.value,
            "location": self.location,
            "masked": self.masked,
            "note": self.note,
        }


def unscreened(source: str, reason: str, location: dict[str, Any] | None = None) -> Finding:
    """A file (or an archive member, a page) that screening could not read: a finding in itself,
    so the document goes to the sensitive chain and a reviewer must acknowledge it."""
    where = dict(location or {})
    return Finding(Detector.UNSCREENED, source, where, str(where.get("member", source)), reason)
