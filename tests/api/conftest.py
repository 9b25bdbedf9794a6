"""The HTTP API on a real uvicorn (free loopback port), real database (SQLite and PostgreSQL) and the
session's SeaweedFS. Prefect is not needed: the tests play the review flow's part (begin, screen)
through the application layer, and decisions on runs without a flow run resume nothing."""

from __future__ import annotations

import copy
import hashlib
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from api.server import ApiServer
from govpub.samples import load_samples
from services.bootstrap import open_app
from services.facade import Govpub
from services.principal import operator
from services.review_service import RunView
from services.settings import Settings
from storage.seaweed import SeaweedEndpoint

USERS = ("drafter", "drafter2", "reviewer1", "reviewer2", "secrecy", "leader", "office", "admin", "wechat")
REVIEWERS = {"初审": "reviewer1", "复审": "reviewer2", "保密审查": "secrecy", "终审": "leader"}


class RecordedEvents:
    """An EventSink keeping what was emitted."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str, int]] = []

    def emit(self, event: str, *, document_id: str, version: int, payload: dict[str, Any]) -> None:  # noqa: ARG002
        self.events.append((event, document_id, version))


class RecordedResumes:
    """A Resumer for runs without a Prefect flow run: keeps each resume instead of calling Prefect."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def __call__(self, view: RunView) -> None:
        self.calls.append(view.document_id)


@dataclass
class ApiWorld:
    """A running API and what tests need around it."""

    url: str
    govpub: Govpub
    tmp: Path
    events: RecordedEvents
    tokens: dict[str, str] = field(default_factory=dict)

    def client(self, user: str | None = None, *, token: str | None = None) -> httpx.Client:
        """An HTTP client, as a user (their token), with a given token, or anonymous."""
        secret = token if token is not None else (self.tokens[user] if user else None)
        headers = {"Authorization": f"Bearer {secret}"} if secret else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=60)

    def begin_review(self, document_id: str, version: int) -> RunView:
        """What the review-document flow does before it waits: begin (no flow run attached) and screen."""
        self.govpub.reviews.begin(document_id, version, None)
        return self.govpub.reviews.screen(document_id, version)


def sample_submission(index: int = 2, **changes: Any) -> tuple[dict[str, Any], dict[str, bytes]]:
    """A corpus document as a submission and its attachment files."""
    sample = load_samples()[index]
    payload = copy.deepcopy(sample.submission)
    payload.update(changes)
    return payload, dict(sample.files)


def multipart(payload: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
    """httpx arguments for a multipart submission."""
    return {
        "files": [("files", (name, content, "text/plain")) for name, content in files.items()],
        "data": {"submission": json.dumps(payload, ensure_ascii=False)},
    }


def attachment_spec(name: str, content: bytes, media_type: str = "text/plain") -> dict[str, Any]:
    """A declared attachment matching the bytes."""
    return {"file_name": name, "media_type": media_type, "size": len(content),
            "sha256": hashlib.sha256(content).hexdigest()}  # fmt: skip


def settings_for(database_url: str, seaweed: SeaweedEndpoint, data_dir: Path, **api: Any) -> Settings:
    """Settings of one test world: its database, its buckets on the session's SeaweedFS."""
    return Settings(
        data_dir=data_dir,
        database={"url": database_url},  # type: ignore[arg-type]
        store={"endpoint": seaweed.address, "access_key": seaweed.access_key,  # type: ignore[arg-type]
               "secret_key": seaweed.secret_key, "bucket_prefix": f"t{uuid.uuid4().hex[:10]}-"},
        feeds={"tag_authority": "gov.example.cn"},  # type: ignore[arg-type]
        api=api,  # type: ignore[arg-type]
    )  # fmt: skip


def run_world(settings: Settings, tmp: Path) -> Iterator[ApiWorld]:
    """Open the app, start the API on a free port, create a token for every sample user."""
    events, resumes = RecordedEvents(), RecordedResumes()
    with open_app(settings) as app:
        govpub = Govpub(app, events=events, resume=resumes)
        with ApiServer(govpub, "127.0.0.1:0") as server:
            world = ApiWorld(url=server.url, govpub=govpub, tmp=tmp, events=events)
            for user in USERS:
                world.tokens[user] = govpub.identities.create_token(operator(), user, expires_days=1).secret
            yield world


@pytest.fixture
def api_world(database_url: str, seaweed: SeaweedEndpoint, tmp_path: Path) -> Iterator[ApiWorld]:
    """A fresh API per test, on SQLite and on PostgreSQL."""
    yield from run_world(settings_for(database_url, seaweed, tmp_path / "data"), tmp_path)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def shared_world(
    request: pytest.FixtureRequest, seaweed: SeaweedEndpoint, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ApiWorld]:
    """One API per module and database (for fuzzing, where a fresh world per example would cost too much)."""
    tmp = tmp_path_factory.mktemp("api")
    if request.param == "sqlite":
        yield from run_world(settings_for(f"sqlite:///{tmp / 'govpub.db'}", seaweed, tmp / "data"), tmp)
        return
    with postgres_schema(request.getfixturevalue("postgres_dsn")) as url:
        yield from run_world(settings_for(url, seaweed, tmp / "data"), tmp)


@contextmanager
def postgres_schema(dsn: str) -> Iterator[str]:
    """A database URL on a schema of its own in the test database, dropped after (a module's world)."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield dsn.replace("postgresql://", "postgresql+psycopg://", 1) + f"?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
