"""Disclosure on application over HTTP: a case walked by the disclosure office, read masked by an admin,
refused (and audited) for everyone else; bad input named by field."""

from __future__ import annotations

import json

import httpx
from sqlmodel import Session, select

from disclosure.attributes import Role
from services.principal import operator
from storage.models import AuditEvent
from tests.api.conftest import ApiWorld

APPLICATION = {
    "applicant": {"type": "自然人", "name": "王五", "id_proof": "身份证 110101199001011234", "phone": "13700001111",
                  "address": "北京市东城区东华门街道1号"},
    "description": "2026年国庆假期景区客流统计", "channel": "online", "received": {"confirmed_on": "2026-09-14"},
}  # fmt: skip


def test_an_extended_application_walks_over_http(api_world: ApiWorld) -> None:
    w = api_world
    w.govpub.identities.add_user(operator(), username="head", name="负责人", roles=[Role.DISCLOSURE_OFFICE], levels=[])
    head_token = w.govpub.identities.create_token(operator(), "head", expires_days=1).secret
    with (w.client("office") as office, w.client("admin") as admin, w.client("drafter") as drafter,
          w.client(token=head_token) as head):  # fmt: skip
        created = office.post("/api/v1/applications", json=APPLICATION)
        assert created.status_code == 201, created.text
        case = created.json()
        path = f"/api/v1/applications/{case['id']}"
        assert case["due"] == "2026-10-16"  # across Mid-autumn and National Day, make-up Sep 20 and Oct 10 counted
        assert case["applicant"]["name"] == "王五"
        assert not case["applicant"]["masked"]
        assert office.post(f"{path}/acceptance", json={"on": "2026-09-15"}).status_code == 200
        extend_with_the_heads_approval(office, head, path)
        seen = admin.get(path).json()
        assert seen["applicant"]["name"] == "王*"
        assert seen["applicant"]["phone"] == "137****1111"
        assert "王五" not in admin.get("/api/v1/applications").text
        assert drafter.get(path).status_code == 403
        assert admin.post(f"{path}/reply", json={"kind": "disclosed"}).status_code == 403
        unclear = office.post(f"{path}/reply", json={"kind": "not_this_agency", "agency": "市统计局",
                                                     "ground": "state_secret"})  # fmt: skip
        assert unclear.status_code == 422
        assert [e["path"] for e in unclear.json()["errors"]] == ["$.ground"]
        replied = office.post(f"{path}/reply", json={"kind": "not_this_agency", "agency": "市统计局",
                                                     "on": "2026-10-28"})  # fmt: skip
        assert replied.status_code == 200, replied.text
        assert replied.json()["outcome_label"] == "1.本机关不掌握相关政府信息"
        assert office.post(f"{path}/archive", json={}).status_code == 409  # delivered first
        assert office.post(f"{path}/delivery", json={"on": "2026-10-29"}).status_code == 200
        assert office.post(f"{path}/archive", json={"on": "2026-10-30"}).json()["state"] == "archived"
        bad = office.post("/api/v1/applications", json={**APPLICATION, "channel": "in_person"})
        assert bad.status_code == 422
        assert bad.json()["errors"][0]["path"] == "$.received.handed_in_on"
    with Session(w.govpub.app.engine) as session:
        audit = list(session.exec(select(AuditEvent)))
    assert {(a.actor, a.action) for a in audit} >= {("admin", "access.refused"), ("drafter", "access.refused"),
                                                    ("office", "application.registered")}  # fmt: skip
    trail = json.dumps([[a.after, a.before, a.reason, a.entity_id] for a in audit], ensure_ascii=False)
    assert "王五" not in trail
    assert "13700001111" not in trail
    assert "110101199001011234" not in trail
    assert ("govpub.application.replied", f"application:{case['id']}", 0) in w.events.events


def extend_with_the_heads_approval(office: httpx.Client, head: httpx.Client, path: str) -> None:
    """The officer asks, the head of the office approves with their own token (Art. 33)."""
    approval = {"on": "2026-10-12", "notice_sent_on": "2026-10-12"}
    assert head.post(f"{path}/extension-approval", json=approval).status_code == 409  # nothing asked for yet
    asked = office.post(f"{path}/extension", json={"days": 10, "note": "需调取历史档案", "on": "2026-10-12"})
    assert asked.status_code == 200, asked.text
    assert asked.json()["due"] == "2026-10-16"  # asked for, not yet approved
    mine = office.post(f"{path}/extension-approval", json=approval)
    assert mine.status_code == 409
    assert "not the officer who asked" in mine.json()["detail"]
    extended = head.post(f"{path}/extension-approval", json=approval)
    assert extended.status_code == 200, extended.text
    assert extended.json()["due"] == "2026-10-30"
    assert extended.json()["events"][-1]["actor"] == "head"
    too_many = office.post(f"{path}/extension", json={"days": 11, "note": "再延", "on": "2026-10-13"})
    assert too_many.status_code == 422
    assert too_many.json()["errors"][0]["message"].startswith("extensions would total 21 working days")


def test_an_unknown_query_parameter_is_refused_by_name_and_feeds_stay_lenient(api_world: ApiWorld) -> None:
    with api_world.client("office") as office:
        misspelt = office.get("/api/v1/applications", params={"stat": "registered"})
        assert misspelt.status_code == 422
        assert [e["path"] for e in misspelt.json()["errors"]] == ["query.stat"]
        assert office.get("/api/v1/applications", params={"state": "registered"}).status_code == 200
        # a parameter model's fields are declared parameters (the catalogue's CatalogueQuery)
        assert office.get("/api/v1/catalogue", params={"q": "政务", "limit": 5}).status_code == 200
        misspelt_search = office.get("/api/v1/catalogue", params={"query": "政务"})
        assert misspelt_search.status_code == 422
        assert [e["path"] for e in misspelt_search.json()["errors"]] == ["query.query"]
        assert office.get("/healthz", params={"utm_source": "wechat"}).status_code == 200  # public: lenient
