"""Archives (.zip, .tar, .tar.gz, .gz): every member extracted in turn, within the bounds.

Members are located as ``{"member": "path/inside"}`` (nested: ``a.zip/b.txt``); a member that
cannot be read is an unscreened finding of its own, the other members are still screened.
"""

from __future__ import annotations

import gzip
import io
import tarfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import PurePosixPath

from disclosure.screening import Detector, Finding, Segment
from services.extract.limits import Budget, OverLimit, Unreadable, open_zip, read_member

Inner = Callable[[str, bytes, int], Iterator[Segment | Finding]]
_CHUNK = 1 << 16


def zip_members(data: bytes, budget: Budget, depth: int) -> Iterator[tuple[str, bytes | Exception]]:
    """(path, content) of each file in a zip; content is the error when the member cannot be read."""
    _check_depth(budget, depth)
    archive = open_zip(data, budget, verify=False)
    for member in archive.infolist():
        if member.is_dir():
            continue
        try:
            yield member.filename, read_member(archive, member, budget, keep=True)
        except Unreadable as exc:
            yield member.filename, exc


def tar_members(data: bytes, budget: Budget, depth: int) -> Iterator[tuple[str, bytes | Exception]]:
    """(path, content) of each regular file in a tar (plain or compressed)."""
    _check_depth(budget, depth)
    try:
        archive = tarfile.open(fileobj=io.BytesIO(data), mode="r:*")  # noqa: SIM115 - closed below
    except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
        raise Unreadable(f"is not a readable tar archive ({exc})") from None
    with archive:
        try:
            for member in archive:
                budget.take_entries(1)
                if not member.isfile():
                    continue
                budget.take_bytes(member.size)
                handle = archive.extractfile(member)
                yield member.name, handle.read(member.size) if handle else b""
        except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
            raise Unreadable(f"is a damaged tar archive ({exc})") from None


def gunzip(data: bytes, budget: Budget, depth: int) -> bytes:
    """The content of a .gz file, inflated in chunks within the bounds."""
    _check_depth(budget, depth)
    parts = []
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as handle:
            while chunk := handle.read(_CHUNK):
                budget.take_bytes(len(chunk))
                parts.append(chunk)
    except (gzip.BadGzipFile, EOFError, OSError, zlib.error) as exc:
        raise Unreadable(f"is not a readable gzip file ({exc})") from None
    return b"".join(parts)


def members(
    name: str, found: Iterator[tuple[str, bytes | Exception]], depth: int, inner: Inner
) -> Iterator[Segment | Finding]:
    """Extract each member with ``inner``, relocating what it yields under the archive's name."""
    from disclosure.screening.findings import unscreened  # noqa: PLC0415

    for path, content in found:
        if isinstance(content, Exception):
            yield unscreened(name, str(content), {"member": path})
            continue
        for item in inner(path, content, depth + 1):
            where = {**item.location, "member": _join(path, item.location.get("member"))}
            if isinstance(item, Finding):
                yield unscreened(name, item.note, where) if item.detector is Detector.UNSCREENED else item
            else:
                yield Segment(name, item.text, where)


def _join(path: str, inner: object) -> str:
    return f"{path}/{inner}" if inner else path


def _check_depth(budget: Budget, depth: int) -> None:
    if depth >= budget.limits.max_depth:
        raise OverLimit(f"is nested more than {budget.limits.max_depth} archives deep")


def inner_name(name: str) -> str:
    """The name of a .gz file's content (``a.txt.gz`` → ``a.txt``)."""
    path = PurePosixPath(name)
    return path.stem if path.suffix.lower() in {".gz", ".gzip"} else f"{path.name}.out"
