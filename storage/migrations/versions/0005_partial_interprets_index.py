"""partial index on document.interprets_id

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23

Almost every document has no interprets_id; with statistics the planner judged the full index
useless and scanned the table for a policy's interpretations (measured: +9 ms per publication with
100,000 documents). A partial index over the non-NULL rows is small and always chosen.
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_WHERE = sa.text("interprets_id IS NOT NULL")


def upgrade() -> None:
    with op.batch_alter_table("document", schema=None) as batch_op:
        batch_op.drop_index("ix_document_interprets_id")
        batch_op.create_index(
            "ix_document_interprets_id", ["interprets_id"], unique=False, sqlite_where=_WHERE, postgresql_where=_WHERE
        )


def downgrade() -> None:
    with op.batch_alter_table("document", schema=None) as batch_op:
        batch_op.drop_index("ix_document_interprets_id")
        batch_op.create_index("ix_document_interprets_id", ["interprets_id"], unique=False)
