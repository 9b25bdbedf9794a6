"""Every case of the hostile corpus through every door it can be sent by: the API (SQLite and
PostgreSQL), the pages' drafting form and ``govpub submit`` (SQLite). A refusal names the field
attacked in a readable line and leaves every row and every object of both buckets as it was; an
accepted case is stored (test_neutralised.py takes such documents to the public side)."""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from services.sessions import csrf_token
from tests.api.conftest import ApiWorld
from tests.e2e.conftest import govpub
from tests.hostile.conftest import PASSWORD
from tests.hostile.corpus import SUBMISSIONS, Case, Sent, base
from tests.hostile.doors import (
    Outcome,
    Runner,
    changes,
    cli_env,
    in_process,
    page_target,
    snapshot,
    via_api,
    via_cli,
    via_page,
)
from tests.hostile.files import ATTACHMENTS, NAMES
from tests.hostile.vectors import VECTORS, script_problems

CORPUS: list[Case] = [*SUBMISSIONS, *ATTACHMENTS, *NAMES]


def door_cases(door: str) -> list[Case]:
    return [case for case in CORPUS if door in case.doors]


def test_the_corpus_is_well_formed() -> None:
    names = [case.name for case in CORPUS]
    assert len(names) == len(set(names)), "case names are unique"
    counts = {door: len(door_cases(door)) for door in ("cli", "api", "page")}
    assert min(counts.values()) >= 50, counts
    # the checker sees script in the raw vectors (else a clean scan would prove nothing)
    caught = [v for v in VECTORS if script_problems(v)]
    assert len(caught) >= len(VECTORS) - 4, set(VECTORS) - set(caught)


def _refused_leaves_nothing(world: ApiWorld, case: Case, door: str, send: Callable[[Sent], Outcome]) -> Outcome:
    """Send the case; if it is to be refused, every row and object must be as it was before."""
    sent = case.make()
    before = snapshot(world) if case.expected(door)[1] is not None else None
    outcome = send(sent)
    if before is not None:
        after = snapshot(world)
        assert after == before, f"{case.name} via {door} was refused but changed {changes(before, after)}"
    return outcome


@pytest.mark.parametrize("case", door_cases("api"), ids=lambda c: c.name)
def test_through_the_api(any_world: ApiWorld, case: Case) -> None:
    outcome = _refused_leaves_nothing(any_world, case, "api", lambda sent: via_api(any_world, sent))
    outcome.check(case, "api")


@pytest.fixture(scope="module")
def drafter_session(sqlite_world: ApiWorld) -> str:
    secret: str = sqlite_world.govpub.sessions.sign_in("drafter", PASSWORD).secret
    assert csrf_token(secret)
    return secret


@pytest.mark.parametrize("case", door_cases("page"), ids=lambda c: c.name)
def test_through_the_drafting_form(sqlite_world: ApiWorld, drafter_session: str, case: Case) -> None:
    outcome = _refused_leaves_nothing(
        sqlite_world, case, "page", lambda sent: via_page(sqlite_world, drafter_session, sent)
    )
    # the form shows each violation at its field: the JSON path's field (``$.disclosure.reason`` → reason)
    outcome.check(Case(case.name, page_target(case), case.make, case.expected("page")[1], case.doors), "page")


# one case of each family also as a separate process (a Python start-up each: the rest run in process)
AS_PROCESS = (
    "json-deep-array",
    "encoding-gbk",
    "schema-drafter-unknown",
    "control-bel-title",
    "zip-bomb-ratio",
    "wrong-sha256",
    "name-dot-dot",
    "name-device-con",
    "markup-title",
    "name-leading-dash",
)


def test_through_the_command_line(sqlite_world: ApiWorld, tmp_path: Path) -> None:
    """Each case as ``govpub submit`` in this process, the refused ones first with the rows and objects
    compared around them, then the accepted ones; a few as processes of their own, at once."""
    env = cli_env(sqlite_world, dict(os.environ))
    cases = door_cases("cli")
    refused = [c for c in cases if c.expected("cli")[1] is not None]
    accepted = [c for c in cases if c.expected("cli")[1] is None]
    failures: list[str] = []

    def run(case: Case, runner: Runner, where: Path) -> None:
        try:
            via_cli(env, case.make(), where / case.name, run=runner).check(case, "cli")
        except AssertionError as exc:
            failures.append(str(exc)[:1500])

    before = snapshot(sqlite_world)
    for case in refused:
        run(case, in_process, tmp_path / "in")
    processes = [c for c in refused if c.name in AS_PROCESS]
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda c: run(c, govpub, tmp_path / "process"), processes))
    after = snapshot(sqlite_world)
    assert after == before, f"refused submissions changed {changes(before, after)}"
    for case in accepted:
        run(case, in_process if case.name not in AS_PROCESS else govpub, tmp_path / "in")
    assert len(processes) + len([c for c in accepted if c.name in AS_PROCESS]) == len(AS_PROCESS)
    assert failures == [], "\n".join(failures)


@pytest.mark.xfail(
    strict=True,
    reason="Starlette decodes a form field that is not UTF-8 as Latin-1 and the form accepts the mojibake "
    "(a GBK 关于… title is stored as '¹ØÓÚ…'); refusing it needs each part's raw bytes (not yet done)",
)
@pytest.mark.parametrize("codec", ["gbk", "gb18030"])
def test_a_form_field_in_another_encoding_is_refused_at_its_field(
    sqlite_world: ApiWorld, drafter_session: str, codec: str
) -> None:
    sent = Sent(b"", {**base(), "title": "关于印发政务公开工作要点的通知"})
    before = snapshot(sqlite_world)
    outcome = via_page(sqlite_world, drafter_session, sent, encodings={"title": codec})
    assert snapshot(sqlite_world) == before
    outcome.check(Case(f"form-{codec}", "title", lambda: sent, "UTF-8"), "page")
