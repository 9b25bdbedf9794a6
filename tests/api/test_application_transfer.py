"""依申请公开转主动公开 (Art. 44) over HTTP: the disclosure office sends a document several applicants were
given into review as 主动公开; anyone else is refused (and audited); a bad reason is named by field."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from disclosure.attributes import DisclosureAttribute
from storage.models import AuditEvent
from tests.api.conftest import ApiWorld, multipart, sample_submission
from tests.helpers import review_through

ON_APPLICATION = {"attribute": "on_application", "ground": {"article": "art15"}, "reason": "涉及第三方，依申请提供"}


def application(number: int) -> dict[str, Any]:
    return {"applicant": {"type": "自然人", "name": f"申请人{number}", "id_proof": f"身份证 {number:018d}"},
            "description": "2021年政务公开工作要点", "channel": "online",
            "received": {"confirmed_on": "2026-11-16"}}  # fmt: skip


def test_the_office_transfers_a_document_several_applicants_were_given(api_world: ApiWorld) -> None:
    w = api_world
    payload, files = sample_submission(2, disclosure=ON_APPLICATION)
    with w.client("drafter") as drafter:
        submitted = drafter.post("/api/v1/documents", **multipart(payload, files))
        assert submitted.status_code == 201, submitted.text
        doc = submitted.json()["document_id"]
    review_through(w.govpub.reviews, doc, 1, attribute=DisclosureAttribute.ON_APPLICATION, ground="art15")
    with w.client("office") as office, w.client("reviewer1") as reviewer, w.client("admin") as admin:
        cases = []
        for number in (1, 2):
            case = office.post("/api/v1/applications", json=application(number)).json()["id"]
            assert office.post(f"/api/v1/applications/{case}/acceptance", json={"on": "2026-11-17"}).status_code == 200
            replied = office.post(f"/api/v1/applications/{case}/reply",
                                  json={"kind": "disclosed", "published_item": doc, "on": "2026-11-20"})  # fmt: skip
            assert replied.status_code == 200, replied.text
            cases.append(case)
        body = {"document_id": doc, "reason": "several_applicants", "applications": cases}
        url = "/api/v1/applications/transfer-proactive"
        assert reviewer.post(url, json=body).status_code == 403
        assert admin.post(url, json=body).status_code == 403
        bad = office.post(url, json={**body, "reason": "popular"})
        assert bad.status_code == 422
        assert [e["path"] for e in bad.json()["errors"]] == ["$.reason"]
        one = office.post(url, json={**body, "applications": cases[:1]})
        assert one.status_code == 409
        assert "several applicants" in one.json()["detail"]

        done = office.post(url, json={**body, "note": "两名申请人均获公开"})
        assert done.status_code == 201, done.text
        assert done.json() == {"document_id": doc, "version": 2, "state": "submitted", "attribute": "proactive",
                               "reason": "several_applicants", "applications": cases}  # fmt: skip
        seen = office.get(f"/api/v1/applications/{cases[0]}").json()
        assert seen["state"] == "replied"
        assert seen["events"][-1]["act"] == "transferred"
        again = office.post(url, json=body)
        assert again.status_code == 409
        assert "already 主动公开" in again.json()["detail"]
    assert ("govpub.document.submitted", doc, 2) in w.events.events
    with Session(w.govpub.app.engine) as session:
        audit = list(session.exec(select(AuditEvent)))
    refused = {(a.actor, a.after["act"]) for a in audit if a.action == "access.refused"}
    assert refused >= {("reviewer1", "handle_applications"), ("admin", "handle_applications"),
                       ("office", "application.transferred_to_proactive")}  # fmt: skip
    assert [a.actor for a in audit if a.action == "application.transferred_to_proactive"] == ["office"]


def test_the_office_submits_a_redacted_copy_over_http(api_world: ApiWorld) -> None:
    w = api_world
    payload, files = sample_submission(2, disclosure=ON_APPLICATION)
    with w.client("drafter") as drafter:
        doc = drafter.post("/api/v1/documents", **multipart(payload, files)).json()["document_id"]
    with w.client("office") as office, w.client("reviewer1") as reviewer:
        case = office.post("/api/v1/applications", json=application(7)).json()["id"]
        assert office.post(f"/api/v1/applications/{case}/acceptance", json={"on": "2026-11-17"}).status_code == 200
        url = f"/api/v1/applications/{case}/redacted-copy"
        body = {"source": doc, "body": "节选（第三方信息已删除）", "ground": "third_party"}
        assert reviewer.post(url, json=body).status_code == 403
        assert [e["path"] for e in office.post(url, json={**body, "ground": "x"}).json()["errors"]] == ["$.ground"]
        unreviewed = office.post(url, json=body)
        assert unreviewed.status_code == 409  # the source has not passed review yet
        review_through(w.govpub.reviews, doc, 1, attribute=DisclosureAttribute.ON_APPLICATION, ground="art15")
        made = office.post(url, json=body)
        assert made.status_code == 201, made.text
        assert (made.json()["source"], made.json()["version"]) == (doc, 1)
        copy = office.get(f"/api/v1/documents/{made.json()['document_id']}").json()
        assert copy["attribute"] == "on_application"
