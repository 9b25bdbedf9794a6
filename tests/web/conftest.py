"""The pages in a real browser: Playwright driving Debian's Chromium against the real server (uvicorn
on a free loopback port, real database, the session's SeaweedFS), as in tests/api. Each test gets a
fresh world and fresh browser contexts (one per person, so cookies never mix).

Screenshots of every page a test looks at are kept under ``var/screenshots/`` (GOVPUB_SCREENSHOTS
to put them elsewhere) as test artifacts."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Dialog, Page, Playwright, sync_playwright

from services.principal import operator
from storage.seaweed import SeaweedEndpoint
from tests.api.conftest import USERS, ApiWorld, run_world, settings_for

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-quic", "--disable-sync"]  # fmt: skip
PASSWORD = "page-test-password-1"
ROOT = Path(__file__).resolve().parents[2]
AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = Path(os.environ.get("GOVPUB_SCREENSHOTS", ROOT / "var" / "screenshots"))
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    """Playwright's driver for the whole run."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package (.ci/run does)")
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """One Chromium for the run."""
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


class People:
    """One browser context per person (their own cookies), signed in through the sign-in page."""

    def __init__(self, browser: Browser, world: ApiWorld) -> None:
        self._browser = browser
        self.world = world
        self._contexts: list[BrowserContext] = []

    def anonymous(self, *, mobile: bool = False) -> Page:
        """A page of a fresh browser context that has signed in as nobody."""
        viewport = {"width": 390, "height": 844} if mobile else {"width": 1280, "height": 900}
        context = self._browser.new_context(base_url=self.world.url, locale="zh-CN", viewport=viewport)  # type: ignore[arg-type]
        context.set_default_timeout(15_000)
        self._contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: pytest.fail(f"a script error on {page.url}: {error}"))
        return page

    def signed_in(self, user: str) -> Page:
        """A page of a fresh context, signed in as ``user`` through the form."""
        page = self.anonymous()
        page.goto("/signin")
        page.get_by_label("用户名").fill(user)
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_load_state()
        assert "/signin" not in page.url, page.content()
        return page

    def close(self) -> None:
        for context in self._contexts:
            context.close()


@pytest.fixture
def web_world(database_url: str, seaweed: SeaweedEndpoint, tmp_path: Path) -> Iterator[ApiWorld]:
    """A fresh server per test on SQLite and PostgreSQL; every sample user has PASSWORD."""
    for world in run_world(settings_for(database_url, seaweed, tmp_path / "data"), tmp_path):
        for user in USERS:
            world.govpub.identities.set_password(operator(), user, PASSWORD)
        yield world


@pytest.fixture
def sqlite_web_world(seaweed: SeaweedEndpoint, tmp_path: Path) -> Iterator[ApiWorld]:
    """The same on SQLite only (for tests whose subject does not depend on the database)."""
    settings = settings_for(f"sqlite:///{tmp_path / 'govpub.db'}", seaweed, tmp_path / "data")
    for world in run_world(settings, tmp_path):
        for user in USERS:
            world.govpub.identities.set_password(operator(), user, PASSWORD)
        yield world


@pytest.fixture
def people(browser: Browser, request: pytest.FixtureRequest) -> Iterator[People]:
    """Browser contexts on the test's world (``web_world`` or ``sqlite_web_world``)."""
    name = "web_world" if "web_world" in request.fixturenames else "sqlite_web_world"
    crowd = People(browser, request.getfixturevalue(name))
    yield crowd
    crowd.close()


@pytest.fixture
def shot(request: pytest.FixtureRequest) -> Callable[[Page, str], Path]:
    """Keep a full-page screenshot of the page as a test artifact."""

    def take(page: Page, name: str) -> Path:
        test = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
        path = SHOTS / f"{test}--{name}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=path, full_page=True)
        return path

    return take


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """WCAG 2.1 A and AA violations axe-core finds on the page as it is now."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm ci` in tests/web (make install does)")
    # evaluated over the DevTools protocol: the pages' CSP (no inline script) does not apply to it
    page.evaluate(AXE.read_text(encoding="utf-8") + "\n;0")
    result = page.evaluate("(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG)
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
    ]


def describe(violations: list[dict[str, Any]]) -> str:
    """Violations as readable text for an assertion message."""
    return json.dumps(violations, ensure_ascii=False, indent=1)


def watch_dialogs(page: Page) -> list[str]:
    """Every dialog a page opens (a script that ran: there must be none); dismissed and kept."""
    opened: list[str] = []

    def seen(dialog: Dialog) -> None:
        opened.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", seen)
    return opened
