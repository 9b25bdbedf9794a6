"""Composition of the audit log's checkpoint service from settings."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from disclosure.errors import ConfigurationError
from services.audit_log import AuditLog
from services.settings import Settings
from storage.models import Agency
from storage.objectstore import ObjectStore
from storage.signing_key import load_or_create_signing_key


def log_name(engine: Engine) -> str:
    """The log is the operating agency's (the first one configured): its code names it."""
    with Session(engine) as session:
        agency = session.exec(select(Agency).order_by(col(Agency.id)).limit(1)).first()
    if agency is None:
        raise ConfigurationError("no agency is configured: run `govpub init`")
    return agency.code


def signing_key_path(settings: Settings, log: str) -> Path:
    """Where the log's private key lives: the configured file, or keys/audit-<agency>.pem in the data directory."""
    return settings.audit.signing_key_file or settings.data_dir / "keys" / f"audit-{log}.pem"


def build_audit_log(settings: Settings, *, engine: Engine, store: ObjectStore) -> AuditLog:
    """The checkpoint service for these settings (its key is generated on first use)."""
    log = log_name(engine)
    return AuditLog(
        engine=engine,
        store=store,
        public_bucket=settings.store.public_bucket,
        key=load_or_create_signing_key(signing_key_path(settings, log)),
        log=log,
        interval=timedelta(seconds=settings.audit.checkpoint_interval),
    )
