"""Housekeeping: private objects no version refers to (left by an intake whose transaction failed).

Attachments (content-addressed) and a version's draft objects (under its document, number and
content hash) are written before the intake transaction, never inside it; when that transaction
fails, or the process dies before it commits, the rows are not there and the objects stay, private
and harmless. ``collect_orphans`` deletes such objects once they are older than a grace period (an
intake in flight is never that old).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine, or_
from sqlmodel import col, select

from services.intake import attachment_key
from storage.db import read_scope
from storage.models import Attachment, DocumentVersion, utcnow
from storage.objectstore import ObjectStore

PREFIX = "attachments/sha256/"
DRAFTS = "drafts/"


@dataclass
class GcReport:
    """What a collection found and removed."""

    kept: int = 0
    removed: list[str] = field(default_factory=list)  # attachment digests
    too_young: int = 0
    drafts_removed: list[str] = field(default_factory=list)  # draft object keys no version names


def collect_orphans(
    *, engine: Engine, store: ObjectStore, bucket: str, grace: timedelta, now: datetime | None = None
) -> GcReport:
    """Delete unreferenced attachment blobs and draft objects older than ``grace``."""
    cutoff = (now or utcnow()) - grace
    report = GcReport()
    for key, modified in store.list_modified(bucket, PREFIX):
        digest = key.removeprefix(PREFIX)
        with read_scope(engine) as session:  # per blob: an intake may reference it meanwhile
            referenced = session.exec(select(Attachment.id).where(col(Attachment.sha256) == digest)).first()
        if referenced is not None or key != attachment_key(digest):
            report.kept += 1
        elif modified > cutoff:
            report.too_young += 1
        else:
            store.delete(bucket, key)
            report.removed.append(digest)
    for key, modified in store.list_modified(bucket, DRAFTS):
        if modified > cutoff:
            continue
        with read_scope(engine) as session:
            named = select(DocumentVersion.id).where(
                or_(col(DocumentVersion.body_key) == key, col(DocumentVersion.submission_key) == key)
            )
            if session.exec(named).first() is not None:
                continue
        store.delete(bucket, key)
        report.drafts_removed.append(key)
    return report
