"""Writing a release's public copies through the gate (step 2 of a publication), no transaction open.

Each member's copy (body, attachments, metadata record) is cleared by ``clear_for_public`` in a
read transaction, then written; a copy already stored with the same content is left as it is (an
earlier attempt's), one with other content is refused (public copies are never overwritten).
The status records are written after every copy of the release, each naming its copy.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from feeds.channels import map_urls, relative_to
from feeds.sanitize import public_html
from services.extract.text import served_media_type
from services.feed_log import FeedLog
from services.public_records import Member, PublicRecords, version_row
from storage.db import read_scope
from storage.objectstore import ObjectStore
from storage.public import ClearedObject, PublicWriter, clear_for_public
from storage.repository.documents import get_document, list_attachments


@dataclass(frozen=True, slots=True)
class Copy:
    """What a member's public copy holds: its metadata record, its sanitised body, its status record."""

    record: dict[str, Any]
    body_html: str
    status: ClearedObject


class CopyWriter:
    """Writes public copies and status records through the PublicWriter."""

    def __init__(
        self, *, engine: Engine, store: ObjectStore, private_bucket: str, writer: PublicWriter,
        records: PublicRecords, log: FeedLog, clock: Callable[[], datetime],
    ) -> None:  # fmt: skip
        self._engine = engine
        self._store = store
        self._private = private_bucket
        self._writer = writer
        self._records = records
        self._log = log
        self._clock = clock

    def write_release(self, members: list[Member], written: list[str]) -> dict[str, Copy]:
        """Every member's copy, then every member's status record; keys written go to ``written``."""
        copies = {member.document_id: self.write_copy(member, members, written) for member in members}
        for copy in copies.values():  # each status record names its copy, written just before
            self._writer.write_cleared(copy.status)
        return copies

    def write_copy(self, member: Member, members: list[Member], written: list[str]) -> Copy:
        """Write one member's public copy (body, attachments, metadata) through the gate.

        Keys written are appended to ``written`` as they go (a failure half way is recorded with them).
        """
        with read_scope(self._engine) as session:
            clearance = clear_for_public(session=session, document_id=member.document_id, version=member.version,
                                         now=self._clock())  # fmt: skip
            record = self._records.record_for(session, member, members)
            version = version_row(session, member.document_id, member.version)
            attachments = list_attachments(session=session, version_id=version.id or 0)
            status = self._writer.status_for(clearance, self._log.status_json(
                get_document(session=session, document_id=member.document_id), member.version))  # fmt: skip
        submission = version.submission
        body_html = public_html(submission["body"], submission.get("body_format", "text"))
        written.append(
            self._writer.put_document_object(
                clearance, "body.html", body_html.encode("utf-8"), content_type="text/html; charset=utf-8"
            )
        )
        for attachment in attachments:
            data = self._store.get(self._private, attachment.object_key)
            written.append(
                self._writer.put_document_object(
                    clearance,
                    f"attachments/{attachment.file_name}",
                    data,
                    content_type=served_media_type(attachment.media_type, data),  # text with its charset
                    sha256=attachment.sha256,
                )
            )
        metadata_key = clearance.prefix() + "metadata.json"
        if self._store.stat(self._writer.bucket, metadata_key) is not None:
            # an earlier attempt's record stands: public copies are never overwritten
            return Copy(json.loads(self._store.get(self._writer.bucket, metadata_key)), body_html, status)
        local = map_urls(record, lambda ref: relative_to(ref, metadata_key))  # stays true wherever it is served
        encoded = json.dumps(local, ensure_ascii=False, indent=2).encode("utf-8")
        written.append(
            self._writer.put_document_object(
                clearance, "metadata.json", encoded, content_type="application/json; charset=utf-8"
            )
        )
        return Copy(record, body_html, status)
