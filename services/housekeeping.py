"""Housekeeping: attachment blobs no version refers to (left by an intake whose transaction failed).

Attachments are uploaded, content-addressed, before the intake transaction; when that transaction
fails the rows roll back and the blob stays, private and harmless. ``collect_orphans`` deletes such
blobs once they are older than a grace period (an intake in flight is never that old).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from services.intake import attachment_key
from storage.models import Attachment, utcnow
from storage.objectstore import ObjectStore

PREFIX = "attachments/sha256/"


@dataclass
class GcReport:
    """What a collection found and removed."""

    kept: int = 0
    removed: list[str] = field(default_factory=list)
    too_young: int = 0


def collect_orphans(
    *, engine: Engine, store: ObjectStore, bucket: str, grace: timedelta, now: datetime | None = None
) -> GcReport:
    """Delete unreferenced attachment blobs older than ``grace``."""
    cutoff = (now or utcnow()) - grace
    report = GcReport()
    for key, modified in store.list_modified(bucket, PREFIX):
        digest = key.removeprefix(PREFIX)
        with Session(engine) as session:  # per blob: an intake may reference it meanwhile
            referenced = session.exec(select(Attachment.id).where(col(Attachment.sha256) == digest)).first()
        if referenced is not None or key != attachment_key(digest):
            report.kept += 1
        elif modified > cutoff:
            report.too_young += 1
        else:
            store.delete(bucket, key)
            report.removed.append(digest)
    return report
