"""The review flow: screen, then wait (suspended) for a reviewer at each level of the chain.

The database decides where the review stands; the flow only waits. Each wait is a
``suspend_flow_run`` with a typed input and a deterministic key per document, version, level and
attempt. A decision made with ``govpub review`` is recorded before the run is resumed; a decision
typed into the Prefect UI's resume form is checked here by the same rules, and a refused one
makes the run wait again under a new key.
"""

from __future__ import annotations

from typing import Literal

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.context import get_run_context
from prefect.flow_runs import suspend_flow_run
from prefect.input import RunInput

from disclosure.attributes import DisclosureAttribute
from disclosure.errors import RuleViolation, Unauthenticated
from disclosure.review import Decision, ReviewState
from flows.runtime import review_service


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
def begin_review(document_id: str, version: int, flow_run_id: str) -> bool:
    """Open the version's review run; False when the version is no longer current."""
    return review_service().begin(document_id, version, flow_run_id) is not None


@task(persist_result=True, cache_policy=NO_CACHE, retries=2, retry_delay_seconds=5)
def screen_version(document_id: str, version: int) -> str:
    """Screen body and attachments and choose the chain (idempotent)."""
    return review_service().screen(document_id, version).state.value


@flow(name="review-document", persist_result=True)
def review_document(document_id: str, version: int = 1) -> str:
    """Drive one version through screening and its review chain; returns the final review state."""
    logger = get_run_logger()
    flow_run_id = str(get_run_context().flow_run.id)  # type: ignore[union-attr]
    if not begin_review(document_id, version, flow_run_id):
        logger.info("version %s of %s is no longer current", version, document_id)
        return ReviewState.VOIDED.value
    screen_version(document_id, version)
    service = review_service()
    while True:
        view = service.current(document_id)
        if view is None or view.version != version:
            return ReviewState.VOIDED.value
        if view.state is ReviewState.REFERRED:
            suspend_flow_run(wait_for_input=ReferralAnswer, key=view.suspend_key, timeout=None)
            continue
        if view.state is ReviewState.NEEDS_ATTENTION:
            logger.warning("review of %s v%s needs attention (see govpub review list); the reconciler starts it "
                           "again once what it depended on changed", document_id, version)  # fmt: skip
            return view.state.value
        if view.state is not ReviewState.WAITING:
            logger.info("review of %s v%s ended: %s", document_id, version, view.state.value)
            return view.state.value
        answer = suspend_flow_run(wait_for_input=ReviewInput, key=view.suspend_key, timeout=None)
        after = service.current(document_id)
        if after is not None and (after.position, after.state, after.attempt) != (
            view.position,
            view.state,
            view.attempt,
        ):
            continue  # recorded through govpub's own commands before the resume
        _decide_from_ui(view, answer)


def _decide_from_ui(view: object, answer: ReviewInput) -> None:
    """A decision typed into the resume form: same rules, or refused and waited for again."""
    from services.review_service import RunView  # noqa: PLC0415

    assert isinstance(view, RunView)  # noqa: S101
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
