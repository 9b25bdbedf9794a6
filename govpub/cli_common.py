"""What every govpub command shares: consoles, exit codes, the composition of the application layer,
and who the command acts as (a token, development's ``--as``, or the local operator)."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console

from disclosure.errors import (
    AuditChainBroken,
    ConfigurationError,
    Forbidden,
    GovpubError,
    InvalidInput,
    NotFound,
    RuleViolation,
    ServiceUnavailable,
    Unauthenticated,
    Violation,
)
from govpub.stack import healthy, running_api, use_prefect
from services.bootstrap import App, open_app
from services.facade import Govpub
from services.principal import Principal, operator
from services.release_times import PublishScheduler
from services.review_service import EventSink, NoEvents
from services.reviewing import WaitingRun
from services.settings import Environment, Settings, load_settings

out = Console()
err = Console(stderr=True)

EXIT_INVALID = 2
EXIT_UNAVAILABLE = 3
_EXIT_CODES: tuple[tuple[type[GovpubError], int], ...] = (
    (InvalidInput, EXIT_INVALID),
    (ConfigurationError, EXIT_INVALID),
    (ServiceUnavailable, EXIT_UNAVAILABLE),
    (NotFound, 1),
    (RuleViolation, 1),
    (AuditChainBroken, 1),
    (Unauthenticated, 1),
)


def fail(exc: GovpubError) -> NoReturn:
    """Print a typed error as users read it and exit with its code."""
    if isinstance(exc, InvalidInput):
        for violation in exc.violations:
            err.print(str(violation), markup=False, highlight=False, soft_wrap=True)
    else:
        err.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
    code = next((c for kind, c in _EXIT_CODES if isinstance(exc, kind)), 1)
    raise typer.Exit(code)


def handled(func: Callable[..., None]) -> Callable[..., None]:
    """Turn govpub's typed errors into messages and exit codes; no tracebacks for users."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> None:  # noqa: ANN401
        try:
            func(*args, **kwargs)
        except GovpubError as exc:
            fail(exc)

    return wrapper


def events_for(opened: App) -> EventSink:
    """Events go to Prefect when a server (configured, or the one `govpub serve` runs) answers; otherwise
    they are logged: a configured server that is down would hold the command's exit for half a minute
    while Prefect's events client retries, and print its warnings; the reconciler starts what the
    events would have (reviews, publication, scheduled releases)."""
    api = running_api(opened.settings)
    if api is None or not healthy(api):
        return NoEvents()
    use_prefect(opened.settings, api)
    from flows.prefect_events import PrefectEvents  # noqa: PLC0415 - imports prefect

    return PrefectEvents()


def prefect_scheduler() -> PublishScheduler:
    """The PublishScheduler for commands and the API: Prefect's, imported only when needed."""
    from flows.schedule import PrefectScheduler  # noqa: PLC0415 - imports prefect

    return PrefectScheduler()


def resume_on_prefect(view: WaitingRun) -> None:
    """The Resumer for commands: Prefect's wake, imported only when a decision needs it."""
    from flows.resume import resume  # noqa: PLC0415 - imports prefect

    resume(view)


def token_file(settings: Settings) -> Path:
    """Where ``govpub login`` keeps the token for this data directory (mode 0600)."""
    return settings.data_dir / "credentials" / "token"


def saved_token(settings: Settings) -> str | None:
    """GOVPUB_TOKEN, else the token ``govpub login`` saved, else None."""
    given = os.environ.get("GOVPUB_TOKEN", "").strip()
    if given:
        return given
    path = token_file(settings)
    try:
        return path.read_text("utf-8").strip() or None
    except FileNotFoundError:
        return None


def principal_for(opened: App, as_user: str | None, implied_user: str | None = None) -> Principal:
    """Who the command acts as: the token's user; ``--as USER`` in development only; else the operator.

    ``implied_user`` (the drafter a submission file names) counts as ``--as`` in development only,
    so a fresh embedded set-up can submit sample files; production always needs credentials.
    """
    token = saved_token(opened.settings)
    if token:
        principal = opened.identities.authenticate_token(token, via="cli")
        if as_user and as_user != principal.username:
            raise Forbidden(f"--as {as_user} does not match the credentials in use ({principal.username})")
        return principal
    if not as_user and implied_user and opened.settings.environment is Environment.DEVELOPMENT:
        try:
            return opened.identities.impersonate(implied_user, via="cli")
        except Unauthenticated as exc:  # the submission file named them: say so, at its field
            raise InvalidInput([Violation("$.drafter", str(exc))]) from None
    if as_user:
        if opened.settings.environment is Environment.PRODUCTION:
            raise Unauthenticated("--as is refused in production: run `govpub login USER` or set GOVPUB_TOKEN")
        return opened.identities.impersonate(as_user, via="cli")
    return operator("cli")


@contextmanager
def open_govpub(
    as_user: str | None = None,
    *,
    owner: str = "call",
    config: dict[str, Any] | None = None,
    implied_user: str | None = None,
) -> Iterator[tuple[Govpub, Principal]]:
    """The application layer for one command, and the principal it acts as."""
    settings = load_settings()
    with open_app(settings, owner=owner, config=config) as opened:
        principal = principal_for(opened, as_user, implied_user)
        events = events_for(opened)  # Prefect's when a server runs: release times are then scheduled on it too
        scheduler = None if isinstance(events, NoEvents) else prefect_scheduler()
        yield Govpub(opened, events=events, resume=resume_on_prefect, scheduler=scheduler), principal


def left_for_reconciler(left: str | None) -> None:
    """The change is recorded, but a backing service stopped its aftercare: exit 3, one line."""
    if left:
        raise ServiceUnavailable(f"recorded, but {left}")
