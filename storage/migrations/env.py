"""Alembic environment: runs migrations on the engine govpub passes in (or GOVPUB settings)."""

from alembic import context
from sqlalchemy import Engine

import storage.models  # noqa: F401 - registers the tables on SQLModel.metadata
from sqlmodel import SQLModel

target_metadata = SQLModel.metadata


def _engine() -> Engine:
    engine = context.config.attributes.get("engine")
    if isinstance(engine, Engine):
        return engine
    from services.settings import load_settings  # noqa: PLC0415 - only for the alembic CLI
    from storage.db import make_engine  # noqa: PLC0415

    return make_engine(load_settings().database_url)


def run_migrations_online() -> None:
    with _engine().connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()
