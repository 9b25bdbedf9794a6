"""One world per test module and database for the hostile corpus: the API and pages on uvicorn, the
session's SeaweedFS, an upload limit small enough to exceed cheaply (tests/hostile/files.py LIMIT)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from services.principal import operator
from storage.seaweed import SeaweedEndpoint
from tests.api.conftest import USERS, ApiWorld, postgres_schema, run_world, settings_for
from tests.hostile.files import LIMIT
from tests.web.conftest import CHROMIUM, CHROMIUM_ARGS

PASSWORD = "hostile-test-password-1"


def _world(url: str, seaweed: SeaweedEndpoint, tmp: Path) -> Iterator[ApiWorld]:
    for world in run_world(settings_for(url, seaweed, tmp / "data", max_upload_bytes=LIMIT), tmp):
        for user in USERS:
            world.govpub.identities.set_password(operator(), user, PASSWORD)
        yield world


@pytest.fixture(scope="module")
def sqlite_world(seaweed: SeaweedEndpoint, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiWorld]:
    """One world on SQLite for the module."""
    tmp = tmp_path_factory.mktemp("hostile")
    yield from _world(f"sqlite:///{tmp / 'govpub.db'}", seaweed, tmp)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def any_world(
    request: pytest.FixtureRequest, seaweed: SeaweedEndpoint, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ApiWorld]:
    """One world per module on SQLite, then one on PostgreSQL (its own schema, dropped after)."""
    tmp = tmp_path_factory.mktemp("hostile")
    if request.param == "sqlite":
        yield from _world(f"sqlite:///{tmp / 'govpub.db'}", seaweed, tmp)
        return
    with postgres_schema(request.getfixturevalue("postgres_dsn")) as url:
        yield from _world(url, seaweed, tmp)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Chromium for test_neutralised.py, stopped with its module: a sync Playwright driver left running
    keeps an event loop running in the main thread, where later tests (asyncio.run) and the web
    suite's own driver could not start theirs."""
    with sync_playwright() as driver:
        chromium = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
