"""Bounds on what extracting text from one attachment may cost: inflated bytes, entries, nesting,
memory and time. Exceeding one makes the file *unscreened* (or refused at intake), never a
worker that runs out of memory.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

_CHUNK = 1 << 16


@dataclass(frozen=True, slots=True)
class ExtractionLimits:
    """The bounds of one attachment's extraction (see ScreeningSettings for each field's meaning)."""

    max_uncompressed_bytes: int = 100_000_000
    max_ratio: int = 100
    max_entries: int = 10_000
    max_depth: int = 3
    timeout_seconds: float = 120.0
    memory_bytes: int = 1 << 30


DEFAULT_LIMITS = ExtractionLimits()


class OverLimit(ValueError):
    """Extraction would exceed a bound; the message says which, in a reviewer's words."""


class Unreadable(ValueError):
    """A file's content cannot be read as the format it claims; the message says why."""


@dataclass(slots=True)
class Budget:
    """What one attachment's extraction has used so far, shared by every nested archive member."""

    limits: ExtractionLimits
    inflated: int = 0
    entries: int = 0
    text: int = 0

    def take_entries(self, count: int) -> None:
        """Count archive entries; OverLimit beyond max_entries."""
        self.entries += count
        if self.entries > self.limits.max_entries:
            raise OverLimit(f"holds more than {self.limits.max_entries} archive entries")

    def take_bytes(self, count: int) -> None:
        """Count inflated bytes; OverLimit beyond max_uncompressed_bytes."""
        self.inflated += count
        if self.inflated > self.limits.max_uncompressed_bytes:
            raise OverLimit(f"inflates to more than {_mb(self.limits.max_uncompressed_bytes)}")


def _mb(count: int) -> str:
    return f"{count / 1_000_000:.4g} MB"


def open_zip(data: bytes | Path, budget: Budget, *, verify: bool = True) -> zipfile.ZipFile:
    """A zip checked against the bounds before anything is parsed.

    Declared sizes are checked first (entry count, total size, ratio); with ``verify`` every member
    is then inflated once in chunks, counting the bytes actually produced, so a member that lies
    about its size is caught without ever holding more than a chunk of it.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data) if isinstance(data, bytes) else data)
    except zipfile.BadZipFile as exc:
        raise Unreadable(f"is not a readable zip archive ({exc})") from None
    members = archive.infolist()
    limits = budget.limits
    budget.take_entries(len(members))
    declared = sum(m.file_size for m in members)
    if budget.inflated + declared > limits.max_uncompressed_bytes:
        raise OverLimit(
            f"declares {_mb(declared)} uncompressed, more than the {_mb(limits.max_uncompressed_bytes)} "
            "screening inflates"
        )
    compressed = sum(m.compress_size for m in members)
    if declared > limits.max_ratio * max(compressed, 1) and declared > _CHUNK * 16:
        raise OverLimit(f"expands {declared // max(compressed, 1)} times, more than the {limits.max_ratio}:1 allowed")
    if verify:
        for member in members:
            read_member(archive, member, budget)
    return archive


def read_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo, budget: Budget, *, keep: bool = False) -> bytes:
    """Inflate one member in chunks, counting actual bytes; the bytes if ``keep``."""
    parts: list[bytes] = []
    produced = 0
    try:
        with archive.open(member) as handle:
            while chunk := handle.read(_CHUNK):
                produced += len(chunk)
                budget.take_bytes(len(chunk))
                if produced > member.file_size:
                    raise OverLimit(f"{member.filename} inflates to more than its declared size")
                if keep:
                    parts.append(chunk)
    except (zipfile.BadZipFile, EOFError, OSError, NotImplementedError, RuntimeError) as exc:
        # BadZipFile also reports a CRC mismatch: a member whose declared size or content lies.
        raise Unreadable(f"{member.filename} cannot be inflated ({exc})") from None
    return b"".join(parts)
