"""`govpub demo`: the corpus through the whole review path, decided the way reviewers would."""

from __future__ import annotations

import copy
import json
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from uuid import UUID

from rich.console import Console
from rich.table import Table

from disclosure.attributes import DisclosureAttribute
from disclosure.errors import ServiceUnavailable
from disclosure.review import Decision, ReviewState
from disclosure.states import DocumentState
from govpub.samples import Sample, load_samples, sample_interpretation
from services.facade import Govpub
from services.identities import UserPublic
from services.principal import Principal, operator
from services.review_service import RunView

REVIEWERS = {"初审": "reviewer1", "复审": "reviewer2", "保密审查": "secrecy", "终审": "leader"}


@dataclass
class Plan:
    """What the demo does with one document."""

    name: str
    document_id: str
    return_once: bool = False
    reject: bool = False
    attribute: DisclosureAttribute = DisclosureAttribute.PROACTIVE
    log: list[str] = field(default_factory=list)


def paused_on(view: RunView) -> bool:
    """Whether the flow run is waiting (paused) on the run's current key."""
    from prefect.client.orchestration import get_client  # noqa: PLC0415

    if view.flow_run_id is None:
        return False
    with get_client(sync_client=True) as client:
        state = client.read_flow_run(UUID(view.flow_run_id)).state
    return bool(state and state.is_paused() and view.waits_on(state.state_details.pause_key or ""))


def credentials(govpub: Govpub, usernames: list[str]) -> dict[str, Principal]:
    """Each demo user signs in the way people do: a personal token, created by the operator."""
    signed_in = {}
    for username in usernames:
        made = govpub.identities.create_token(operator(), username, expires_days=1, name="govpub demo")
        signed_in[username] = govpub.identities.authenticate_token(made.secret, via="cli")
    return signed_in


DEMO_PASSWORD = "govpub-demo-"  # noqa: S105 - the demo's well-known passwords: govpub-demo-<user name>


def demo_passwords(govpub: Govpub) -> list[tuple[UserPublic, str]]:
    """Give every active demo user the demo password (printed for the newcomer who signs in)."""
    users = []
    for user in govpub.identities.list_users(operator()):
        if user.active:
            password = DEMO_PASSWORD + user.username
            govpub.identities.set_password(operator(), user.username, password)
            users.append((user, password))
    return users


def run_demo(govpub: Govpub, console: Console, timeout: float = 1200) -> bool:
    """Submit the corpus and decide every step; True when every document reached its end state."""
    people = credentials(govpub, ["drafter", *sorted(set(REVIEWERS.values()))])
    drafter = people["drafter"]
    plans: list[Plan] = []
    samples = load_samples()
    with tempfile.TemporaryDirectory() as scratch:
        for index, sample in enumerate(samples):
            data = copy.deepcopy(sample.submission)
            data["summary"] = data["summary"][:90] + f"（演示{int(time.time()) % 100000}）"
            path = Path(scratch) / f"{sample.name}.json"
            path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
            for name, content in sample.files.items():
                (Path(scratch) / name).write_bytes(content)
            result = govpub.submit(drafter, path.read_bytes(), beside=path.parent)
            attribute = DisclosureAttribute.ON_APPLICATION if index == 3 else DisclosureAttribute.PROACTIVE  # noqa: PLR2004
            plans.append(Plan(sample.name, result.document_id, return_once=index == 0, reject=index == 1,
                              attribute=attribute))  # fmt: skip
            console.print(f"submitted [bold]{sample.name}[/bold] → {result.document_id}")
            if data["interpretation_required"]:  # 谁起草、谁解读: the drafter interprets, reviewed on its own chain
                raw = json.dumps(sample_interpretation(result.document_id, data), ensure_ascii=False).encode()
                interpretation = govpub.submit(drafter, raw)
                plans.append(Plan(f"{sample.name} 解读", interpretation.document_id))
                console.print(f"submitted its interpretation → {interpretation.document_id}")
        deadline = time.monotonic() + timeout
        pending = {p.document_id: p for p in plans}
        while pending and time.monotonic() < deadline:
            for plan in list(pending.values()):
                if _step(plan, govpub, people, samples, scratch, console):
                    del pending[plan.document_id]
            time.sleep(0.5)
        console.print("reviews done; waiting for publication (publish-document deployment)…")
        unpublished = _wait_for_publication(govpub, plans, deadline)
    table = Table("document", "id", "review", "now", "steps", title="demo")
    for plan in plans:
        view = govpub.reviews.current(plan.document_id)
        document = govpub.document(operator(), plan.document_id)
        now = f"{document['state']} {document['index_number'] or ''}"
        table.add_row(plan.name, plan.document_id, view.state.value if view else "not started", now,
                      " → ".join(plan.log))  # fmt: skip
    console.print(table)
    return not pending and not unpublished


def leave_for_the_browser(govpub: Govpub, console: Console) -> str:
    """Submit one more document with a finding and leave it waiting at the first level, so a newcomer
    sees the workbench with something to decide; its id."""
    sample = load_samples()[2]
    data = copy.deepcopy(sample.submission)
    data["title"] = "（待审示例）" + data["title"]
    data["summary"] = data["summary"][:80] + f"（演示{int(time.time()) % 100000}）"
    data["body"] += "\n联系人：王先生，联系电话 13912345678。"  # a screening finding, shown masked
    with tempfile.TemporaryDirectory() as scratch:
        paths = []
        for name, content in sample.files.items():
            (Path(scratch) / name).write_bytes(content)
            paths.append(Path(scratch) / name)
        drafter = credentials(govpub, ["drafter"])["drafter"]
        result = govpub.submit(drafter, json.dumps(data, ensure_ascii=False).encode("utf-8"), files=paths)
    console.print(f"left waiting for you at the first review level: {result.document_id} (sign in as reviewer1)")
    return result.document_id


def _wait_for_publication(govpub: Govpub, plans: list[Plan], deadline: float) -> set[str]:
    """Wait until every approved 主动公开 document is published; return those that are not."""
    while True:
        rows = [govpub.document(operator(), p.document_id) for p in plans]
        waiting = {d["id"] for d in rows if d["state"] == DocumentState.APPROVED.value
                   and d["attribute"] == DisclosureAttribute.PROACTIVE.value}  # fmt: skip
        if not waiting or time.monotonic() > deadline:
            return waiting
        time.sleep(0.5)


def _step(  # noqa: PLR0917 - one demo step needs its whole context
    plan: Plan,
    govpub: Govpub,
    people: dict[str, Principal],
    samples: list[Sample],
    scratch: str,
    console: Console,
) -> bool:
    """Act on one document if it waits; True when it has reached its end."""
    view = govpub.reviews.current(plan.document_id)
    if view is None:
        return False
    if view.state in {ReviewState.APPROVED, ReviewState.REJECTED}:
        return True
    if view.state is ReviewState.RETURNED:
        sample = next(s for s in samples if s.name == plan.name)
        data = copy.deepcopy(sample.submission)
        data["summary"] = "（已按审核意见修改）" + data["summary"][:80]
        result = govpub.submit(people["drafter"], json.dumps(data, ensure_ascii=False).encode(),
                               beside=Path(scratch), revise=plan.document_id)  # fmt: skip
        plan.log.append(f"resubmitted v{result.version}")
        console.print(f"{plan.name}: drafter resubmitted as version {result.version}")
        return False
    if view.state is not ReviewState.WAITING or view.level is None or not paused_on(view):
        return False
    level = view.level.name
    reviewer = REVIEWERS.get(level, "leader")
    last = view.position == len(view.levels) - 1
    attribute: DisclosureAttribute | None = None
    ground: str | None = None
    if plan.return_once and view.version == 1:
        decision, comment = Decision.RETURN, "概述需补充发布机构，请修改后重新报送"
    elif plan.reject and last:
        decision, comment = Decision.REJECT, "内容已过时效，不再公开"
    elif last and plan.attribute is not DisclosureAttribute.PROACTIVE:
        decision, comment, attribute, ground = Decision.APPROVE, "涉及特定对象，依申请公开", plan.attribute, "art16_2"
    elif last:
        decision, comment, attribute = Decision.APPROVE, "同意公开", DisclosureAttribute.PROACTIVE
    else:
        decision, comment = Decision.APPROVE, "同意"
    try:
        govpub.decide(people[reviewer], plan.document_id, decision, comment=comment, attribute=attribute,
                      ground=ground)  # fmt: skip
    except ServiceUnavailable as exc:
        console.print(f"[yellow]{plan.name}: {exc}[/yellow]")
    plan.log.append(f"{level}:{decision.value}")
    console.print(f"{plan.name}: {level} {decision.value} by {reviewer}")
    return False
