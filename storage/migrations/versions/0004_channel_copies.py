"""channel copies

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 09:18:39.328925
"""

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op


revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "channel_copy",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("document_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("copy_id", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("url", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["channel"],
            ["feed_channel.name"],
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["document.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel", "document_id"),
    )
    with op.batch_alter_table("channel_copy", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_channel_copy_document_id"), ["document_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("channel_copy", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_channel_copy_document_id"))

    op.drop_table("channel_copy")
