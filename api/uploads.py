"""Reading a submission off the wire: JSON, or multipart with attachments streamed to temporary files.

Each attachment is written to a private temporary directory under its own name as it arrives,
its sha256 computed on the way; the body is cut off (413) once it exceeds the configured size,
before anything reaches storage. What the client declared (names, sizes, hashes in
``$.attachments``) is compared with what it sent before the application layer, which checks it
all again, is called.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from fastapi import Request
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

from api.problems import UnsupportedMediaType, UploadTooLarge
from disclosure.errors import InvalidInput, Violation

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks

SUBMISSION_PART = "submission"
FILES_PART = "files"
MAX_PARTS = 201  # the schema allows 200 attachments, plus the submission itself
MAX_NAME_BYTES = 255

REQUEST_BODY: dict[str, Any] = {
    "required": True,
    "content": {
        "application/json": {"schema": {
            "type": "object",
            "description": "a document submission (schemas/document-submission.schema.json) or an interpretation "
            "(schemas/interpretation.schema.json); attachments it declares must then be uploaded as multipart",
        }},
        "multipart/form-data": {"schema": {
            "type": "object",
            "required": [SUBMISSION_PART],
            "properties": {
                SUBMISSION_PART: {"type": "string", "description": "the submission's JSON"},
                FILES_PART: {"type": "array", "items": {"type": "string", "format": "binary"},
                             "description": "each attachment $.attachments declares, under its file_name"},
            },
        }},
    },
}  # fmt: skip


@dataclass
class Upload:
    """One uploaded file as it was written."""

    name: str
    path: Path
    size: int
    sha256: str


@dataclass
class ReadSubmission:
    """The submission's bytes and the files uploaded with it."""

    raw: bytes
    files: list[Upload] = field(default_factory=list)

    @property
    def paths(self) -> list[Path]:
        """The uploaded files' paths, for the application layer."""
        return [f.path for f in self.files]


async def read_submission(request: Request, directory: Path, *, limit: int) -> ReadSubmission:
    """The request's submission (JSON or multipart); InvalidInput, UploadTooLarge, UnsupportedMediaType."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise UploadTooLarge(f"the request body has {declared} bytes; at most {limit} are accepted")
    media, options = parse_options_header(request.headers.get("content-type", ""))
    if media == b"multipart/form-data" and options.get(b"boundary"):
        read = await _read_multipart(request, directory, options[b"boundary"], limit)
        check_declared(read)
        return read
    if media == b"application/json" or (media.startswith(b"application/") and media.endswith(b"+json")):
        return ReadSubmission(raw=await _read_body(request, limit))
    raise UnsupportedMediaType("send application/json, or multipart/form-data with a 'submission' part")


async def _read_body(request: Request, limit: int) -> bytes:
    chunks, total = [], 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > limit:
            raise UploadTooLarge(f"the request body exceeds {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


class _Parts:
    """python-multipart callbacks: each file part into its own file, hashed as it streams."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.submission: bytearray | None = None
        self.files: list[Upload] = []
        self.violations: list[Violation] = []
        self.count = 0
        self._header_field = bytearray()
        self._header_value = bytearray()
        self._headers: dict[bytes, bytes] = {}
        self._sink: BinaryIO | bytearray | None = None
        self._digest = hashlib.sha256()
        self._size = 0
        self._name = ""

    def callbacks(self) -> MultipartCallbacks:
        """The parser's callbacks, bound to this upload."""
        return {
            "on_part_begin": self._begin, "on_header_field": self._field, "on_header_value": self._value,
            "on_header_end": self._header_end, "on_headers_finished": self._headers_done,
            "on_part_data": self._data, "on_part_end": self._end,
        }  # fmt: skip

    def _begin(self) -> None:
        self.count += 1
        if self.count > MAX_PARTS:
            raise InvalidInput([Violation(FILES_PART, f"at most {MAX_PARTS - 1} attachments per submission")])
        self._headers, self._sink, self._digest, self._size = {}, None, hashlib.sha256(), 0

    def _field(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def _value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _header_end(self) -> None:
        self._headers[bytes(self._header_field).lower()] = bytes(self._header_value)
        self._header_field, self._header_value = bytearray(), bytearray()

    def _headers_done(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        name = options.get(b"name", b"").decode("utf-8", "replace")
        if name == SUBMISSION_PART and self.submission is None:
            self.submission = self._sink = bytearray()
        elif name == FILES_PART and b"filename" in options:
            where = f"{FILES_PART}[{len(self.files)}]"
            file_name = _file_name(options[b"filename"], where, self.violations)
            if file_name is not None and any(f.name.casefold() == file_name.casefold() for f in self.files):
                self.violations.append(Violation(where, f"another upload is named {file_name!r}"))
                file_name = None
            self._name = file_name or ""
            if file_name is not None:
                self._sink = (self.directory / file_name).open("xb")
        else:
            self.violations.append(Violation(name[:64] or "(part)", f"unexpected part: send {SUBMISSION_PART!r} "
                                             f"and files named {FILES_PART!r} with a filename"))  # fmt: skip

    def _data(self, data: bytes, start: int, end: int) -> None:
        if isinstance(self._sink, bytearray):
            self._sink += data[start:end]
        elif self._sink is not None:
            chunk = data[start:end]
            self._sink.write(chunk)
            self._digest.update(chunk)
            self._size += len(chunk)

    def _end(self) -> None:
        if self._sink is not None and not isinstance(self._sink, bytearray):
            self._sink.close()
            path = self.directory / self._name
            self.files.append(Upload(self._name, path, self._size, self._digest.hexdigest()))
        self._sink = None

    def close(self) -> None:
        """Close a file left open by a body that ended early."""
        if self._sink is not None and not isinstance(self._sink, bytearray):
            self._sink.close()


def _file_name(raw: bytes, where: str, violations: list[Violation]) -> str | None:
    """A plain file name, or None (with the violation noted): no directories, no control characters."""
    try:
        name = raw.decode("utf-8")
    except UnicodeDecodeError:
        violations.append(Violation(where, "the filename is not UTF-8"))
        return None
    bad = (
        not name or name in {".", ".."} or len(raw) > MAX_NAME_BYTES
        or any(c in name for c in "/\\") or any(ord(c) < 0x20 or ord(c) == 0x7F for c in name)  # noqa: PLR2004
    )  # fmt: skip
    if bad:
        violations.append(Violation(where, "the filename must be a plain file name (no directories, no control "
                                    "characters, at most 255 bytes)"))  # fmt: skip
        return None
    return name


async def _read_multipart(request: Request, directory: Path, boundary: bytes, limit: int) -> ReadSubmission:
    parts = _Parts(directory)
    parser = MultipartParser(boundary, parts.callbacks())
    total = 0
    try:
        async for chunk in request.stream():
            total += len(chunk)
            if total > limit:
                raise UploadTooLarge(f"the request body exceeds {limit} bytes")
            parser.write(chunk)
        parser.finalize()
    except FormParserError as exc:  # python-multipart's parse errors: the body is not multipart
        raise InvalidInput([Violation("(body)", f"not a well-formed multipart/form-data body: {exc}"[:300])]) from None
    finally:
        parts.close()
    if parts.submission is None:
        parts.violations.append(Violation(SUBMISSION_PART, "is required: the submission's JSON"))
    if parts.violations:
        raise InvalidInput(parts.violations)
    return ReadSubmission(raw=bytes(parts.submission or b""), files=parts.files)


def check_declared(read: ReadSubmission) -> None:
    """Each upload is declared in $.attachments with its size and sha256 (intake checks it all again)."""
    try:
        data = json.loads(read.raw)
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: nested deeper than json can
        return  # intake reports the JSON error itself, in its own words
    declared = data.get("attachments") if isinstance(data, dict) else None
    specs = {a.get("file_name"): (i, a) for i, a in enumerate(declared or []) if isinstance(a, dict)}
    violations = []
    for n, upload in enumerate(read.files):
        found = specs.get(upload.name)
        if found is None:
            violations.append(Violation(f"{FILES_PART}[{n}]", f"{upload.name!r} is not declared in $.attachments"))
            continue
        index, spec = found
        if spec.get("size") != upload.size:
            violations.append(Violation(f"$.attachments[{index}].size",
                                        f"is {spec.get('size')} but the file has {upload.size} bytes"))  # fmt: skip
        if spec.get("sha256") != upload.sha256:
            problem = f"does not match the file's content (its sha256 is {upload.sha256})"
            violations.append(Violation(f"$.attachments[{index}].sha256", problem))
    if violations:
        raise InvalidInput(violations)
