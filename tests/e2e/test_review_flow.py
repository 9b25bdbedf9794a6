"""A document through a three-level chain on a real Prefect server, worker and deployments.

The CLI path (record, then resume) and the Prefect UI path (resume with typed input, checked by
the same rules in the flow) are both exercised, with a refused self-review, a refused repeat
decision, an invalid resume input and an unauthorised resume-form decision.
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path
from uuid import UUID

import pytest

from tests.conftest import poll_until
from tests.e2e.prefect_stack import paused_at, prefect_stack

GOVPUB = shutil.which("govpub", path=str(Path(sys.executable).parent))
CHAIN = [{"name": "初审"}, {"name": "复审"}, {"name": "终审", "time_limit_days": 3}]


@pytest.fixture(scope="module")
def stack(tmp_path_factory, seaweed, postgres_dsn):
    """govpub's embedded stack with a PostgreSQL-backed Prefect server, for this module."""
    from services.bootstrap import sample_agency_config

    config = sample_agency_config()
    config["review_chains"] = [{"category": "*", "grade": g, "levels": CHAIN}
                               for g in ("ordinary", "important", "sensitive")]  # fmt: skip
    yield from prefect_stack(tmp_path_factory, seaweed, postgres_dsn, config=config)


def govpub(env, *args):
    return subprocess.run([GOVPUB, *args], env=env, capture_output=True, text=True, timeout=300, check=False)


def waiting(env, level, attempt=0):
    """The review item once its flow run is suspended on the key for ``level`` and ``attempt``."""
    from prefect.client.orchestration import get_client

    listed = govpub(env, "review", "list", "--json")
    items = [i for i in json.loads(listed.stdout or "[]") if i["level"] == level]
    if not items:
        return None
    from flows.runtime import review_service

    view = review_service().current(items[0]["document_id"])
    if view is None or view.flow_run_id is None or view.attempt != attempt:
        return None
    with get_client(sync_client=True) as client:
        state = client.read_flow_run(UUID(view.flow_run_id)).state
    if state and state.is_paused() and state.state_details.pause_key == view.suspend_key:
        return items[0] | {"flow_run_id": view.flow_run_id}
    return None


def test_three_level_chain_by_cli_and_resume_form(stack, tmp_path):
    from prefect.flow_runs import resume_flow_run

    env = stack
    assert govpub(env, "sample", "export", str(tmp_path)).returncode == 0
    submitted = govpub(env, "submit", str(tmp_path / "zhejiang-civil-affairs-2020-key-work.json"))
    assert submitted.returncode == 0, submitted.stderr
    doc = submitted.stdout.split()[-1]

    first = poll_until(lambda: waiting(env, "初审"), what="初审 waiting")
    assert first["document_id"] == doc
    assert "reviewer1" in first["holders"]
    assert "drafter" not in first["holders"]
    mine = json.loads(govpub(env, "review", "list", "--as", "reviewer1", "--json").stdout)
    assert [i["document_id"] for i in mine] == [doc]
    assert json.loads(govpub(env, "review", "list", "--as", "reviewer2", "--json").stdout) == []

    self_review = govpub(env, "review", "approve", doc, "--as", "drafter")
    assert self_review.returncode == 1
    assert "only a reviewer decides" in self_review.stderr  # the drafter holds no review level
    approved = govpub(env, "review", "approve", doc, "--as", "reviewer1", "--comment", "同意")
    assert approved.returncode == 0, approved.stderr
    again = govpub(env, "review", "approve", doc, "--as", "reviewer1", "--comment", "同意")
    assert again.returncode == 1  # 初审 is decided; reviewer1 cannot decide the next level either

    second = poll_until(lambda: waiting(env, "复审"), what="复审 waiting")
    run_id = UUID(second["flow_run_id"])
    tokens = {name: _token(env, name) for name in ("reviewer1", "reviewer2")}
    with pytest.raises(RuntimeError, match="decision"):  # the server validates the typed input
        resume_flow_run(run_id, run_input={"decision": "maybe", "token": tokens["reviewer2"]})
    assert waiting(env, "复审") is not None  # still waiting on the same key

    # the resume form names no one: the token says who decides. A made-up one is refused …
    resume_flow_run(run_id, run_input={"decision": "approve", "token": "gp_made-up"})
    poll_until(lambda: waiting(env, "复审", attempt=1), what="复审 waiting again after a bad token")
    # … and so is a real reviewer without the level: checked by the flow through the same rules
    resume_flow_run(run_id, run_input={"decision": "approve", "token": tokens["reviewer1"]})
    poll_until(lambda: waiting(env, "复审", attempt=2), what="复审 waiting again after a refusal")
    # the resume form, with the right reviewer's token: recorded through the same rules
    resume_flow_run(run_id, run_input={"decision": "approve", "token": tokens["reviewer2"], "comment": "同意"})
    poll_until(lambda: waiting(env, "终审"), what="终审 waiting")

    missing_attribute = govpub(env, "review", "approve", doc, "--as", "leader")
    assert missing_attribute.returncode == 1
    assert "confirm the disclosure attribute" in missing_attribute.stderr
    final = govpub(env, "review", "approve", doc, "--as", "leader", "--attribute", "proactive", "--comment", "同意公开")
    assert final.returncode == 0, final.stderr

    status = json.loads(govpub(env, "status", doc, "--json").stdout)
    assert (status["state"], status["attribute"]) == ("approved", "proactive")
    actions = [e["action"] for e in status["audit"]]
    assert actions.count("review.decided") == 2
    assert "review.refused" in actions
    assert "document.approved" in actions
    assert govpub(env, "audit", "verify").returncode == 0
    _publish_with_interpretation(env, doc, tmp_path)


def _publish_with_interpretation(env, doc, tmp_path):
    """The approved event triggers publish-document: the policy is held for its interpretation."""
    held = poll_until(lambda: _audit_has(env, doc, "publication.held"), what="the policy held")
    assert held["state"] == "approved"
    assert {d["kind"] for d in held["deadlines"]} == {"interpretation", "publication"}
    assert _public_documents(env) == set()  # held: nothing public yet
    exported = tmp_path / "feeds-before"
    assert govpub(env, "feeds", "export", str(exported)).returncode == 0
    assert json.loads((exported / "all" / "feed.json").read_text())["items"] == []

    from govpub.samples import load_samples, sample_interpretation

    policy = next(s for s in load_samples() if s.name == "zhejiang-civil-affairs-2020-key-work")
    interpretation = tmp_path / "interpretation.json"
    interpretation.write_text(json.dumps(sample_interpretation(doc, policy.submission), ensure_ascii=False))
    submitted = govpub(env, "submit", str(interpretation))
    assert submitted.returncode == 0, submitted.stderr
    interp = submitted.stdout.split()[-1]
    for level, reviewer in (("初审", "reviewer1"), ("复审", "reviewer2"), ("终审", "leader")):
        poll_until(lambda level=level: waiting(env, level), what=f"interpretation at {level}")
        extra = ["--attribute", "proactive"] if level == "终审" else []
        decided = govpub(env, "review", "approve", interp, "--as", reviewer, "--comment", "同意", *extra)
        assert decided.returncode == 0, decided.stderr
        _public_documents(env)  # checks after every step: only reviewed 主动公开 versions are public
    published = poll_until(lambda: _published(env, doc), what="policy and interpretation published", timeout=180)
    interp_status = json.loads(govpub(env, "status", interp, "--json").stdout)
    assert interp_status["state"] == "published"
    assert _public_documents(env) == {doc, interp}
    assert not [d for d in published["deadlines"] if d["kind"] == "interpretation"]
    exported = tmp_path / "feeds-after"
    assert govpub(env, "feeds", "export", str(exported)).returncode == 0
    import feedparser

    atom = feedparser.parse((exported / "all" / "atom.xml").read_bytes())
    titles = {e.title for e in atom.entries}
    assert policy.submission["title"] in titles
    assert interp_status["title"] in titles
    assert govpub(env, "audit", "verify").returncode == 0


def _public_documents(env):
    """Documents with public objects; fails if any belongs to an unreviewed or non-proactive version.

    A release's public copies are written (through the clearance gate) a moment before its
    publication rows commit, so a copy is matched to its document by the 索引号 issued when the
    release was planned, and the document must be approved or published, 主动公开; feed entries,
    written after the commit, must name a publication."""
    from sqlmodel import Session, select

    from storage.db import make_engine
    from storage.models import Document, FeedItem, Publication
    from storage.objectstore import S3ObjectStore

    store = S3ObjectStore.connect(
        env["GOVPUB_STORE_ENDPOINT"],
        access_key=env["GOVPUB_STORE_ACCESS_KEY"],
        secret_key=env["GOVPUB_STORE_SECRET_KEY"],
        secure=False,
        region=None,
    )
    bucket = env["GOVPUB_STORE_BUCKET_PREFIX"] + "govpub-public"
    engine = make_engine(env["GOVPUB_DATABASE_URL"])
    try:
        with Session(engine) as session:
            publications = {(p.document_id, p.version): p for p in session.exec(select(Publication))}
            published_numbers = {p.index_number for p in publications.values()}
            documents = {d.id: d for d in session.exec(select(Document))}
            by_number = {d.index_number: d.id for d in documents.values() if d.index_number}
            for item in session.exec(select(FeedItem)):
                assert (item.document_id, item.version) in publications
        public = set()
        for key in store.list_keys(bucket, "documents/"):
            number = "/".join(key.split("/")[1:3])
            assert number in by_number, key
            document = documents[by_number[number]]
            assert document.attribute == "proactive", key
            assert document.state in {"approved", "published"}, key  # every level decided
            public.add(document.id)
        for key in store.list_keys(bucket, "feeds/"):
            if key.endswith(".json"):
                for item in json.loads(store.get(bucket, key))["items"]:
                    assert item["_govpub"]["index_number"] in published_numbers, key
        return public
    finally:
        engine.dispose()


def _token(env, username):
    created = govpub(env, "users", "token", "create", username, "--expires-days", "1")
    assert created.returncode == 0, created.stderr
    return created.stdout.strip().splitlines()[-1]


def _audit_has(env, doc, action):
    status = json.loads(govpub(env, "status", doc, "--json").stdout)
    return status if action in [e["action"] for e in status["audit"]] else None


def _published(env, doc):
    status = json.loads(govpub(env, "status", doc, "--json").stdout)
    return status if status["state"] == "published" else None


def test_a_run_whose_wake_was_lost_is_woken_by_the_reconciler_even_without_its_input_schema(stack, tmp_path):
    """A decision recorded whose wake never reached Prefect (the door's process died, the server was
    down) leaves the run paused on a key the record has moved past: the reconciler wakes that same run,
    which reads the record and waits at the next level. The wake is a state change, not
    ``resume_flow_run``: a run whose input schema was lost (a failed save on the SQLite server) is woken
    all the same, where the resume endpoint refuses it."""
    from prefect.client.orchestration import get_client
    from prefect.flow_runs import resume_flow_run

    from disclosure.review import Decision, DecisionRequest
    from flows.reconcile import reconcile_reviews
    from flows.runtime import review_service

    env = stack
    assert govpub(env, "sample", "export", str(tmp_path)).returncode == 0
    submitted = govpub(env, "submit", str(tmp_path / "hangzhou-2021-work-points.json"))
    assert submitted.returncode == 0, submitted.stderr
    doc = submitted.stdout.split()[-1]
    first = poll_until(lambda: paused_at(doc, 0), what="初审 waiting")
    old_run = UUID(first.flow_run_id)
    with get_client(sync_client=True) as client:
        client.delete_flow_run_input(old_run, key=f"paused-{first.suspend_key}-schema")
    review_service().decide(doc, DecisionRequest(Decision.APPROVE, "reviewer1", "同意"), via="cli")  # no wake
    with pytest.raises(RuntimeError, match="schema"):  # what Prefect's resume endpoint answers such a run
        resume_flow_run(old_run, run_input={"decision": "approve", "token": ""})
    report = reconcile_reviews(grace_minutes=60)
    assert doc in report.resumed
    assert doc not in report.restarted
    second = poll_until(lambda: paused_at(doc, 1), what="复审 waiting on the same run")
    assert UUID(second.flow_run_id) == old_run
