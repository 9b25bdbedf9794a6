"""status due: a published document whose public status.json is behind its record

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04

A validity change commits, then writes ``documents/<索引号>/status.json``. ``document.status_due_at``
is set in the change's transaction and cleared once the write has returned; the reconciler writes
the status record of every document where it is set, so a crash between the two is recovered.
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:  # a plain ADD COLUMN: a batch copy of document would trip its foreign keys on SQLite
    op.add_column("document", sa.Column("status_due_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("document", "status_due_at")
