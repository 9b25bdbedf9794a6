"""Serving the HTTP API and the pages beside a started embedded stack until Ctrl-C / SIGTERM, and
telling the person at the terminal where to look."""

from __future__ import annotations

import signal
import threading
from collections.abc import Sequence

from rich.console import Console
from rich.table import Table

from disclosure.errors import ServiceUnavailable
from govpub.cli_common import prefect_scheduler, resume_on_prefect
from govpub.stack import Stack
from services.bootstrap import App
from services.facade import Govpub
from services.identities import UserPublic


def serve_until_stopped(
    app: App, stack: Stack, prefect_api: str, console: Console, *, demo_users: Sequence[tuple[UserPublic, str]] = ()
) -> None:
    """Serve the API and pages at GOVPUB_API_BIND; print the addresses; stop cleanly on a signal."""
    from api.server import ApiServer  # noqa: PLC0415 - imports FastAPI and uvicorn
    from flows.prefect_events import PrefectEvents  # noqa: PLC0415 - imports prefect

    stopping = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):  # also when started in the background
        signal.signal(signum, lambda *_: stopping.set())
    served = Govpub(app, events=PrefectEvents(), resume=resume_on_prefect, scheduler=prefect_scheduler())
    with ApiServer(served, app.settings.api.bind) as http:
        where(console, http.url, prefect_api, demo_users)
        while not stopping.wait(1):
            dead = stack.check()
            if dead:
                raise ServiceUnavailable(
                    f"the {dead} exited; see {app.settings.data_dir / 'prefect' / (dead + '.log')}"
                )


def where(console: Console, url: str, prefect_api: str, demo_users: Sequence[tuple[UserPublic, str]]) -> None:
    """Where to look: the pages, the sign-in with the demo users, the API, the Prefect UI, the feeds."""
    table = Table("", "", title="govpub is serving (Ctrl-C stops everything)", show_header=False, title_justify="left")
    table.add_row("公开目录 public catalogue", f"{url}/catalogue")
    table.add_row("登录 sign-in (staff pages)", f"{url}/signin")
    table.add_row("审核工作台 reviewers", f"{url}/work/reviews")
    table.add_row("HTTP API", f"{url}/api/v1  (OpenAPI {url}/openapi.json, docs {url}/docs)")
    table.add_row("Prefect UI", prefect_api.removesuffix("/api"))
    table.add_row("feeds", f"{url}/feeds/all/atom.xml · {url}/feeds/all/rss.xml · {url}/feeds/all/feed.json")
    console.print(table)
    if demo_users:
        people = Table("user", "roles", "review levels", "password", title="demo users (sign in with these)",
                       title_justify="left")  # fmt: skip
        for user, password in demo_users:
            people.add_row(user.username, ", ".join(user.roles), ", ".join(user.review_levels), password)
        console.print(people)
