"""What the stateful machine checks after each step (tests/api/test_invariants.py): the rows a refused
act must leave alone, and the public side — nothing of a version not fully reviewed 主动公开 and past
its release time, nothing published twice."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from sqlmodel import Session, select

from storage.models import Document, DocumentVersion, Publication, ReviewDecision, ReviewRun, aware, utcnow
from tests.api.conftest import ApiWorld


def snapshot(w: ApiWorld) -> dict[str, Any]:
    """Every row a refused act must leave alone (the audit log excepted)."""
    with Session(w.govpub.app.engine) as session:
        return {
            "documents": sorted(
                (d.id, d.state, d.current_version, d.attribute, d.validity, d.index_number or "")
                for d in session.exec(select(Document))
            ),
            "runs": sorted(
                (r.document_id, r.version, r.state, r.position, r.attempt) for r in session.exec(select(ReviewRun))
            ),
            "decisions": len(session.exec(select(ReviewDecision.id)).all()),
            "publications": sorted((p.document_id, p.version) for p in session.exec(select(Publication))),
        }


def check_public_side(w: ApiWorld) -> None:
    """Nothing public belongs to a version that is not fully reviewed, 主动公开, past its release time;
    each version published once."""
    store, bucket = w.govpub.app.store, w.govpub.app.settings.store.public_bucket
    with Session(w.govpub.app.engine) as session:
        publications = list(session.exec(select(Publication)))
        documents = {d.id: d for d in session.exec(select(Document))}
        release = {(v.document_id, v.number): aware(v.release_at) for v in session.exec(select(DocumentVersion))
                   if v.release_at is not None}  # fmt: skip
    now = utcnow()
    early = [(p.document_id, p.version) for p in publications
             if (at := release.get((p.document_id, p.version))) is not None and aware(p.published_at) < at]  # fmt: skip
    assert early == [], f"published before the release time: {early}"
    twice = [key for key, n in Counter((p.document_id, p.version) for p in publications).items() if n > 1]
    assert twice == [], f"published more than once: {twice}"
    by_number = {d.index_number: d for d in documents.values() if d.index_number}
    published_numbers = {p.index_number for p in publications}
    published = {(p.document_id, p.version) for p in publications}
    for p in publications:  # a version published while it was current was confirmed 主动公开
        doc = documents[p.document_id]
        if doc.current_version == p.version:
            assert doc.attribute == "proactive", (p.document_id, doc.attribute)
    for key in store.list_keys(bucket, "documents/"):
        parts = key.split("/")  # documents/<agency>/<year-seq>/<version>/… or …/status.json, withdrawn.json
        doc = by_number.get("/".join(parts[1:3]))
        assert doc is not None, f"a public object of no document: {key}"
        if parts[3].isdigit():  # a version's copy: only of a published version, past its release time
            version = int(parts[3])
            assert (doc.id, version) in published, f"public copy of an unpublished version ({doc.state}): {key}"
            if (at := release.get((doc.id, version))) is not None:
                assert at <= now, f"public before its release time {at.isoformat()}: {key}"
        else:
            assert parts[3] in {"status.json", "withdrawn.json"}, key
            assert any(d == doc.id for d, _ in published), f"a record of an unpublished document: {key}"
        if doc.state == "withdrawn":
            assert key.endswith("/withdrawn.json"), f"left public after the withdrawal: {key}"
    for key in store.list_keys(bucket, "feeds/"):
        if key.endswith(".json"):
            for item in json.loads(store.get(bucket, key))["items"]:
                assert item["_govpub"]["index_number"] in published_numbers, key
