"""The composition root for commands: settings → engine, object store, first-use set-up."""

from __future__ import annotations

import atexit
import json
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from disclosure.errors import InvalidInput, Violation
from disclosure.publication import DEFAULT_INDEX_TEMPLATE, check_index_template
from schemas import AGENCY_CONFIG, load_json, validate
from services.authz import Authorizer
from services.extract import ExtractionLimits
from services.identities import Identities
from services.settings import Settings
from storage.db import make_engine, migrate, session_scope
from storage.objectstore import S3ObjectStore
from storage.repository.agencies import apply_agency_config, count_agencies
from storage.seaweed import ManagedSeaweed
from storage.seaweed_security import make_private

SHANGHAI = ZoneInfo("Asia/Shanghai")
PUBLIC_PREFIXES = ("documents/", "feeds/", "audit/")


def today() -> date:
    """Today's date where the law counts days (Asia/Shanghai)."""
    return datetime.now(SHANGHAI).date()


@dataclass(frozen=True, slots=True)
class App:
    """What a door works with: settings, the engine and store, and the use cases built on them."""

    settings: Settings
    engine: Engine
    store: S3ObjectStore
    authz: Authorizer = field(init=False)
    identities: Identities = field(init=False)

    def __post_init__(self) -> None:
        authz = Authorizer(self.engine)
        object.__setattr__(self, "authz", authz)
        object.__setattr__(self, "identities", Identities(self.engine, authz=authz))


def sample_agency_config() -> dict[str, Any]:
    """The bundled demo agency with a drafter and reviewers."""
    raw = resources.files("services").joinpath("sample-agency.json").read_bytes()
    config: dict[str, Any] = json.loads(raw)
    return config


def load_agency_config(raw: bytes) -> dict[str, Any]:
    """Parse and validate an agency configuration file's bytes."""
    config = load_json(raw)
    validate(AGENCY_CONFIG, config)
    template = config["agency"].get("index_template", DEFAULT_INDEX_TEMPLATE)
    problems = check_index_template(template)
    if problems:
        raise InvalidInput([Violation("$.agency.index_template", problem) for problem in problems])
    checked: dict[str, Any] = config
    return checked


@contextmanager
def open_store(settings: Settings, *, owner: str = "call") -> Iterator[S3ObjectStore]:
    """The configured S3 endpoint, or the managed SeaweedFS (reused or started for the call)."""
    cfg = settings.store
    with ExitStack() as stack:
        if cfg.endpoint:
            store = S3ObjectStore.connect(
                cfg.endpoint, access_key=cfg.access_key or "",
                secret_key=cfg.secret_key.get_secret_value() if cfg.secret_key else "",
                secure=cfg.secure, region=cfg.region, timeout=cfg.timeout,
            )  # fmt: skip
        else:
            managed = ManagedSeaweed(
                settings.data_dir / "s3", binary=cfg.weed_binary, owner=owner,
                start_timeout=cfg.start_timeout, stop_timeout=cfg.stop_timeout,
            )  # fmt: skip
            endpoint = stack.enter_context(managed)
            store = S3ObjectStore.connect(
                endpoint.address, access_key=endpoint.access_key,
                secret_key=endpoint.secret_key, secure=False, region=None, timeout=cfg.timeout,
            )  # fmt: skip
        store.ensure_bucket(cfg.private_bucket)
        store.ensure_bucket(cfg.public_bucket)
        store.allow_public_read(cfg.public_bucket, PUBLIC_PREFIXES)
        yield store


@contextmanager
def open_database(settings: Settings, *, config: dict[str, Any] | None = None) -> Iterator[Engine]:
    """The database migrated, the agency configured (the sample one on first use); no object store
    (commands that need none, such as ``screen``, never start one)."""
    settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    make_private(settings.data_dir)  # private to the service user, also when made by older versions
    engine = make_engine(settings.database_url, echo=settings.database.echo)
    try:
        migrate(engine)
        with session_scope(engine) as session:
            if config is not None:
                apply_agency_config(session=session, config=config, actor="admin:init")
            elif count_agencies(session=session) == 0:
                apply_agency_config(session=session, config=sample_agency_config(), actor="system")
        yield engine
    finally:
        engine.dispose()


@contextmanager
def open_app(settings: Settings, *, owner: str = "call", config: dict[str, Any] | None = None) -> Iterator[App]:
    """Database migrated, buckets present, agency configured (the sample one on first use)."""
    with open_database(settings, config=config) as engine, open_store(settings, owner=owner) as store:
        yield App(settings=settings, engine=engine, store=store)


def process_app(settings: Settings) -> App:
    """An App for a long-lived process (a flow run's): no migration or set-up; the store is released at exit."""
    stack = ExitStack()
    atexit.register(stack.close)
    store = stack.enter_context(open_store(settings))
    return App(settings=settings, engine=make_engine(settings.database_url), store=store)


def extraction_limits(settings: Settings) -> ExtractionLimits:
    """The bounds on what screening may inflate, read and spend (GOVPUB_SCREENING_*)."""
    return ExtractionLimits(**settings.screening.model_dump())
