"""Security checks of issue 12, item 5, over plain HTTP (httpx against the real uvicorn), the pages'
form endpoints and the ``govpub`` command: self-approval and an unheld level through every door; a
deactivated user's session and tokens; what a channel token reaches; guessing the public keys and
catalogue numbers of unpublished documents; CSRF on every form of the pages (enumerated from the app's
routes, so a form added later is covered without editing this file).

Every refused act is checked to change nothing but the audit log: the state is read before and after
through the application layer (documents, the review queue, users, applications) and as the rows of
every table but the audit log's, and the new audit events must be exactly the refusals.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute
from minio import Minio
from sqlalchemy import func, inspect, text
from sqlmodel import Session, col, select
from starlette.routing import BaseRoute

from api.app import create_app
from disclosure.attributes import Role
from disclosure.errors import Unauthenticated
from services.principal import operator
from services.sessions import csrf_token
from storage.db import read_scope
from storage.models import AuditEvent, Document
from storage.seaweed import SeaweedEndpoint
from tests.api.conftest import REVIEWERS, USERS, ApiWorld, multipart, run_world, sample_submission, settings_for
from tests.e2e.conftest import govpub as run_govpub
from web.routes.applications import STEPS
from web.session import ANON_COOKIE, SESSION_COOKIE

PASSWORD = "security-test-password-1"
AUDIT_TABLES = {"audit_event", "audit_head", "audit_checkpoint"}
VOLATILE = {"last_used_at", "last_seen_at"}  # a token's or session's use is recorded even when the act is refused
APPLICATION = {"applicant": {"type": "自然人", "name": "安全测试申请人", "id_proof": "身份证 110101199003074518"},
               "description": "2025年道路养护合同", "channel": "online",
               "received": {"confirmed_on": "2026-03-02"}}  # fmt: skip


@pytest.fixture
def world(database_url: str, seaweed: SeaweedEndpoint, tmp_path) -> Iterator[ApiWorld]:
    """A fresh API and pages per test (SQLite and PostgreSQL); every sample user has PASSWORD."""
    for opened in run_world(settings_for(database_url, seaweed, tmp_path / "data"), tmp_path):
        for user in USERS:
            opened.govpub.identities.set_password(operator(), user, PASSWORD)
        yield opened


# -- helpers ------------------------------------------------------------------------------------
def sign_in(w: ApiWorld, user: str) -> str:
    """A page session's secret (the cookie's value)."""
    return w.govpub.sessions.sign_in(user, PASSWORD).secret


def page_post(w: ApiWorld, path: str, *, secret: str | None, data: dict[str, str]) -> httpx.Response:
    """A form post to the pages, the (Secure) session cookie sent as a header over plain HTTP."""
    headers = {"Cookie": f"{SESSION_COOKIE}={secret}"} if secret else {}
    return httpx.post(w.url + path, headers=headers, data=data, timeout=60, follow_redirects=False)


def page_get(w: ApiWorld, path: str, *, secret: str) -> httpx.Response:
    return httpx.get(w.url + path, headers={"Cookie": f"{SESSION_COOKIE}={secret}"}, timeout=60,
                     follow_redirects=False)  # fmt: skip


def submit(w: ApiWorld, drafter: str = "drafter", **changes: Any) -> str:
    payload, _ = sample_submission(2, drafter=drafter, attachments=[], **changes)
    with w.client(drafter) as client:
        answer = client.post("/api/v1/documents", json=payload)
    assert answer.status_code == 201, answer.text
    document_id: str = answer.json()["document_id"]
    return document_id


def approve_all(w: ApiWorld, doc: str, *, version: int = 1) -> None:
    """Every level approves through the API (the last confirms 主动公开); the document is then approved."""
    view = w.begin_review(doc, version)
    for position, level in enumerate(view.levels):
        body: dict[str, Any] = {"decision": "approve", "comment": "同意"}
        if position == len(view.levels) - 1:
            body["attribute"] = "proactive"
        with w.client(REVIEWERS[level.name]) as reviewer:
            answer = reviewer.post(f"/api/v1/reviews/{doc}/decisions", json=body)
            assert answer.status_code == 200, answer.text


def audit_count(w: ApiWorld) -> int:
    with Session(w.govpub.app.engine) as session:
        return session.exec(select(func.count()).select_from(AuditEvent)).one()


def audit_since(w: ApiWorld, count: int) -> list[AuditEvent]:
    with Session(w.govpub.app.engine) as session:
        return list(session.exec(select(AuditEvent).order_by(col(AuditEvent.sequence)).offset(count)))


def refusals(events: list[AuditEvent], act: str | None = None) -> list[AuditEvent]:
    return [e for e in events if e.action == "access.refused" and (act is None or (e.after or {}).get("act") == act)]


def table_rows(w: ApiWorld) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table but the audit log's, volatile use-stamps left out."""
    found = {}
    with read_scope(w.govpub.app.engine) as session:  # one snapshot, no write lock
        conn = session.connection()
        schema = inspect(conn)
        for table in schema.get_table_names():
            if table in AUDIT_TABLES or table == "alembic_version":
                continue
            columns = [c["name"] for c in schema.get_columns(table) if c["name"] not in VOLATILE]
            names = ", ".join(f'"{c}"' for c in columns)
            rows = conn.execute(text(f'SELECT {names} FROM "{table}"')).all()  # noqa: S608 - names from the schema
            found[table] = sorted((tuple(str(v) for v in row) for row in rows), key=repr)
    return found


def store_listing(w: ApiWorld) -> dict[str, list[tuple[str, str]]]:
    """Keys and ETags of both buckets, listed with the minio SDK and the world's credentials."""
    return {bucket: sorted((o.object_name, o.etag) for o in minio_client(w).list_objects(bucket, recursive=True))
            for bucket in (w.govpub.app.settings.store.private_bucket, w.govpub.app.settings.store.public_bucket)}  # fmt: skip


def minio_client(w: ApiWorld) -> Minio:
    store = w.govpub.app.settings.store
    assert store.endpoint
    assert store.access_key
    assert store.secret_key
    return Minio(store.endpoint, access_key=store.access_key, secret_key=store.secret_key.get_secret_value(),
                 secure=False)  # fmt: skip


def state(w: ApiWorld) -> dict[str, Any]:
    """What the application layer shows of everything, plus the rows and the objects behind it."""
    g = w.govpub
    with Session(g.app.engine) as session:
        documents = list(session.exec(select(Document.id)))
    shown = {}
    for doc in documents:
        status = g.document(operator(), doc)
        status.pop("audit", None)  # the refusals go there
        shown[doc] = status
    queue = [{k: v for k, v in i.as_dict().items() if k not in {"waited_hours", "working_days_waited"}}
             for i in g.review_queue(operator())]  # fmt: skip
    cases = [g.applications.show(operator(), s.id).model_dump(mode="json")
             for s in g.applications.list_masked(operator())]  # fmt: skip
    return {"documents": shown, "queue": queue, "applications": cases,
            "users": [u.model_dump(mode="json") for u in g.identities.list_users(operator())],
            "rows": table_rows(w), "objects": store_listing(w)}  # fmt: skip


def assert_only_refusals_added(w: ApiWorld, before: dict[str, Any], count: int, expected: int) -> list[AuditEvent]:
    """Nothing changed but the audit log, which gained exactly ``expected`` refusals."""
    after = state(w)
    for key, value in before.items():
        assert after[key] == value, key
    added = audit_since(w, count)
    assert [e.action for e in added] == ["access.refused"] * expected, [(e.action, e.after) for e in added]
    return added


def both_drafter_and_reviewer(w: ApiWorld) -> None:
    """A user who drafts and holds 初审: the one who could approve their own document if a door let them."""
    ids = w.govpub.app.identities
    ids.add_user(operator(), username="both", name="起草兼初审", roles=[Role.DRAFTER, Role.REVIEWER], levels=["初审"])
    ids.set_password(operator(), "both", PASSWORD)
    w.tokens["both"] = ids.create_token(operator(), "both").secret


# -- self-approval and an unheld level: the API and the pages ---------------------------------------
def test_self_approval_and_an_unheld_level_are_refused_by_the_api_and_the_pages(world: ApiWorld) -> None:
    w = world
    both_drafter_and_reviewer(w)
    own = submit(w, "both", title="自己起草的文件")
    w.begin_review(own, 1)  # waits at 初审, which "both" holds
    other = submit(w, title="待复审的文件")
    w.begin_review(other, 1)
    with w.client("reviewer1") as reviewer1:  # 初审 passes: the document now waits at 复审
        assert reviewer1.post(f"/api/v1/reviews/{other}/decisions", json={"decision": "approve"}).status_code == 200
    waiting = submit(w, title="待初审的文件")
    w.begin_review(waiting, 1)
    sessions = {user: sign_in(w, user) for user in ("both", "reviewer1", "reviewer2", "leader")}
    attempts = [  # (who, document): each would decide a level they may not
        ("both", own),  # their own document, at a level they hold
        ("reviewer2", waiting),  # 复审 holder at 初审
        ("leader", waiting),  # 终审 holder at 初审
        ("reviewer1", other),  # 初审 holder again, now at 复审
    ]
    before, count = state(w), audit_count(w)
    for decision in ("approve", "return", "reject", "refer"):
        body = {"decision": decision, "comment": "越权决定"}
        for user, doc in attempts:
            with w.client(user) as client:
                answer = client.post(f"/api/v1/reviews/{doc}/decisions", json=body)
            assert (answer.status_code, answer.json()["code"]) == (409, "rule_violation"), (user, doc, answer.text)
            form = {**body, "csrf_token": csrf_token(sessions[user])}
            page = page_post(w, f"/work/reviews/{doc}/decision", secret=sessions[user], data=form)
            assert page.status_code == 409, (user, doc, page.status_code)
            assert (
                "drafter may not review" if user == "both" else "does not hold the review level"
            ) in page.text  # the rule's own words
    added = assert_only_refusals_added(w, before, count, 4 * len(attempts) * 2)
    assert {(e.actor, (e.after or {})["via"]) for e in added} == {(u, via) for u, _ in attempts
                                                                   for via in ("api", "ui")}  # fmt: skip
    assert {(e.after or {})["act"] for e in added} == {f"decide.{d}" for d in ("approve", "return", "reject", "refer")}


# -- self-approval and an unheld level: the command line --------------------------------------------
def cli_env(w: ApiWorld, user: str) -> dict[str, str]:
    """The environment of a ``govpub`` process on this world's database and buckets, with a user's token."""
    settings = w.govpub.app.settings
    assert settings.database.url
    assert settings.store.endpoint
    assert settings.store.secret_key
    return {**os.environ, "GOVPUB_DATA_DIR": str(settings.data_dir),
            "GOVPUB_DATABASE_URL": settings.database.url.get_secret_value(),
            "GOVPUB_STORE_ENDPOINT": settings.store.endpoint, "GOVPUB_STORE_ACCESS_KEY": settings.store.access_key or "",
            "GOVPUB_STORE_SECRET_KEY": settings.store.secret_key.get_secret_value(),
            "GOVPUB_STORE_BUCKET_PREFIX": settings.store.bucket_prefix, "GOVPUB_FEEDS_TAG_AUTHORITY": "gov.example.cn",
            "GOVPUB_TOKEN": w.tokens[user], "COLUMNS": "200"}  # fmt: skip


@pytest.mark.parametrize(("reviewer", "refusal"), [
    ("both", "drafter may not review their own document"),  # self-approval
    ("reviewer2", "does not hold the review level 初审"),  # a level not held
])  # fmt: skip
def test_the_command_line_refuses_self_approval_and_an_unheld_level(
    world: ApiWorld, reviewer: str, refusal: str
) -> None:
    w = world
    if reviewer == "both":
        both_drafter_and_reviewer(w)
    doc = submit(w, "both", title="自己起草的文件") if reviewer == "both" else submit(w, title="待初审的文件")
    w.begin_review(doc, 1)
    before, count = state(w), audit_count(w)
    refused = run_govpub(cli_env(w, reviewer), "review", "approve", doc, "--comment", "审核意见")
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert refusal in refused.stderr
    [event] = assert_only_refusals_added(w, before, count, 1)
    assert (event.actor, event.after) == (reviewer, {"act": "decide.approve", "via": "cli", "kind": "user"})


# -- a deactivated user ----------------------------------------------------------------------------
def test_a_deactivated_users_sessions_and_tokens_end_on_every_door(world: ApiWorld) -> None:
    w = world
    doc = submit(w, title="待初审的文件")
    w.begin_review(doc, 1)
    first, second = sign_in(w, "reviewer1"), sign_in(w, "reviewer1")  # two browsers
    token = w.tokens["reviewer1"]
    with w.client(token=token) as client:
        assert client.get("/api/v1/reviews").status_code == 200
    assert page_get(w, "/work/reviews", secret=first).status_code == 200
    w.govpub.identities.deactivate(operator(), "reviewer1")
    before, count = state(w), audit_count(w)
    for secret in (first, second):
        shown = page_get(w, "/work/reviews", secret=secret)
        assert (shown.status_code, shown.headers["location"]) == (303, "/signin?next=/work/reviews")
        signin = page_get(w, shown.headers["location"], secret=secret)
        assert signin.status_code == 200
        assert f'{SESSION_COOKIE}=""' in signin.headers["set-cookie"]  # the dead cookie is cleared
        form = {"decision": "approve", "comment": "离职后决定", "csrf_token": csrf_token(secret)}
        posted = page_post(w, f"/work/reviews/{doc}/decision", secret=secret, data=form)
        assert posted.status_code == 303
        assert posted.headers["location"].startswith("/signin")
    with w.client(token=token) as client:
        for method, path, body in (("GET", "/api/v1/reviews", None), ("GET", "/api/v1/me", None),
                                   ("POST", f"/api/v1/reviews/{doc}/decisions", {"decision": "approve"})):  # fmt: skip
            answer = client.request(method, path, json=body)
            assert (answer.status_code, answer.json()["code"]) == (401, "unauthenticated"), path
    with pytest.raises(Unauthenticated):
        w.govpub.sessions.sign_in("reviewer1", PASSWORD)  # nor a new session
    # each failed resolution is audited: 2 sessions × (page, sign-in page, form) + 3 token calls + 1 sign-in
    added = assert_only_refusals_added(w, before, count, 10)
    assert sorted((e.after or {})["act"] for e in added) == ["authenticate"] * 9 + ["login"]


def test_one_doors_credential_does_not_open_another(world: ApiWorld) -> None:
    w = world
    doc = submit(w, title="待初审的文件")
    w.begin_review(doc, 1)
    session = sign_in(w, "reviewer1")
    before, count = state(w), audit_count(w)
    with w.client(token=session) as client:  # a page session's secret as an API token
        answer = client.post(f"/api/v1/reviews/{doc}/decisions", json={"decision": "approve"})
        assert answer.status_code == 401
    as_cookie = page_post(w, f"/work/reviews/{doc}/decision", secret=w.tokens["reviewer1"],
                          data={"decision": "approve", "csrf_token": csrf_token(w.tokens["reviewer1"])})  # fmt: skip
    assert (as_cookie.status_code, as_cookie.headers["location"]) == (303, "/signin?next=/work")
    assert_only_refusals_added(w, before, count, 2)


# -- a channel token ---------------------------------------------------------------------------------
def test_a_channel_token_reaches_neither_private_objects_nor_another_channels_deliveries(world: ApiWorld) -> None:
    w = world
    admin = w.govpub.app.identities.impersonate("admin", via="api")
    for name in ("wechat", "other-app"):
        w.govpub.register_channel(admin, name=name, title=name, webhook="http://127.0.0.1:9/hook", secret=None,
                                  categories=[], agencies=[])  # fmt: skip
    payload, files = sample_submission(2)
    [file_name] = files
    with w.client("drafter") as drafter:
        doc = drafter.post("/api/v1/documents", **multipart(payload, files)).json()["document_id"]
    approve_all(w, doc)
    with w.client("office") as office:
        assert office.post(f"/api/v1/documents/{doc}/publication").json()["state"] == "published"
    private = w.govpub.app.settings.store.private_bucket
    with w.client("office") as office:
        [item] = w.govpub.document(operator(), doc)["publications"]
        link = office.get(f"/api/v1/documents/{doc}/versions/1/attachments/{file_name}")
        assert link.status_code == 200  # staff get a short-lived signed link; the channel must not
    before, count = state(w), audit_count(w)
    with w.client("wechat") as channel:
        assert channel.get("/api/v1/channels/wechat/deliveries").status_code == 200
        forbidden = ["/api/v1/channels/other-app/deliveries", "/api/v1/channels/WECHAT/deliveries",
                     "/api/v1/channels/other-app/deliveries?limit=500", "/api/v1/channels",
                     f"/api/v1/documents/{doc}", f"/api/v1/documents/{doc}/findings",
                     f"/api/v1/documents/{doc}/versions/1/attachments/{file_name}", "/api/v1/documents",
                     "/api/v1/reviews", "/api/v1/referrals", "/api/v1/users", "/api/v1/users/drafter/tokens",
                     "/api/v1/applications", "/api/v1/deadlines", "/api/v1/reports/annual/2026"]  # fmt: skip
        for path in forbidden:
            assert channel.get(path).status_code == 403, path
        tricks = 0
        for path in (
            "/api/v1/channels/wechat%2F..%2Fother-app/deliveries",
            "/api/v1/channels/wechat/../other-app/deliveries",
        ):
            answer = channel.get(path)
            assert answer.status_code in {403, 404}, path
            assert doc not in answer.text, path
            tricks += answer.status_code == 403
        # the private bucket is not behind any public route, whatever the key
        for key in (f"../{private}/drafts/{doc}/1/submission.json", f"%2e%2e/{private}/drafts/{doc}/1/submission.json",
                    f"drafts/{doc}/1/submission.json", f"{doc}/1/submission.json"):  # fmt: skip
            answer = channel.get(f"/documents/{key}")
            assert answer.status_code in {404, 422}, key
            assert payload["title"] not in answer.text
        assert (
            channel.get(f"/documents/{item['public_prefix'].removeprefix('documents/')}metadata.json").status_code
            == 200
        )
    refused = assert_only_refusals_added(w, before, count, len(forbidden) + tricks)
    assert {e.actor for e in refused} == {"wechat"}
    # and the private bucket itself answers nothing unsigned
    s3 = httpx.get(f"http://{w.govpub.app.settings.store.endpoint}/{private}?list-type=2", timeout=10)
    assert s3.status_code == 403


# -- guessing public keys and catalogue numbers --------------------------------------------------------
def next_numbers(index_number: str, count: int) -> list[str]:
    """The 索引号 that come after ``index_number`` (what a guesser tries first)."""
    found = re.fullmatch(r"(.*?)(\d+)", index_number)
    assert found is not None
    head, serial = found.groups()
    return [f"{head}{int(serial) + step:0{len(serial)}d}" for step in range(1, count + 1)]


def test_guessing_the_keys_and_numbers_of_unpublished_documents_finds_nothing(world: ApiWorld) -> None:
    w = world
    published = submit(w, title="已公开的文件")
    approve_all(w, published)
    with w.client("office") as office:
        [item] = office.post(f"/api/v1/documents/{published}/publication").json()["published"]
    index_number = item["index_number"]
    submitted = submit(w, title="已提交未审核的秘密文件")
    w.begin_review(submitted, 1)
    approved = submit(w, title="已批准未发布的秘密文件")
    approve_all(w, approved)
    payload, _ = sample_submission(2, attachments=[], title="已公开文件的未审修订", change_note="更正文字错误")
    with w.client("drafter") as drafter:  # a new version of the public one, under review
        revised = drafter.post(f"/api/v1/documents/{published}/versions", json=payload)
        assert revised.status_code == 201, revised.text
    w.begin_review(published, 2)
    secrets = ["已提交未审核的秘密文件", "已批准未发布的秘密文件", "已公开文件的未审修订"]
    unpublished = [submitted, approved]
    assert w.govpub.document(operator(), approved)["state"] == "approved"

    guesses = [*next_numbers(index_number, 5), *unpublished, published]
    files = ["body.html", "metadata.json", "status.json", "withdrawn.json", "attachments/", ""]
    keys = [f"{g}/{v}/{f}" for g in guesses for v in (1, 2) for f in files]
    keys += [f"{index_number}/2/{f}" for f in files] + [f"{index_number}/{f}" for f in ("2", "latest", "current")]
    before, count = state(w), audit_count(w)
    found = {}
    with w.client() as public:
        for key in keys:
            answer = public.get(f"/documents/{key}")
            if answer.status_code != 404:
                found[f"/documents/{key}"] = answer.status_code
        for number in guesses:
            for path in (f"/api/v1/catalogue/{number}", f"/catalogue/{number}"):
                answer = public.get(path)
                if answer.status_code != 404:
                    found[path] = answer.status_code
        assert public.get(f"/api/v1/catalogue/{index_number}").status_code == 200  # the public one is there
        shown = public.get(f"/catalogue/{index_number}")
        assert shown.status_code == 200
        leaked = [public.get(p).text for p in ("/feeds/all/atom.xml", "/feeds/all/feed.json", "/feeds/all/rss.xml",
                                                f"/documents/{index_number}/1/body.html", "/api/v1/catalogue")]  # fmt: skip
        leaked += [
            shown.text,
            public.get("/catalogue").text,
            public.get("/api/v1/catalogue", params={"q": "秘密文件"}).text,
        ]
    assert found == {}
    for title in secrets:
        assert not [t for t in leaked if title in t], title
    assert state(w) == before  # reads change nothing, audit log included
    assert audit_count(w) == count
    # the public bucket, listed with the world's own credentials: only the published version's copies
    client = minio_client(w)
    public_bucket = w.govpub.app.settings.store.public_bucket
    objects = list(client.list_objects(public_bucket, recursive=True))
    names = [o.object_name for o in objects]
    assert any(n.startswith(f"documents/{index_number}/1/") for n in names), names
    for name in names:
        assert not any(doc in name for doc in [*unpublished, published]), name
        assert not any(number in name for number in next_numbers(index_number, 5)), name
        assert not name.startswith(f"documents/{index_number}/2/"), name
    bodies = [client.get_object(public_bucket, name).read().decode("utf-8", "replace") for name in names]
    for title in secrets:
        assert not [n for n, b in zip(names, bodies, strict=True) if title in b], title


# -- CSRF on every form of the pages ----------------------------------------------------------------
def flattened(routes: list[BaseRoute]) -> Iterator[BaseRoute]:
    """Every route, those of included routers too (FastAPI 0.149 keeps an included router as one route)."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        yield from flattened(inner.routes) if inner is not None else [route]


def page_forms(w: ApiWorld) -> list[tuple[str, str]]:
    """(method, path template) of every state-changing route of the pages (web/routes), from the app."""
    app = create_app(w.govpub)  # the same routes the running server has; not served
    forms = []
    for route in flattened(app.routes):
        if isinstance(route, APIRoute) and route.endpoint.__module__.startswith("web.routes."):
            forms += [(m, route.path) for m in sorted(route.methods) if m not in {"GET", "HEAD", "OPTIONS"}]
    return forms


FORGED = {  # (how the path ends or starts, what a forger posts): complete, otherwise acceptable forms
    "/decision": {"decision": "approve", "comment": "伪造的决定"},
    "/withdraw": {"step": "confirm", "reason": "伪造的撤回"},
    "/validity": {"validity": "expired", "note": "伪造的失效"},
    "/work/office/referrals/": {"cleared": "yes", "comment": "伪造的答复"},
    "/signin": {"username": "admin", "password": PASSWORD, "next": "/work"},
    "/work/documents": {"title": "伪造的文件", "issuing_agency": "示范市人民政府办公室", "body": "伪造"},
    "/work/office/applications": {
        "applicant_type": "自然人",
        "applicant_name": "伪造申请人",
        "description": "伪造",
        "channel": "online",
    },
}
FORGED_ACT = {"note": "伪造", "kind": "disclosed", "reason": "no_correction", "days": "5", "answer": "consent"}


def form_body(path: str) -> dict[str, str]:
    """What a forger would post to the form at ``path``."""
    for mark, body in FORGED.items():
        if path.endswith(mark) or (mark.endswith("/") and path.startswith(mark)) or path == mark:
            return body
    if path.startswith("/work/documents"):
        return FORGED["/work/documents"]
    return FORGED_ACT


def user_for(path: str) -> str | None:
    """Who would be allowed to post the form (so that only the token can be what refuses it)."""
    if path == "/signin":
        return None
    if path.startswith("/work/reviews"):
        return "reviewer1"
    if path.startswith("/work/office"):
        return "office"
    return "drafter"


def test_every_form_refuses_a_missing_or_foreign_csrf_token(world: ApiWorld) -> None:
    w = world
    doc = submit(w, title="待初审的文件")
    w.begin_review(doc, 1)
    office = w.govpub.app.identities.impersonate("office", via="api")
    case = w.govpub.applications.register(office, json.dumps(APPLICATION, ensure_ascii=False).encode()).id
    values = {"document_id": doc, "application_id": str(case)}
    templates = page_forms(w)
    assert ("POST", "/signin") in templates
    assert ("POST", "/work/reviews/{document_id}/decision") in templates
    targets = []
    for method, template in templates:
        names = re.findall(r"\{([^}:]+)[^}]*\}", template)
        unknown = [n for n in names if n not in values and n != "slug"]
        assert not unknown, f"{template}: give this test a value for {unknown}"
        path = template
        for name in names:
            path = re.sub(r"\{" + name + r"[^}]*\}", values.get(name, "{slug}"), path)
        targets += [(method, path.replace("{slug}", s)) for s in STEPS] if "slug" in names else [(method, path)]
    assert len(targets) >= 20, targets
    targets.sort(key=lambda t: t[1] == "/signout")  # its control (below) ends the session it uses: last
    sessions = {user: sign_in(w, user) for user in ("drafter", "reviewer1", "office")}
    spare = {user: sign_in(w, user) for user in sessions}  # the same people in another browser
    stranger = sign_in(w, "admin")

    before, count = state(w), audit_count(w)
    failures, cases = [], 0
    for method, path in targets:
        user = user_for(path)
        body = form_body(path)
        if user is None:  # before sign-in: the double-submit cookie
            cookie = "c" * 43
            attempts = {"no token": ({ANON_COOKIE: cookie}, body), "empty": ({ANON_COOKIE: cookie}, {**body, "csrf_token": ""}),
                        "another browser's": ({ANON_COOKIE: cookie}, {**body, "csrf_token": "d" * 43}),
                        "no cookie": ({}, {**body, "csrf_token": cookie})}  # fmt: skip
        else:
            mine = {SESSION_COOKIE: sessions[user]}
            attempts = {"no token": (mine, body), "empty": (mine, {**body, "csrf_token": ""}),
                        "another user's": (mine, {**body, "csrf_token": csrf_token(stranger)}),
                        "my other session's": (mine, {**body, "csrf_token": csrf_token(spare[user])}),
                        "an anonymous value": (mine, {**body, "csrf_token": "c" * 43})}  # fmt: skip
        for label, (cookies, data) in attempts.items():
            cases += 1
            header = "; ".join(f"{k}={v}" for k, v in cookies.items())
            answer = httpx.request(method, w.url + path, headers={"Cookie": header} if header else {}, data=data,
                                   timeout=60, follow_redirects=False)  # fmt: skip
            signed_in = (SESSION_COOKIE + "=gs_") in answer.headers.get("set-cookie", "")
            if answer.status_code != 403 or "表单已失效" not in answer.text or signed_in:
                failures.append(f"{method} {path} ({label}): {answer.status_code}")
    assert failures == []
    added = assert_only_refusals_added(w, before, count, cases)
    by_path: dict[str, int] = {}
    for event in refusals(added, "csrf"):
        by_path[event.entity_id] = by_path.get(event.entity_id, 0) + 1
    assert by_path == {path: 4 if user_for(path) is None else 5 for _, path in targets}
    passes_with_its_own_token(w, targets, spare)


def passes_with_its_own_token(w: ApiWorld, targets: list[tuple[str, str]], sessions: dict[str, str]) -> None:
    """The control: the same forms with their own token pass the CSRF check (whatever the act then answers)."""
    for method, path in targets:
        user = user_for(path)
        if user is None:
            cookie = "e" * 43
            header, data = f"{ANON_COOKIE}={cookie}", {**form_body(path), "csrf_token": cookie}
        else:
            header = f"{SESSION_COOKIE}={sessions[user]}"
            data = {**form_body(path), "csrf_token": csrf_token(sessions[user])}
        mark = audit_count(w)
        answer = httpx.request(method, w.url + path, headers={"Cookie": header}, data=data, timeout=60,
                               follow_redirects=False)  # fmt: skip
        assert answer.status_code < 500, (path, answer.status_code)
        assert not refusals(audit_since(w, mark), "csrf"), path
