"""Engines, sessions and schema migration for SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from disclosure.errors import ServiceUnavailable, first_line

READ_ONLY = "govpub_read_only"  # execution option: the transaction only reads (see read_scope)


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """An engine for ``url``; SQLite gets foreign keys, a busy timeout and write-locking BEGINs."""
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///").split("?", 1)[0]
        if path and path != ":memory:":
            _private_sqlite_file(Path(path))
        engine = create_engine(url, echo=echo, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: object) -> None:  # noqa: ANN401
            # Let SQLAlchemy, not the driver, open transactions (pysqlite's are deferred).
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(connection: Any) -> None:  # noqa: ANN401
            if connection.get_execution_options().get(READ_ONLY):
                # A read: a deferred transaction (one WAL snapshot, no write lock) that cannot write.
                connection.exec_driver_sql("PRAGMA query_only=ON")
                connection.exec_driver_sql("BEGIN")
            else:
                # A write takes the write lock at BEGIN so read-then-write transactions cannot deadlock
                # (a deferred one upgrading to write fails with SQLITE_BUSY when another wrote meanwhile).
                connection.exec_driver_sql("PRAGMA query_only=OFF")
                connection.exec_driver_sql("BEGIN IMMEDIATE")

    else:
        engine = create_engine(url, echo=echo, pool_pre_ping=True)
    event.listen(engine, "handle_error", _unavailable)
    return engine


def _unavailable(context: ExceptionContext) -> None:
    """A database that cannot be reached — refused, gone in the middle of a transaction — or locked by
    another process past the busy timeout raises ServiceUnavailable (one line; the transaction is
    rolled back, nothing of it stored); every other error is left as it is. A pool's pre-ping is left
    alone: it reconnects by itself."""
    if context.is_pre_ping or not isinstance(context.sqlalchemy_exception, OperationalError):
        return
    first = first_line(context.original_exception, 300)
    if context.is_disconnect or context.connection is None:
        raise ServiceUnavailable(f"cannot reach the database: {first}") from context.original_exception
    if "database is locked" in first:
        raise ServiceUnavailable(f"the database is locked by another process: {first}") from context.original_exception


def _private_sqlite_file(path: Path) -> None:
    """Create the database file 0600 before SQLite does (its -wal and -shm copy the file's mode)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # O_EXCL: never open an existing database file here — closing any descriptor of a file drops
    # every POSIX lock this process holds on it, including an open engine's SQLite locks.
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    for existing in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        with contextlib.suppress(FileNotFoundError, PermissionError):
            if existing.stat().st_mode & 0o077:
                existing.chmod(0o600)


def alembic_config(engine: Engine) -> Config:
    """An Alembic configuration pointing at the bundled migrations and this engine."""
    config = Config()
    config.set_main_option("script_location", str(resources.files("storage") / "migrations"))
    config.attributes["engine"] = engine
    return config


def migrate(engine: Engine) -> None:
    """Bring the database schema to the latest migration."""
    try:
        command.upgrade(alembic_config(engine), "head")
    except OperationalError as exc:
        raise ServiceUnavailable(f"cannot reach the database: {exc.orig}") from None


@contextmanager
def session_scope(engine: Engine, *, write: bool = True) -> Iterator[Session]:
    """A session whose transaction commits on success and rolls back (and re-raises) on error.

    ``write=False`` (or ``read_scope``): a read-only transaction. On SQLite it is deferred — it takes
    no write lock, so it neither waits for a writer nor holds one up (WAL: it reads one snapshot) —
    and ``query_only`` refuses any write in it; on PostgreSQL it is ``READ ONLY``. A write
    transaction on SQLite takes the write lock at BEGIN (IMMEDIATE), so a read-then-write cannot
    deadlock with another writer.
    """
    with Session(engine, expire_on_commit=False) as session:
        if not write:
            connection = session.connection(execution_options={READ_ONLY: True})
            if connection.dialect.name == "postgresql":
                connection.exec_driver_sql("SET TRANSACTION READ ONLY")
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def read_scope(engine: Engine) -> AbstractContextManager[Session]:
    """A read-only transaction (``session_scope(engine, write=False)``): no write lock on SQLite."""
    return session_scope(engine, write=False)
