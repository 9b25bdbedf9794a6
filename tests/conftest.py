"""Real services for the test run: one SeaweedFS, PostgreSQL and SQLite databases per test."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine

from storage.db import make_engine, migrate
from storage.objectstore import S3ObjectStore
from storage.seaweed import ManagedSeaweed, SeaweedEndpoint

POSTGRES_DSN = os.environ.get("GOVPUB_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session")
def seaweed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedEndpoint]:
    """One real SeaweedFS S3 server for the whole run, on free loopback ports."""
    with ManagedSeaweed(tmp_path_factory.mktemp("seaweed"), owner="serve") as endpoint:
        yield endpoint


@pytest.fixture
def bucket_prefix() -> str:
    """A fresh bucket prefix per test."""
    return f"t{uuid.uuid4().hex[:10]}-"


@pytest.fixture
def store(seaweed: SeaweedEndpoint) -> S3ObjectStore:
    """The minio-backed store on the test run's SeaweedFS."""
    return S3ObjectStore.connect(seaweed.address, access_key=seaweed.access_key,
                                 secret_key=seaweed.secret_key, secure=False, region=None)  # fmt: skip


def _postgres_available() -> str | None:
    try:
        with psycopg.connect(POSTGRES_DSN, connect_timeout=3):
            return None
    except psycopg.OperationalError as exc:
        return str(exc)


@pytest.fixture(scope="session")
def postgres_dsn() -> str:
    """The PostgreSQL server; unreachable is a failure under CI and a skip elsewhere."""
    problem = _postgres_available()
    if problem is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required under CI: {problem}")
        pytest.skip(f"PostgreSQL unreachable: {problem}")
    return POSTGRES_DSN


@pytest.fixture
def postgres_url(postgres_dsn: str) -> Iterator[str]:
    """A SQLAlchemy URL on a fresh schema of the test database, dropped afterwards."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    base = postgres_dsn.replace("postgresql://", "postgresql+psycopg://", 1)
    yield f"{base}?options=-csearch_path%3D{schema}"
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each test using this runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'govpub.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """A migrated engine on the parametrised database."""
    engine = make_engine(database_url)
    migrate(engine)
    yield engine
    engine.dispose()


def poll_until(condition, *, timeout: float = 120.0, interval: float = 0.25, what: str = "condition"):
    """Poll ``condition`` until it returns something truthy; fail after ``timeout`` seconds."""
    import threading
    import time

    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what}")
        pause.wait(interval)
