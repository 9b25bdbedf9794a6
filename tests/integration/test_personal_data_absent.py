"""Applicants' personal data (names, ID numbers, phone numbers, addresses) registered through the
applications use cases appears in no object of the public bucket, no feed, no catalogue answer, no
log line and no rendering of the annual report — after a journey that publishes, answers and reports."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest
from minio import Minio

from disclosure.application_replies import Reply, ReplyKind
from disclosure.attributes import DisclosureAttribute
from disclosure.review import Decision
from services.annual_report import ReportFormat
from services.principal import operator
from storage.seaweed import SeaweedEndpoint
from tests.api.conftest import REVIEWERS, ApiWorld, run_world, sample_submission, settings_for

APPLICANTS = [
    {"type": "自然人", "name": "欧阳秘密", "id_proof": "身份证 330102199001011234", "phone": "13912345678",
     "address": "杭州市西湖区文三路九十九号"},
    {"type": "自然人", "name": "司马隐私", "id_proof": "身份证 11010519491231002X", "phone": "057187654321",
     "address": "北京市朝阳区某某街道二十二号"},
]  # fmt: skip
PERSONAL = [v for a in APPLICANTS for k, v in a.items() if k != "type"] + ["330102199001011234", "11010519491231002X"]


@pytest.fixture
def world(database_url: str, seaweed: SeaweedEndpoint, tmp_path: Path) -> Iterator[ApiWorld]:
    """A running API (SQLite and PostgreSQL) on the session's SeaweedFS."""
    yield from run_world(settings_for(database_url, seaweed, tmp_path / "data"), tmp_path)


def test_no_public_object_feed_log_line_or_report_carries_personal_data(
    world: ApiWorld, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    w = world
    g = w.govpub
    office = g.identities.impersonate("office", via="api")
    cases = []
    for applicant in APPLICANTS:
        body = {"applicant": applicant, "description": "申请公开2025年道路养护合同", "channel": "online",
                "received": {"confirmed_on": "2026-03-02"}}  # fmt: skip
        cases.append(g.applications.register(office, json.dumps(body, ensure_ascii=False).encode()).id)
    for case in cases:
        g.applications.accept(office, case, on=date(2026, 3, 3))
        g.applications.reply(office, case, Reply(ReplyKind.DISCLOSED), replied_on=date(2026, 3, 10))
    g.applications.list_masked(g.identities.impersonate("admin", via="api"))
    # a document published meanwhile: its copies, the feeds and the catalogue are rewritten
    payload, _ = sample_submission(2, attachments=[])
    doc = g.submit(g.identities.impersonate("drafter", via="api"), json.dumps(payload, ensure_ascii=False).encode())
    view = w.begin_review(doc.document_id, 1)
    for position, level in enumerate(view.levels):
        last = position == len(view.levels) - 1
        g.decide(g.identities.impersonate(REVIEWERS[level.name], via="api"), doc.document_id, Decision.APPROVE,
                 comment="同意", attribute=DisclosureAttribute.PROACTIVE if last else None)  # fmt: skip
    assert g.publish(office, doc.document_id).state == "published"
    g.rebuild_feeds(operator())

    seen: dict[str, str] = {}
    store = g.app.settings.store
    assert store.endpoint
    assert store.access_key
    assert store.secret_key
    client = Minio(store.endpoint, access_key=store.access_key, secret_key=store.secret_key.get_secret_value(),
                   secure=False)  # fmt: skip
    names = [o.object_name for o in client.list_objects(store.public_bucket, recursive=True)]
    assert any(n.startswith("feeds/") for n in names), names
    assert any(n.startswith("documents/") for n in names), names
    for name in names:
        seen[f"s3:{name}"] = client.get_object(store.public_bucket, name).read().decode("utf-8", "replace")
    with httpx.Client(base_url=w.url, timeout=60) as public:
        for path in ("/feeds/all/atom.xml", "/feeds/all/rss.xml", "/feeds/all/feed.json", "/api/v1/catalogue",
                     "/catalogue", "/api/v1/catalogue?q=道路养护"):  # fmt: skip
            answer = public.get(path)
            assert answer.status_code == 200, path
            seen[path] = answer.text
    for fmt in ReportFormat:
        seen[f"report:{fmt.value}"] = g.reports.render(office, year=2026, agency=None, fmt=fmt, draft=True)
    assert "2" in seen["report:json"]  # the two applications are counted, not named
    seen["logs"] = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert caplog.records  # the journey logged something: the check below looked at real lines
    leaks = [(where, secret) for where, text in seen.items() for secret in PERSONAL if secret in text]
    assert leaks == []
    # the office itself still sees the applicant in full: the data was really there to leak
    assert APPLICANTS[0]["name"] in json.dumps(g.applications.show(office, cases[0]).model_dump(mode="json"),
                                               ensure_ascii=False)  # fmt: skip
