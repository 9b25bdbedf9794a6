"""Scheduled publishing (定时发布): a version's release time, and the embargo it sets.

An approved version with a release time ahead of now is embargoed: nothing of it is public before
that moment. From that second on it is an ordinary approved version. A release time is a moment
(ISO 8601 with an offset: a bare local time is ambiguous), stored in UTC, shown in Asia/Shanghai.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
MAX_LENGTH = 64  # longer than any ISO 8601 date and time with an offset
EXAMPLE = "2026-12-01T09:00:00+08:00"


class ReleaseTimeError(ValueError):
    """The text is not a release time that can still be set (the message says why)."""


def parse_release_at(value: object, *, now: datetime) -> datetime:
    """A release time from its ISO 8601 text, in UTC; ReleaseTimeError unless it is a
    timezone-aware date and time after ``now``."""
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_LENGTH:
        raise ReleaseTimeError(f"is not an ISO 8601 date and time (e.g. {EXAMPLE})")
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ReleaseTimeError(f"is not an ISO 8601 date and time (e.g. {EXAMPLE})") from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ReleaseTimeError(f"has no time zone: give its offset, e.g. {EXAMPLE}")
    try:
        moment = moment.astimezone(UTC)
    except OverflowError:
        raise ReleaseTimeError("is out of range") from None
    if moment <= now:
        raise ReleaseTimeError(f"is not in the future (it is now {shown(now)})")
    return moment


def embargoed_until(release_at: datetime | None, now: datetime) -> datetime | None:
    """The release time while it is still ahead of ``now``; None from that second on (or without one)."""
    if release_at is None or now >= release_at:
        return None
    return release_at


def shown(moment: datetime) -> str:
    """A moment as people here read it: ISO 8601 in Asia/Shanghai."""
    return moment.astimezone(SHANGHAI).isoformat()
