"""The authorisation matrix over HTTP: every endpoint × drafter / reviewer / office / admin / channel ×
no token × revoked × expired × deactivated user; and what the public can never see."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest

from disclosure.attributes import Role
from services.identities import Identities
from services.principal import operator
from storage.models import utcnow
from tests.api.conftest import ApiWorld, multipart, sample_submission

ROLES = {"drafter": "drafter", "reviewer": "reviewer2", "office": "office", "admin": "admin", "channel": "wechat"}
STAFF = {"drafter", "reviewer", "office", "admin"}
QUEUE = {"reviewer", "office", "admin"}


def endpoints(doc: str, file_name: str, token_id: int) -> list[tuple[str, str, dict[str, Any] | None, set[str]]]:
    """(method, path, JSON body, roles allowed past authorisation) for every non-public endpoint."""
    payload, _ = sample_submission(2)
    return [
        ("GET", "/api/v1/me", None, set(ROLES)),
        ("GET", "/api/v1/documents", None, {"drafter"}),
        ("POST", "/api/v1/documents", payload, {"drafter"}),
        ("POST", f"/api/v1/documents/{doc}/versions", payload, {"drafter"}),
        ("GET", f"/api/v1/documents/{doc}", None, STAFF),
        ("GET", f"/api/v1/documents/{doc}/findings", None, QUEUE),
        ("GET", f"/api/v1/documents/{doc}/versions/1/attachments/{file_name}", None, STAFF),
        ("GET", "/api/v1/reviews", None, QUEUE),
        ("POST", f"/api/v1/reviews/{doc}/decisions", {"decision": "approve", "comment": "同意"}, {"reviewer"}),
        ("GET", "/api/v1/referrals", None, QUEUE),
        ("POST", f"/api/v1/referrals/{doc}/resolution", {"cleared": True, "comment": "无密"}, {"office"}),
        ("POST", f"/api/v1/documents/{doc}/publication", None, {"office", "admin"}),
        ("POST", f"/api/v1/documents/{doc}/withdrawal", {"reason": "错误"}, {"office"}),
        ("POST", f"/api/v1/documents/{doc}/release-time", {"release_at": "2099-01-01T09:00:00+08:00"}, {"office"}),
        ("PUT", f"/api/v1/documents/{doc}/validity", {"validity": "expired", "note": "到期"}, {"office"}),
        ("GET", "/api/v1/deadlines", None, {"office", "admin"}),
        ("GET", "/api/v1/users", None, {"admin"}),
        ("POST", "/api/v1/users", {"username": "matrix-user", "name": "矩阵", "roles": ["drafter"]}, {"admin"}),
        ("POST", "/api/v1/users/temp-user/deactivation", None, {"admin"}),
        ("GET", "/api/v1/users/drafter/tokens", None, {"drafter", "admin"}),
        ("POST", "/api/v1/users/drafter/tokens", {"expires_days": 1}, {"drafter", "admin"}),
        ("DELETE", f"/api/v1/tokens/{token_id}", None, {"drafter", "admin"}),
        ("GET", "/api/v1/channels", None, {"admin", "office"}),
        ("PUT", "/api/v1/channels/matrix-new", {"title": "矩阵渠道"}, {"admin"}),
        ("DELETE", "/api/v1/channels/matrix-old", None, {"admin"}),
        ("GET", "/api/v1/channels/wechat/deliveries", None, {"admin", "office", "channel"}),
        ("GET", "/api/v1/channels/other-app/deliveries", None, {"admin", "office"}),
    ]


APPLICATION = {"applicant": {"type": "商业企业", "name": "某某科技有限公司"}, "description": "2025年道路养护合同",
               "channel": "online", "received": {"confirmed_on": "2026-03-02"}}  # fmt: skip
OFFICE, READERS = {"office"}, {"office", "admin"}


def application_endpoints(app: int) -> list[tuple[str, str, dict[str, Any] | None, set[str]]]:
    """The endpoints of disclosure on application: the office acts, admins read masked."""
    acts = [("acceptance", {}), ("correction-request", {"correct_by": "2026-03-20", "note": "补正"}),
            ("correction", {}), ("consultation", {"party": "agency"}), ("consultation-answer", {"answer": "consent"}),
            ("extension", {"days": 5, "note": "需要调取档案"}), ("extension-approval", {"notice_sent_on": "2026-03-10"}),
            ("redacted-copy", {"source": "x", "body": "删节本", "ground": "third_party"}),
            ("fee-notice", {"method": "per_page", "count": 40}), ("payment", {}),
            ("closing", {"reason": "no_correction"}), ("reply", {"kind": "disclosed"}), ("delivery", {}),
            ("archive", {})]  # fmt: skip
    return [
        ("POST", "/api/v1/applications", APPLICATION, OFFICE),
        ("GET", "/api/v1/applications", None, READERS),
        ("GET", f"/api/v1/applications/{app}", None, READERS),
        *[("POST", f"/api/v1/applications/{app}/{act}", body, OFFICE) for act, body in acts],
        (
            "POST",
            "/api/v1/applications/transfer-proactive",
            {"document_id": "x", "reason": "several_applicants", "applications": [app]},
            OFFICE,
        ),
    ]


def report_endpoints() -> list[tuple[str, str, dict[str, Any] | None, set[str]]]:
    """The annual report: the disclosure office enters its figures and texts; admins compute and read it."""
    report = "/api/v1/reports/annual/2026"
    return [("GET", report, None, READERS), ("PUT", f"{report}/figures", {"table2": {}}, OFFICE),
            ("PUT", f"{report}/texts/一", {"text": "概述"}, OFFICE), ("GET", f"{report}/inputs", None, READERS),
            ("POST", f"{report}/submission", {"drafter": "drafter"}, OFFICE)]  # fmt: skip


def is_public(path: str) -> bool:
    """Endpoints anyone may call: feeds, public copies, checkpoints, health, the catalogue, the hub."""
    return not path.startswith("/api/v1/") or path.startswith("/api/v1/catalogue")


def bad_tokens(w: ApiWorld) -> dict[str, str | None]:
    """A missing, a revoked, an expired token and a deactivated user's."""
    app = w.govpub.app
    revoked = app.identities.create_token(operator(), "drafter")
    app.identities.revoke_token(operator(), revoked.token.id)
    past = Identities(app.engine, authz=app.authz, clock=lambda: utcnow() - timedelta(days=3))
    expired = past.create_token(operator(), "admin", expires_days=1)
    app.identities.add_user(operator(), username="gone", name="离职", roles=[Role.ADMIN], levels=[])
    gone = app.identities.create_token(operator(), "gone")
    app.identities.deactivate(operator(), "gone")
    return {"none": None, "revoked": revoked.secret, "expired": expired.secret, "deactivated": gone.secret,
            "garbage": "gp_" + "x" * 43}  # fmt: skip


def test_every_endpoint_answers_each_role_and_refuses_bad_credentials(api_world: ApiWorld) -> None:
    w = api_world
    payload, files = sample_submission(2)
    [file_name] = files
    with w.client("drafter") as drafter:
        doc = drafter.post("/api/v1/documents", **multipart(payload, files)).json()["document_id"]
    w.begin_review(doc, 1)  # waits at 初审, which reviewer2 does not hold
    ids = w.govpub.app.identities
    ids.add_user(operator(), username="temp-user", name="临时", roles=[Role.DRAFTER], levels=[])
    spare = ids.create_token(operator(), "drafter").token.id
    admin = ids.impersonate("admin", via="api")
    for name in ("wechat", "other-app", "matrix-old"):
        w.govpub.register_channel(admin, name=name, title=name, webhook=None, secret=None, categories=[], agencies=[])
    office = ids.impersonate("office", via="api")
    app = w.govpub.applications.register(office, json.dumps(APPLICATION, ensure_ascii=False).encode()).id
    table = endpoints(doc, file_name, spare) + application_endpoints(app) + report_endpoints()

    with w.client() as anonymous:
        operations = {(m.upper(), p) for p, ops in anonymous.get("/openapi.json").json()["paths"].items() for m in ops}
    missing = [
        (method, template) for method, template in operations if not is_public(template)
        and not any(m == method and re.fullmatch(re.sub(r"\{[^}]+\}", "[^/]+", template), p) for m, p, _, _ in table)
    ]  # fmt: skip
    assert missing == [], "every non-public endpoint is in the matrix"

    failures = []
    for label, token in bad_tokens(w).items():
        with w.client(token=token) as client:
            for method, path, body, _ in table:
                answer = client.request(method, path, json=body)
                if answer.status_code != 401 or "Bearer" not in answer.headers.get("www-authenticate", ""):
                    failures.append(f"{label} {method} {path}: {answer.status_code}")
                elif answer.json()["code"] != "unauthenticated":
                    failures.append(f"{label} {method} {path}: {answer.text}")
    for role, user in ROLES.items():
        with w.client(user) as client:
            for method, path, body, allowed in table:
                answer = client.request(method, path, json=body)
                status = answer.status_code
                ok = (status not in {401, 403} and status < 500) if role in allowed else status == 403
                if not ok:
                    failures.append(f"{role} {method} {path}: {status} {answer.text[:200]}")
    assert failures == []


def test_a_drafter_cannot_decide_on_their_own_document(api_world: ApiWorld) -> None:
    w = api_world
    ids = w.govpub.app.identities
    ids.add_user(operator(), username="both", name="起草兼初审", roles=[Role.DRAFTER, Role.REVIEWER], levels=["初审"])
    w.tokens["both"] = ids.create_token(operator(), "both").secret
    payload, files = sample_submission(2, drafter="both")
    with w.client("both") as both:
        doc = both.post("/api/v1/documents", **multipart(payload, files)).json()["document_id"]
        w.begin_review(doc, 1)
        assert doc not in [i["document_id"] for i in both.get("/api/v1/reviews").json()]
        refused = both.post(f"/api/v1/reviews/{doc}/decisions", json={"decision": "approve", "comment": "同意"})
        assert (refused.status_code, refused.json()["code"]) == (409, "rule_violation")
        assert "drafter" in refused.json()["detail"]
        detail = both.get(f"/api/v1/documents/{doc}").json()
    assert not [e for e in detail["audit"] if e["action"] == "review.decided"]
    assert detail["state"] != "approved"


def test_a_channel_token_reads_only_its_own_deliveries_and_no_private_object(api_world: ApiWorld) -> None:
    w = api_world
    admin = w.govpub.app.identities.impersonate("admin", via="api")
    for name in ("wechat", "other-app"):
        w.govpub.register_channel(admin, name=name, title=name, webhook="http://127.0.0.1:9/hook", secret=None,
                                  categories=[], agencies=[])  # fmt: skip
    payload, files = sample_submission(2)
    [file_name] = files
    with w.client("drafter") as drafter:
        doc = drafter.post("/api/v1/documents", **multipart(payload, files)).json()["document_id"]
    from tests.api.conftest import REVIEWERS

    view = w.begin_review(doc, 1)
    for position, level in enumerate(view.levels):
        body = {"decision": "approve", "comment": "同意"}
        if position == len(view.levels) - 1:
            body["attribute"] = "proactive"
        with w.client(REVIEWERS[level.name]) as reviewer:
            assert reviewer.post(f"/api/v1/reviews/{doc}/decisions", json=body).status_code == 200
    with w.client("office") as office:
        assert office.post(f"/api/v1/documents/{doc}/publication").json()["state"] == "published"
    with w.client("wechat") as channel:
        own = channel.get("/api/v1/channels/wechat/deliveries")
        assert own.status_code == 200
        assert [d["document_id"] for d in own.json()] == [doc]
        for path in ("/api/v1/channels/other-app/deliveries", "/api/v1/channels", f"/api/v1/documents/{doc}",
                     f"/api/v1/documents/{doc}/findings", f"/api/v1/documents/{doc}/versions/1/attachments/{file_name}",
                     "/api/v1/reviews", "/api/v1/users"):  # fmt: skip
            assert channel.get(path).status_code == 403, path
        assert channel.get("/feeds/wechat/atom.xml").status_code == 200  # its feed is public


@pytest.mark.parametrize("attribute", ["on_application", "withheld"])
def test_no_public_endpoint_shows_what_is_not_published(api_world: ApiWorld, attribute: str) -> None:
    from tests.api.conftest import REVIEWERS

    w = api_world
    titles = {}

    def submit(label: str) -> str:
        payload, _ = sample_submission(2, title=f"未公开测试文件{label}", attachments=[])
        with w.client("drafter") as drafter:
            doc: str = drafter.post("/api/v1/documents", json=payload).json()["document_id"]
        titles[label] = payload["title"]
        return doc

    def approve(doc: str, attribute: str, ground: str | None = None) -> None:
        view = w.begin_review(doc, 1)
        for position, level in enumerate(view.levels):
            body: dict[str, Any] = {"decision": "approve", "comment": "同意"}
            if position == len(view.levels) - 1:
                body.update({"attribute": attribute, "ground": ground})
            with w.client(REVIEWERS[level.name]) as reviewer:
                assert reviewer.post(f"/api/v1/reviews/{doc}/decisions", json=body).status_code == 200

    submit("草稿")  # draft, never reviewed
    approve(submit("已批准"), "proactive")  # approved, not published (the publish flow has not run)
    approve(submit("不公开"), attribute, "art14" if attribute == "withheld" else "art16_1")
    withdrawn = submit("已撤回")
    approve(withdrawn, "proactive")
    with w.client("office") as office:
        [item] = office.post(f"/api/v1/documents/{withdrawn}/publication").json()["published"]
        assert office.post(f"/api/v1/documents/{withdrawn}/withdrawal", json={"reason": "内容有误"}).status_code == 200
        # what the office itself may publish of the others: nothing but the proactive one
        waiting = office.post(f"/api/v1/documents/{_id(w, '不公开', titles)}/publication").json()
        assert waiting["published"] == []

    with w.client() as public:
        seen = []
        for channel in ("all", "agency-000014349"):
            for page in ("atom.xml", "rss.xml", "feed.json"):
                answer = public.get(f"/feeds/{channel}/{page}")
                seen.append(answer.text if answer.status_code == 200 else "")
        catalogue = public.get("/api/v1/catalogue", params={"q": "未公开测试文件"})
        assert catalogue.status_code == 200, catalogue.text
        seen.append(catalogue.text)
        text = "\n".join(seen)
        for label in ("草稿", "已批准", "不公开"):
            assert titles[label] not in text, label
        # the withdrawn one: only the notice, no copy
        assert public.get(f"/documents/{item['index_number']}/1/metadata.json").status_code == 404
        notice = public.get(f"/documents/{item['index_number']}/withdrawn.json")
        assert notice.status_code == 200
        assert "body" not in notice.json()
        for sneaky in ("/documents/../govpub-private/x", "/documents/%2e%2e/x", "/feeds/../x/atom.xml",
                       "/documents/a//b", "/documents/drafts"):  # fmt: skip
            assert public.get(sneaky).status_code in {404, 422}, sneaky


def _id(w: ApiWorld, label: str, titles: dict[str, str]) -> str:
    with w.client("drafter") as drafter:
        return next(d["id"] for d in drafter.get("/api/v1/documents").json() if d["title"] == titles[label])
