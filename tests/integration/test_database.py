"""Migrations and the audit trail on real SQLite and PostgreSQL."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlmodel import SQLModel

from disclosure.errors import AuditChainBroken
from services.bootstrap import sample_agency_config
from storage.db import session_scope
from storage.repository.agencies import apply_agency_config, get_user, user_roles
from storage.repository.audit import append_event, verify_trail


def test_migrations_match_the_models(engine):
    with engine.connect() as connection:
        # SQLite lists the FTS5 search table and its shadow tables as tables; no model describes them
        def ours(name, type_, _parent):
            return not (type_ == "table" and name and name.startswith("catalogue_fts"))

        context = MigrationContext.configure(connection, opts={"include_name": ours})
        diff = compare_metadata(context, SQLModel.metadata)
    assert diff == []


def append(engine, n, actor="tester"):
    for i in range(n):
        with session_scope(engine) as session:
            append_event(session=session, actor=actor, action="test.event", entity_type="test",
                         entity_id=f"e{i}", after={"i": i, "text": "政務(wù)"}, reason="原因")  # fmt: skip


def test_edited_row_is_named_by_verify(engine):
    append(engine, 5)
    with session_scope(engine) as session:
        assert verify_trail(session=session) == 5
    with engine.begin() as connection:
        connection.execute(text("UPDATE audit_event SET reason = 'forged' WHERE sequence = 3"))
    with session_scope(engine) as session, pytest.raises(AuditChainBroken) as caught:
        verify_trail(session=session)
    assert caught.value.sequence == 3


def test_deleting_the_newest_event_is_detected(engine):
    append(engine, 3)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_event WHERE sequence = 3"))
    with session_scope(engine) as session, pytest.raises(AuditChainBroken) as caught:
        verify_trail(session=session)
    assert caught.value.sequence == 3


def test_concurrent_writers_do_not_fork_the_chain(engine):
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda w: append(engine, 15, actor=f"w{w}"), range(4)))
    with session_scope(engine) as session:
        assert verify_trail(session=session) == 60


def test_agency_config_is_applied_idempotently_and_audited(engine):
    config = sample_agency_config()
    with session_scope(engine) as session:
        apply_agency_config(session=session, config=config, actor="admin")
    with session_scope(engine) as session:
        first = verify_trail(session=session)
        apply_agency_config(session=session, config=config, actor="admin")
    with session_scope(engine) as session:
        assert verify_trail(session=session) == first  # nothing changed, nothing recorded
        reviewer = get_user(session=session, username="reviewer1")
        assert {(r.value, level) for r, level in user_roles(session=session, user=reviewer)} == {("reviewer", "初审")}
    config["users"][2]["review_levels"] = ["初审", "复审"]
    with session_scope(engine) as session:
        apply_agency_config(session=session, config=config, actor="admin")
    with session_scope(engine) as session:
        assert verify_trail(session=session) == first + 1
        reviewer = get_user(session=session, username="reviewer1")
        assert len(user_roles(session=session, user=reviewer)) == 2
