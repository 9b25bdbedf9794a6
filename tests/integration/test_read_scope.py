"""Read transactions take no write lock (SQLite) and cannot write (both databases)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import select

from feeds.channels import ChannelKind
from storage.db import make_engine, migrate, read_scope, session_scope
from storage.models import FeedChannel

WAIT = 20.0  # seconds an event may take before the test fails (never reached when it passes)


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path / 'govpub.db'}")
    migrate(engine)
    return engine


def test_a_long_read_does_not_block_a_writer(sqlite_engine: Engine) -> None:
    with session_scope(sqlite_engine) as session:
        session.add(FeedChannel(name="all", kind=ChannelKind.ALL, title="全部"))
    reading, written = threading.Event(), threading.Event()

    def reader() -> tuple[int, int]:
        with read_scope(sqlite_engine) as session:
            before = len(session.exec(select(FeedChannel)).all())
            reading.set()
            assert written.wait(WAIT), "the writer did not get through while the read was open"
            during = len(session.exec(select(FeedChannel)).all())  # the read's own snapshot
        return before, during

    with ThreadPoolExecutor(1) as pool:
        result = pool.submit(reader)
        assert reading.wait(WAIT)
        with session_scope(sqlite_engine) as session:  # BEGIN IMMEDIATE while the read is still open
            session.add(FeedChannel(name="agency-x", kind=ChannelKind.AGENCY, title="X"))
        written.set()
        assert result.result(timeout=WAIT) == (1, 1)
    with read_scope(sqlite_engine) as session:
        assert len(session.exec(select(FeedChannel)).all()) == 2


def test_a_writer_does_not_block_a_read(sqlite_engine: Engine) -> None:
    writing, read_done = threading.Event(), threading.Event()

    def writer() -> None:
        with session_scope(sqlite_engine) as session:
            session.add(FeedChannel(name="all", kind=ChannelKind.ALL, title="全部"))
            session.flush()
            writing.set()  # the write lock is held from here to the commit
            assert read_done.wait(WAIT), "the read waited for the writer"

    with ThreadPoolExecutor(1) as pool:
        result = pool.submit(writer)
        assert writing.wait(WAIT)
        with read_scope(sqlite_engine) as session:
            assert session.exec(select(FeedChannel)).all() == []  # the last committed snapshot
        read_done.set()
        result.result(timeout=WAIT)


def test_a_read_scope_cannot_write(engine: Engine) -> None:
    with read_scope(engine) as session:
        session.add(FeedChannel(name="all", kind=ChannelKind.ALL, title="全部"))
        with pytest.raises(DBAPIError):
            session.flush()
        session.rollback()
    with session_scope(engine) as session:  # the pooled connection writes again after a read
        session.add(FeedChannel(name="all", kind=ChannelKind.ALL, title="全部"))
    with read_scope(engine) as session:
        assert [c.name for c in session.exec(select(FeedChannel))] == ["all"]
