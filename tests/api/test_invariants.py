"""A stateful invariant test across the doors (issue 12, item 1): hypothesis drives random sequences of
submissions and revisions, the review flow's screening, decisions of every kind by the holder and by
anyone else — over the HTTP API and over the pages' form endpoint — publication, withdrawal, revoked
tokens and anonymous guesses, against one real database and the session's SeaweedFS.

After every step:
- nothing public (public bucket objects, every feed page's JSON, catalogue answers, metadata records)
  belongs to a version that is not fully reviewed with attribute 主动公开;
- every proactive version the office published is published exactly once;
- a refused act changed nothing but the audit log (the documents' and reviews' rows compared);
- and at each example's end the audit log verifies.

``GOVPUB_STATEFUL_EXAMPLES`` sets the number of examples per database (default 100: 200 in CI over
SQLite and PostgreSQL); ``GOVPUB_STATEFUL_STEPS`` the steps per example (default 15). Each example
adds new documents to one shared world, so the public-side checks see everything earlier examples
left, as an attacker would.
"""

from __future__ import annotations

import logging
import os
import sys
from collections import Counter
from datetime import timedelta
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test
from sqlmodel import Session, select

from flows.reconcile import redrive_publication
from services.principal import operator
from services.reconcile_tally import Tally
from services.sessions import csrf_token
from storage.models import Document, Publication, utcnow
from tests.api.conftest import REVIEWERS, USERS, ApiWorld, multipart, sample_submission
from tests.api.stateful_checks import check_public_side, snapshot
from tests.api.test_security import cli_env
from tests.e2e.conftest import govpub as run_govpub

EXAMPLES = int(os.environ.get("GOVPUB_STATEFUL_EXAMPLES", "100"))
STEPS = int(os.environ.get("GOVPUB_STATEFUL_STEPS", "15"))
PASSWORD = "stateful-test-password-1"
DOORS = ("api", "page") * 8 + ("cli",)  # the command line is a process per decision: rarer
DECISIONS = ("approve", "approve", "approve", "approve", "return", "reject", "refer")  # weighted
ATTRIBUTES = ("proactive", "on_application", "withheld")
ANSWERED = {200, 201, 303}  # the API's success, and the pages' redirect after a form
REFUSED = {401, 403, 409, 422}
REACHED: Counter[str] = Counter()  # what the examples did (printed at the end: -s shows it)


def event(name: str) -> None:
    REACHED[name] += 1


class DoorsMachine(RuleBasedStateMachine):
    """Documents of this example, driven through the doors; the world is shared by every example."""

    world: ApiWorld
    sessions: dict[str, str]

    def __init__(self) -> None:
        super().__init__()
        self.docs: list[str] = []
        self.owner: dict[str, str] = {}
        self.deactivated = False
        self._rows: dict[str, tuple[Document, Any]] | None = None
        self.http = httpx.Client(base_url=self.world.url, timeout=60, follow_redirects=False)

    def teardown(self) -> None:
        self.http.close()
        report = self.world.govpub.audit_verify(operator())
        assert report.problems == [], report.problems

    # --- helpers -------------------------------------------------------------------------------------

    def as_user(self, user: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.world.tokens[user]}"} if user else {}

    def rows(self) -> dict[str, tuple[Document, Any]]:
        """This example's documents and their current reviews, read once per step (preconditions ask often)."""
        if self._rows is None:
            with Session(self.world.govpub.app.engine) as session:
                found = session.exec(select(Document).where(Document.id.in_(self.docs))).all()  # type: ignore[attr-defined]
            self._rows = {d.id: (d, self.world.govpub.reviews.current(d.id)) for d in found}
        return self._rows

    def run(self, doc: str) -> Any:
        return self.rows()[doc][1]

    def row(self, doc: str) -> Document:
        return self.rows()[doc][0]

    def state(self, doc: str) -> str:
        return self.row(doc).state

    def expect(
        self, response: httpx.Response, *, allowed: bool, before: dict[str, Any], what: str, strict: bool = True
    ) -> None:
        """An allowed act succeeds (or is refused by a rule, changing nothing); any other is refused —
        or, where not ``strict``, answered as a no-op ("nothing to publish") — and changes nothing but
        the audit log."""
        outcome = "done" if allowed and response.status_code in ANSWERED else response.status_code
        event(f"{what.split(maxsplit=1)[0]}: {outcome}")
        if allowed and response.status_code in ANSWERED:
            return
        codes = REFUSED if strict or allowed else REFUSED | {200}
        assert response.status_code in codes, f"{what}: {response.status_code} {response.text[:300]}"
        assert snapshot(self.world) == before, f"{what}: refused ({response.status_code}) but something changed"

    # --- rules ---------------------------------------------------------------------------------------

    @rule(sample=st.integers(0, 4), attribute=st.sampled_from(ATTRIBUTES),
          drafter=st.sampled_from(("drafter", "drafter2", "drafter", "drafter2", "reviewer1", "office", "wechat")),
          explained=st.booleans())  # fmt: skip
    def submit(self, sample: int, attribute: str, drafter: str, explained: bool) -> None:
        """A new document over the API, its attribute labelled at source (only drafters may), then the review
        flow's part before it waits: begin and screen."""
        disclosure: dict[str, Any] = {"attribute": attribute}
        if attribute != "proactive":
            disclosure["reason"] = "状态机：内部事务信息"
        if attribute == "withheld":
            disclosure["ground"] = {"article": "art16_1"}
        payload, files = sample_submission(sample, disclosure=disclosure)
        payload["title"] = f"{payload['title']}（状态机{len(self.docs)}-{os.urandom(3).hex()}）"
        payload["drafter"] = drafter
        payload["interpretation_required"] = explained
        before = snapshot(self.world)
        response = self.http.post("/api/v1/documents", headers=self.as_user(drafter), **multipart(payload, files))
        if drafter in {"drafter", "drafter2"}:
            assert response.status_code == 201, response.text
            doc = response.json()["document_id"]
            self.docs.append(doc)
            self.owner[doc] = drafter
            self.world.begin_review(doc, 1)
            self._rows = None
        else:
            self.expect(response, allowed=False, before=before, what=f"submit by {drafter}")

    @precondition(lambda self: any(self.run(d) is None for d in self.docs))
    @rule(data=st.data())
    def screen(self, data: st.DataObject) -> None:
        """The review flow's part before it waits: begin and screen (no flow run: decisions resume nothing)."""
        doc = data.draw(st.sampled_from([d for d in self.docs if self.run(d) is None]))
        self.world.begin_review(doc, self.row(doc).current_version)
        self._rows = None

    def waiting(self) -> list[str]:
        return [d for d in self.docs if (v := self.run(d)) is not None and v.state.value == "waiting"]

    @precondition(lambda self: bool(self.waiting()))
    @rule(data=st.data(), decision=st.sampled_from(DECISIONS), door=st.sampled_from(DOORS),
          attribute=st.sampled_from(ATTRIBUTES), other=st.sampled_from((False, False, False, True)))  # fmt: skip
    def decide(self, data: st.DataObject, decision: str, door: str, attribute: str, other: bool) -> None:
        """A decision at the level waiting, by its holder or by anyone else, through the API or the pages."""
        self._decide(data, decision, door, attribute, other=other)

    @precondition(lambda self: bool(self.waiting()))
    @rule(data=st.data(), door=st.sampled_from(DOORS),
          attribute=st.sampled_from(("proactive", "proactive", "proactive", *ATTRIBUTES)))  # fmt: skip
    def approve(self, data: st.DataObject, door: str, attribute: str) -> None:
        """The holder approves (weighted, so that examples reach the end of the chain)."""
        self._decide(data, "approve", door, attribute, other=False)

    @precondition(lambda self: bool(self.waiting()))
    @rule(data=st.data(), doors=st.lists(st.sampled_from(DOORS), min_size=4, max_size=4))
    def carry_through(self, data: st.DataObject, doors: list[str]) -> None:
        """Every remaining level approved by its holder (主动公开 confirmed), then the office publishes —
        now, or (one time in three) with a release time an hour ahead first: the path to the public side,
        taken whole so that examples reach it among the other acts."""
        doc = data.draw(st.sampled_from(self.waiting()))
        for door in doors:
            if self.run(doc).state.value != "waiting":
                break
            self._decide(data, "approve", door, "proactive", other=False, doc=doc)
            self._rows = None
        if self.state(doc) == "approved":
            if data.draw(st.sampled_from((False, False, True))):
                self._schedule(doc, "office", 3600)
            self._publish(doc, "office")

    def _decide(
        self, data: st.DataObject, decision: str, door: str, attribute: str, *, other: bool, doc: str | None = None
    ) -> None:
        doc = doc or data.draw(st.sampled_from(self.waiting()))
        view = self.run(doc)
        holder = REVIEWERS.get(view.level.name) if view.state.value == "waiting" else None
        user = data.draw(st.sampled_from([u for u in USERS if u != holder])) if other or holder is None else holder
        last = view.position == len(view.levels) - 1
        body: dict[str, Any] = {"decision": decision, "comment": "状态机意见"}
        if decision == "approve" and last:
            body["attribute"] = attribute
            if attribute != "proactive":
                body["ground"] = "art16_1"
        before = snapshot(self.world)
        if door == "api":
            response = self.http.post(f"/api/v1/reviews/{doc}/decisions", headers=self.as_user(user), json=body)
        elif door == "cli":
            response = self._cli_decision(doc, user, body)
        else:
            secret = self.sessions[user]
            form = {**{k: str(v) for k, v in body.items()}, "csrf_token": csrf_token(secret)}
            response = self.http.post(f"/work/reviews/{doc}/decision", data=form,
                                      headers={"Cookie": f"govpub_session={secret}"})  # fmt: skip
        self.expect(
            response,
            allowed=user == holder,
            before=before,
            what=f"{decision} of {doc} by {user} at {view.level.name} via {door}",
        )
        self._rows = None
        event(f"door {door}")
        event(f"document {self.state(doc)}")

    def _cli_decision(self, doc: str, user: str, body: dict[str, Any]) -> httpx.Response:
        """``govpub review <decision>`` as a process with the user's token; its exit code as an HTTP status
        (0 done, 1 refused by a rule, 2 bad input) so that ``expect`` judges every door alike."""
        args = ["review", body["decision"], doc, "--comment", body["comment"]]
        if "attribute" in body:
            args += ["--attribute", body["attribute"], *(["--ground", body["ground"]] if "ground" in body else [])]
        done = run_govpub(cli_env(self.world, user), *args)
        assert "Traceback" not in done.stderr, done.stderr
        status = {0: 200, 1: 403, 2: 422}.get(done.returncode)
        assert status is not None, f"govpub {' '.join(args)}: exit {done.returncode}: {done.stderr}"
        return httpx.Response(status, text=done.stderr)

    @precondition(lambda self: any((v := self.run(d)) is not None and v.state.value == "referred" for d in self.docs))
    @rule(data=st.data(), cleared=st.booleans(), user=st.sampled_from(USERS))
    def resolve_referral(self, data: st.DataObject, cleared: bool, user: str) -> None:
        """The secrecy administration's answer, recorded by the office (anyone else is refused)."""
        doc = data.draw(st.sampled_from([d for d in self.docs if (v := self.run(d)) is not None
                                         and v.state.value == "referred"]))  # fmt: skip
        before = snapshot(self.world)
        response = self.http.post(f"/api/v1/referrals/{doc}/resolution", headers=self.as_user(user),
                                  json={"cleared": cleared, "comment": "保密行政管理部门意见"})  # fmt: skip
        self.expect(response, allowed=user == "office", before=before, what=f"referral answer on {doc} by {user}")

    def in_state(self, state: str) -> list[str]:
        return [d for d in self.docs if self.state(d) == state]

    @precondition(lambda self: bool(self.docs))
    @rule(data=st.data(), user=st.sampled_from(("office", "office", "office", "drafter", "leader", "wechat", None)))
    def publish(self, data: st.DataObject, user: str | None) -> None:
        """The office publishes an approved 主动公开 version; anything else is refused and changes nothing."""
        ready = [d for d in self.in_state("approved") if self.row(d).attribute == "proactive"]
        self._publish(data.draw(st.sampled_from(ready * 4 + self.docs)), user)

    def _publish(self, doc: str, user: str | None) -> None:
        row = self.row(doc)
        publishable = row.state == "approved" and row.attribute == "proactive"
        before = snapshot(self.world)
        response = self.http.post(f"/api/v1/documents/{doc}/publication", headers=self.as_user(user))
        self._rows = None
        if user == "office" and publishable:
            assert response.status_code == 200, response.text
            outcome = response.json()["state"]
            event(f"publication {outcome}")
            if outcome in {"held", "embargoed"}:  # waits for its interpretation, or its release time
                assert snapshot(self.world)["publications"] == before["publications"]
            else:
                assert (outcome, self.state(doc)) == ("published", "published"), response.text
        else:
            self.expect(response, allowed=False, before=before, what= f"publication of {doc} ({row.state}, {row.attribute}) by {user}",
                        strict=user != "office")  # fmt: skip

    @precondition(lambda self: bool(self.docs))
    @rule(data=st.data(), user=st.sampled_from(("office", "office", "drafter", "leader")))
    def withdraw(self, data: st.DataObject, user: str) -> None:
        """The office withdraws a published document (its public copies go); nobody else may."""
        doc = data.draw(st.sampled_from(self.in_state("published") * 2 + self.docs))
        published = self.state(doc) == "published"
        before = snapshot(self.world)
        response = self.http.post(f"/api/v1/documents/{doc}/withdrawal", headers=self.as_user(user),
                                  json={"reason": "状态机撤回"})  # fmt: skip
        if user == "office" and published:
            assert response.status_code == 200, response.text
            event("withdrawn")
        else:
            self.expect(
                response, allowed=False, before=before, what=f"withdrawal of {doc} by {user}", strict=user != "office"
            )

    @precondition(lambda self: bool(self.docs))
    @rule(data=st.data(), sample=st.integers(0, 4), other=st.booleans())
    def revise(self, data: st.DataObject, sample: int, other: bool) -> None:
        """Its drafter sends a new version (allowed where the rules allow: after a return, for one); the
        other drafter may not."""
        doc = data.draw(st.sampled_from(self.docs))
        drafter = self.owner[doc] if not other else ({"drafter", "drafter2"} - {self.owner[doc]}).pop()
        payload, files = sample_submission(sample, drafter=drafter)
        payload["title"] = f"{payload['title']}（修订{os.urandom(3).hex()}）"
        if self.state(doc) == "published":  # a correction (更正): its note says what changed
            payload["change_note"] = "状态机更正：订正第二段"
            event("correction submitted")
        before = snapshot(self.world)
        response = self.http.post(f"/api/v1/documents/{doc}/versions", headers=self.as_user(drafter),
                                  **multipart(payload, files))  # fmt: skip
        self.expect(response, allowed=not other, before=before, what=f"revision of {doc} by {drafter}")

    @precondition(lambda self: bool(self.docs))
    @rule(data=st.data(), user=st.sampled_from(("office", "office", "office", "drafter", "leader")),
          ahead=st.sampled_from((3600, 86400, None)))  # fmt: skip
    def schedule(self, data: st.DataObject, user: str, ahead: int | None) -> None:
        """The office sets (an hour or a day ahead) or clears an approved version's release time (定时发布);
        the public-side check then holds that nothing of it is public before that moment."""
        self._schedule(data.draw(st.sampled_from(self.in_state("approved") * 3 + self.docs)), user, ahead)

    def _schedule(self, doc: str, user: str, ahead: int | None) -> None:
        at = None if ahead is None else (utcnow() + timedelta(seconds=ahead)).isoformat()
        before = snapshot(self.world)
        response = self.http.post(f"/api/v1/documents/{doc}/release-time", headers=self.as_user(user),
                                  json={"release_at": at})  # fmt: skip
        self._rows = None
        self.expect(response, allowed=user == "office", before=before,
                    what=f"release time {ahead} s of {doc} ({self.state(doc)}) by {user}")  # fmt: skip

    @precondition(lambda self: bool(self.in_state("approved")))
    @rule()
    def reconcile(self) -> None:
        """The reconciler's publication part: due releases (embargoes whose time has come), interrupted
        withdrawals, status records, feeds, deliveries — with no failure."""
        tally = Tally(logging.getLogger(__name__))
        redrive_publication(self.world.govpub.publication, tally)
        assert tally.report.failed == 0, tally.report.summary()
        event(f"reconcile: {len(tally.report.published)} published")
        self._rows = None

    @precondition(lambda self: bool(self.docs))
    @rule(data=st.data(), user=st.sampled_from(("office", "office", "drafter", "leader")),
          validity=st.sampled_from(("expired", "repealed", "amended", "valid")))  # fmt: skip
    def change_validity(self, data: st.DataObject, user: str, validity: str) -> None:
        """The office records a published document's validity (失效 / 废止 / 已修改); nobody else may."""
        doc = data.draw(st.sampled_from(self.in_state("published") * 2 + self.docs))
        before = snapshot(self.world)
        response = self.http.put(f"/api/v1/documents/{doc}/validity", headers=self.as_user(user),
                                 json={"validity": validity, "note": "状态机：有效性变化"})  # fmt: skip
        self.expect(response, allowed=user == "office", before=before,
                    what=f"validity {validity} of {doc} ({self.state(doc)}) by {user}")  # fmt: skip

    @precondition(lambda self: bool(self.docs))
    @rule(data=st.data(), owner=st.sampled_from(("office", "reviewer1", "drafter")), by_admin=st.booleans())
    def revoked_token(self, data: st.DataObject, owner: str, by_admin: bool) -> None:
        """A token made, used, revoked (by an admin or its owner): then every act with it is refused (401)
        and changes nothing."""
        created = self.http.post(f"/api/v1/users/{owner}/tokens", headers=self.as_user("admin"),
                                 json={"expires_days": 1, "name": "状态机"})  # fmt: skip
        assert created.status_code == 201, created.text
        secret, token_id = created.json()["secret"], created.json()["token"]["id"]
        bearer = {"Authorization": f"Bearer {secret}"}
        assert self.http.get("/api/v1/me", headers=bearer).status_code == 200
        revoked = self.http.delete(f"/api/v1/tokens/{token_id}", headers=self.as_user("admin" if by_admin else owner))
        assert revoked.status_code == 200, revoked.text
        doc = data.draw(st.sampled_from(self.docs))
        before = snapshot(self.world)
        refused = {"decision": "approve", "comment": "已撤销的令牌"}
        for response in (
            self.http.post(f"/api/v1/documents/{doc}/publication", headers=bearer),
            self.http.post(f"/api/v1/reviews/{doc}/decisions", headers=bearer, json=refused),
            self.http.get("/api/v1/me", headers=bearer),
        ):
            assert response.status_code == 401, response.text
        assert snapshot(self.world) == before
        event("revoked token: refused")

    @precondition(lambda self: not self.deactivated and bool(self.waiting()))
    @rule(data=st.data())
    def deactivated_reviewer(self, data: st.DataObject) -> None:
        """A reviewer of the level waiting is added (by an admin, over the API), gets a token and a page
        session, and is deactivated: then their decision is refused on both doors and changes nothing
        (once per example: a user more each time)."""
        self.deactivated = True
        doc = data.draw(st.sampled_from(self.waiting()))
        name, admin = f"sm-{os.urandom(4).hex()}", self.as_user("admin")
        added = self.http.post("/api/v1/users", headers=admin, json={
            "username": name, "name": "状态机审核人", "roles": ["reviewer"], "review_levels": [self.run(doc).level.name],
        })  # fmt: skip
        assert added.status_code == 201, added.text
        token = self.http.post(f"/api/v1/users/{name}/tokens", headers=admin, json={"expires_days": 1})
        self.world.govpub.identities.set_password(operator(), name, PASSWORD)
        secret = self.world.govpub.sessions.sign_in(name, PASSWORD).secret
        gone = self.http.post(f"/api/v1/users/{name}/deactivation", headers=admin)
        assert gone.status_code == 200, gone.text
        before = snapshot(self.world)
        body = {"decision": "approve", "comment": "停用后的决定"}
        api = self.http.post(f"/api/v1/reviews/{doc}/decisions", json=body,
                             headers={"Authorization": f"Bearer {token.json()['secret']}"})  # fmt: skip
        page = self.http.post(f"/work/reviews/{doc}/decision", data={**body, "csrf_token": csrf_token(secret)},
                              headers={"Cookie": f"govpub_session={secret}"})  # fmt: skip
        assert api.status_code == 401, api.text
        assert (page.status_code, page.headers.get("location", "")[:7]) == (303, "/signin"), page.text
        assert snapshot(self.world) == before
        event("deactivated reviewer: refused")

    @precondition(lambda self: bool(self.docs))
    @rule(data=st.data())
    def guess(self, data: st.DataObject) -> None:
        """An anonymous caller asks for what is not public: the catalogue and the public objects answer 404."""
        doc = data.draw(st.sampled_from(self.docs))
        row = self.row(doc)
        number, state = row.index_number, row.state
        with Session(
            self.world.govpub.app.engine
        ) as session:  # a correction under review: its last version stays public
            public = session.exec(select(Publication).where(Publication.document_id == doc)).first() is not None
        if not number or (public and state != "withdrawn"):
            return
        if state == "withdrawn":  # the notice stays public, and nothing of the document
            notice = self.http.get(f"/api/v1/catalogue/{number}")
            assert (notice.status_code, notice.json()["status"]) == (200, "withdrawn"), notice.text
            assert not {"body", "attachments", "summary"} & set(notice.json()), notice.text  # only the notice
            assert self.http.get(f"/documents/{number}/1/metadata.json").status_code == 404
            return
        for path in (f"/api/v1/catalogue/{number}", f"/documents/{number}/1/metadata.json"):
            answer = self.http.get(path)
            assert answer.status_code == 404, (path, state, answer.status_code)

    @invariant()
    def nothing_public_early_or_twice(self) -> None:
        self._rows = None  # the step's act is done: read afresh
        check_public_side(self.world)


@pytest.fixture(scope="module")
def page_sessions(shared_world: ApiWorld) -> dict[str, str]:
    """A signed-in page session for every user of the world."""
    sessions = {}
    for user in USERS:
        shared_world.govpub.identities.set_password(operator(), user, PASSWORD)
        sessions[user] = shared_world.govpub.sessions.sign_in(user, PASSWORD).secret
    return sessions


def test_no_door_discloses_early_or_twice_or_lets_a_refusal_change_anything(
    shared_world: ApiWorld, page_sessions: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    machine = type("Machine", (DoorsMachine,), {"world": shared_world, "sessions": page_sessions})
    run_state_machine_as_test(machine, settings=settings(  # type: ignore[arg-type]
        max_examples=EXAMPLES, stateful_step_count=STEPS, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
    ))  # fmt: skip
    with capsys.disabled():  # what the examples reached, for the long run's figures (pytest -s not needed)
        sys.stdout.write(f"\nstateful: {EXAMPLES} examples × ≤{STEPS} steps; reached {dict(sorted(REACHED.items()))}\n")
    REACHED.clear()
