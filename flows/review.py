"""The review flow: screen, then wait (paused) for a reviewer at each level of the chain.

The database decides where the review stands; the flow only waits. Each wait is a Paused state with a
typed input and a deterministic key per document, version, level and attempt (flows/waiting.py),
its timeout the review window. Inside the govpub worker the run stays in the worker's process while
it waits, and is woken within a poll interval of its resume. A decision made with ``govpub review``
(or the API, or the pages) is recorded before the run is resumed; one recorded while the run was
between two waits is found when it reads the record again. A decision typed into the Prefect UI's
resume form is checked here by the same rules, and a refused one makes the run wait again under a
new key. The flow is async: its blocking calls run in threads, so one worker hosts many waits.
"""

from __future__ import annotations

import asyncio
from typing import Literal

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.context import get_run_context
from prefect.input import RunInput

from disclosure.attributes import DisclosureAttribute
from disclosure.errors import RuleViolation, Unauthenticated
from disclosure.review import Decision, ReviewState
from flows.runtime import review_service, review_window_seconds
from flows.waiting import Woken, wait_for_input
from services.review_service import WAIT_AGAIN, RunView

DAY = 86_400


class ReviewInput(RunInput):
    """A reviewer's decision, as the Prefect UI's resume form asks for it."""

    decision: Literal["approve", "return", "reject", "refer"]
    # The reviewer's personal API token (`govpub users token create USER`): a decision needs the
    # reviewer's own credentials on this door too; the open-source UI has no login of its own.
    token: str
    comment: str = ""
    confirmed_attribute: Literal["proactive", "on_application", "withheld"] | None = None
    confirmed_ground: str | None = None
    acknowledge_unscreened: bool = False  # approving although screening could not read some files


class ReferralAnswer(RunInput):
    """Acknowledges that the secrecy administration's answer was recorded with govpub."""

    recorded_by: str


@task(persist_result=True, cache_policy=NO_CACHE)
async def begin_review(document_id: str, version: int, flow_run_id: str) -> bool:
    """Open the version's review run; False when the version is no longer current."""
    run = await asyncio.to_thread(review_service().begin, document_id, version, flow_run_id)
    return run is not None


@task(persist_result=True, cache_policy=NO_CACHE, retries=2, retry_delay_seconds=5)
async def screen_version(document_id: str, version: int) -> str:
    """Screen body and attachments and choose the chain (idempotent)."""
    view = await asyncio.to_thread(review_service().screen, document_id, version)
    return view.state.value


def wait_key(suspend_key: str, again: int) -> str:
    """The pause key of the run's ``again``-th wait at one level and attempt (Prefect refuses a key
    twice; a key holds lowercase letters, digits and dashes only)."""
    return suspend_key if again == 0 else f"{suspend_key}{WAIT_AGAIN}{again}"


def _where(view: RunView | None) -> tuple[object, ...] | None:
    return None if view is None else (view.version, view.position, view.state, view.attempt)


@flow(name="review-document", persist_result=True)
async def review_document(document_id: str, version: int = 1) -> str:
    """Drive one version through screening and its review chain; returns the final review state."""
    logger = get_run_logger()
    flow_run_id = str(get_run_context().flow_run.id)  # type: ignore[union-attr]
    if not await begin_review(document_id, version, flow_run_id):
        logger.info("version %s of %s is no longer current", version, document_id)
        return ReviewState.VOIDED.value
    await screen_version(document_id, version)
    service = review_service()
    window = review_window_seconds()
    waits: dict[str, int] = {}  # a key waited on again (timeout, an unrecorded referral answer) takes a suffix
    while True:
        view = await asyncio.to_thread(service.current, document_id)
        if view is None or view.version != version:
            return ReviewState.VOIDED.value
        if view.state is ReviewState.NEEDS_ATTENTION:
            logger.warning("review of %s v%s needs attention (see govpub review list); the reconciler starts it "
                           "again once what it depended on changed", document_id, version)  # fmt: skip
            return view.state.value
        if view.state not in {ReviewState.WAITING, ReviewState.REFERRED}:
            logger.info("review of %s v%s ended: %s", document_id, version, view.state.value)
            return view.state.value

        async def moved_on(seen: RunView = view) -> bool:
            return _where(await asyncio.to_thread(service.current, document_id)) != _where(seen)

        wanted: type[RunInput] = ReferralAnswer if view.state is ReviewState.REFERRED else ReviewInput
        again = waits.get(view.suspend_key, 0)
        waits[view.suspend_key] = again + 1
        key = wait_key(view.suspend_key, again)
        wake = await wait_for_input(wanted, key=key, seconds=window, moved_on=moved_on)
        if wake.woken is Woken.TIMED_OUT:
            logger.warning("review of %s v%s has waited %.0f days at %s; still waiting", document_id, version,
                           window / DAY, view.suspend_key)  # fmt: skip
            continue
        if not isinstance(wake.value, ReviewInput) or await moved_on():
            # woken with no input (an act recorded through govpub's own doors, or the reconciler: read the
            # record again), or a referral's answer
            continue
        await asyncio.to_thread(_decide_from_ui, view, wake.value)


def _decide_from_ui(view: RunView, answer: ReviewInput) -> None:
    """A decision typed into the resume form: same rules, or refused and waited for again."""
    logger = get_run_logger()
    service = review_service()
    from flows.runtime import govpub, ui_decisions_allowed  # noqa: PLC0415

    if not ui_decisions_allowed():
        service.refuse(view, reviewer="(resume form)", reason="decisions are accepted only through govpub review")
        logger.warning("refused a resume-form decision: this deployment accepts govpub review only")
        return
    try:
        principal = govpub().identities.authenticate_token(answer.token, via="ui")
    except Unauthenticated as exc:
        service.refuse(view, reviewer="(resume form)", reason=str(exc))
        logger.warning("refused a resume-form decision: %s", exc)
        return
    try:
        govpub().decide(
            principal, view.document_id, Decision(answer.decision), comment=answer.comment,
            attribute=DisclosureAttribute(answer.confirmed_attribute) if answer.confirmed_attribute else None,
            ground=answer.confirmed_ground, acknowledge_unscreened=answer.acknowledge_unscreened,
        )  # fmt: skip
    except RuleViolation as exc:
        service.refuse(view, reviewer=principal.username, reason=str(exc))
        logger.warning("refused a resume-form decision by %r: %s", principal.username, exc)
