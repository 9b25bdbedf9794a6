"""End to end over HTTP: multipart submission with an attachment → review decisions → publication →
the feed, conditionally fetched; then the error shape, revision and upload limits."""

from __future__ import annotations

import json

import feedparser
import httpx

from tests.api.conftest import REVIEWERS, ApiWorld, attachment_spec, multipart, sample_submission


def test_a_document_goes_from_multipart_submission_through_review_to_a_feed(api_world: ApiWorld) -> None:
    w = api_world
    payload, files = sample_submission(2)
    [(file_name, content)] = files.items()
    with w.client("drafter") as drafter:
        submitted = drafter.post("/api/v1/documents", **multipart(payload, files))
        assert submitted.status_code == 201, submitted.text
        doc = submitted.json()["document_id"]
        assert submitted.headers["location"] == f"/api/v1/documents/{doc}"
        again = drafter.post("/api/v1/documents", **multipart(payload, files))
        assert (again.status_code, again.json()["created"]) == (200, False)
        [mine] = drafter.get("/api/v1/documents").json()
        assert (mine["id"], mine["state"], mine["held_by"]) == (doc, "submitted", [])
    assert ("govpub.document.submitted", doc, 1) in w.events.events

    view = w.begin_review(doc, 1)  # what the review-document flow does before it waits
    with w.client("drafter") as drafter:
        [mine] = drafter.get("/api/v1/documents").json()
        assert (mine["waiting_at"], mine["held_by"]) == (view.levels[0].name, [REVIEWERS[view.levels[0].name]])
        refused = drafter.post(f"/api/v1/reviews/{doc}/decisions", json={"decision": "approve"})
        assert refused.status_code == 403
        assert refused.headers["content-type"] == "application/problem+json"

    decided = review_over_http(w, doc, view.levels, file_name, content)
    assert decided.json()["state"] == "approved"
    assert ("govpub.document.approved", doc, 1) in w.events.events

    anonymous = w.client()
    assert anonymous.get("/feeds/all/atom.xml").status_code == 404  # nothing public before publication
    with w.client("office") as office:
        published = office.post(f"/api/v1/documents/{doc}/publication").json()
    assert published["state"] == "published"
    [item] = published["published"]
    feed = anonymous.get("/feeds/all/atom.xml")
    assert feed.status_code == 200
    assert feed.headers["content-type"].startswith("application/atom+xml")
    [entry] = feedparser.parse(feed.content).entries
    assert entry.title == payload["title"]
    etag, modified = feed.headers["etag"], feed.headers["last-modified"]
    conditional = anonymous.get("/feeds/all/atom.xml", headers={"If-None-Match": etag})
    assert (conditional.status_code, conditional.content, conditional.headers["etag"]) == (304, b"", etag)
    assert anonymous.get("/feeds/all/atom.xml", headers={"If-Modified-Since": modified}).status_code == 304
    assert anonymous.get("/feeds/all/atom.xml", headers={"If-None-Match": '"other"'}).status_code == 200
    record = anonymous.get(f"/documents/{item['index_number']}/1/metadata.json")
    assert record.status_code == 200
    assert json.loads(record.content)["index_number"] == item["index_number"]
    assert anonymous.get("/feeds/all/feed.json").json()["items"][0]["title"] == payload["title"]


def review_over_http(w: ApiWorld, doc: str, levels, file_name: str, content: bytes) -> httpx.Response:
    """Each level's holder reads the document, its findings and its attachment, then approves."""
    for position, level in enumerate(levels):
        with w.client(REVIEWERS[level.name]) as reviewer:
            queue = reviewer.get("/api/v1/reviews").json()
            assert [i["document_id"] for i in queue] == [doc]
            detail = reviewer.get(f"/api/v1/documents/{doc}").json()
            assert detail["versions"][0]["attachments"][0]["file_name"] == file_name
            assert any(e["action"] == "document.submitted" for e in detail["audit"])
            assert reviewer.get(f"/api/v1/documents/{doc}/findings").status_code == 200
            link = reviewer.get(f"/api/v1/documents/{doc}/versions/1/attachments/{file_name}").json()
            assert link["expires_in"] <= 300
            fetched = httpx.get(link["url"])  # presigned: no credentials needed
            assert (fetched.content, fetched.headers["content-type"]) == (content, "text/plain; charset=utf-8")
            body = {"decision": "approve", "comment": "同意"}
            if position == len(levels) - 1:
                body["attribute"] = "proactive"
            decided = reviewer.post(f"/api/v1/reviews/{doc}/decisions", json=body)
            assert decided.status_code == 200, decided.text
    return decided


def test_every_failure_is_a_problem_with_the_violations_and_a_request_id(api_world: ApiWorld) -> None:
    w = api_world
    payload, files = sample_submission(2)
    with w.client("drafter") as drafter:
        broken = {**payload, "title": "", "written_on": "not a date"}
        refused = drafter.post("/api/v1/documents", json=broken, headers={"X-Request-ID": "caller-chosen-id-1"})
        assert refused.status_code == 422
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.headers["x-request-id"] == "caller-chosen-id-1"
        problem = refused.json()
        assert (problem["code"], problem["status"], problem["request_id"]) == (
            "invalid_input",
            422,
            "caller-chosen-id-1",
        )
        paths = {e["path"] for e in problem["errors"]}
        assert {"$.title", "$.written_on"} <= paths
        # an attachment whose bytes are not what was declared
        wrong = drafter.post("/api/v1/documents", **multipart(payload, dict.fromkeys(files, b"other")))
        assert wrong.status_code == 422
        assert {"$.attachments[0].sha256", "$.attachments[0].size"} <= {e["path"] for e in wrong.json()["errors"]}
        # an undeclared upload, a path in a file name
        extra = multipart(payload, files)
        extra["files"].append(("files", ("../evil.txt", b"x", "text/plain")))
        assert "files[1]" in {e["path"] for e in drafter.post("/api/v1/documents", **extra).json()["errors"]}
        # FastAPI's own validation, same shape
        bad = drafter.post("/api/v1/reviews/x/decisions", json={"decision": "maybe"}).json()
        assert bad["code"] == "invalid_input"
        assert bad["errors"][0]["path"] == "$.decision"
        malformed = drafter.post("/api/v1/documents", content=b"{", headers={"content-type": "application/json"})
        assert malformed.status_code == 422
        assert (
            drafter.post("/api/v1/documents", content=b"x", headers={"content-type": "text/plain"}).status_code == 415
        )
        assert drafter.get("/api/v1/documents/nope").json()["code"] == "not_found"
    insane = w.client().get("/api/v1/nothing-here", headers={"X-Request-ID": "bad id\twith tab"})
    assert insane.status_code == 404
    assert insane.json()["code"] == "not_found"
    assert insane.headers["x-request-id"] != "bad id\twith tab"
    assert len(insane.headers["x-request-id"]) == 32
    # without credentials the body is never looked at
    assert w.client().post("/api/v1/documents", content=b"{").status_code == 401


def test_a_returned_document_is_revised_over_http(api_world: ApiWorld) -> None:
    w = api_world
    payload, files = sample_submission(2)
    with w.client("drafter") as drafter:
        doc = drafter.post("/api/v1/documents", **multipart(payload, files)).json()["document_id"]
    view = w.begin_review(doc, 1)
    with w.client(REVIEWERS[view.levels[0].name]) as reviewer:
        no_reason = reviewer.post(f"/api/v1/reviews/{doc}/decisions", json={"decision": "return"})
        assert (no_reason.status_code, no_reason.json()["code"]) == (409, "rule_violation")
        returned = reviewer.post(f"/api/v1/reviews/{doc}/decisions", json={"decision": "return", "comment": "补充依据"})
        assert returned.json()["state"] == "returned"
    note = b"\xe4\xbf\xae\xe8\xae\xa2\xe8\xaf\xb4\xe6\x98\x8e"  # 修订说明
    changed = {**payload, "summary": "修订后的摘要", "attachments": [*payload["attachments"],
               attachment_spec("修订说明.txt", note)]}  # fmt: skip
    with w.client("drafter") as drafter:
        revised = drafter.post(
            f"/api/v1/documents/{doc}/versions", **multipart(changed, {**files, "修订说明.txt": note})
        )
        assert revised.status_code == 201, revised.text
        assert (revised.json()["document_id"], revised.json()["version"]) == (doc, 2)
        assert drafter.get(f"/api/v1/documents/{doc}").json()["current_version"] == 2
    with w.client("drafter2") as other:
        assert other.post(f"/api/v1/documents/{doc}/versions", json=changed).status_code == 403  # not their document
        assert other.get(f"/api/v1/documents/{doc}").status_code == 403


def test_an_upload_beyond_the_limit_is_refused_while_it_streams(database_url, seaweed, tmp_path) -> None:
    from tests.api.conftest import run_world, settings_for

    settings = settings_for(database_url, seaweed, tmp_path / "data", max_upload_bytes=50_000)
    for w in run_world(settings, tmp_path):
        payload, _ = sample_submission(2)
        big = b"a" * 60_000
        payload["attachments"] = [attachment_spec("big.txt", big)]
        with w.client("drafter") as drafter:
            refused = drafter.post("/api/v1/documents", **multipart(payload, {"big.txt": big}))
            assert (refused.status_code, refused.json()["code"]) == (413, "payload_too_large")
            assert drafter.get("/api/v1/documents").json() == []
