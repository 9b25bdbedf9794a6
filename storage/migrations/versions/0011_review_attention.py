"""review attention: why a review is parked, and what its failure depended on

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04

A review whose screening would fail the same way on every attempt (no review chain for the
category, an attachment's object missing from the store) is parked in the state
``needs_attention`` instead of being restarted every minute. ``review_run.attention_reason``
names why (``no_review_chain``, ``missing_object``), ``attention_detail`` says it as people read
it, and ``attention_fingerprint`` is the sha256 of what the failure depended on (the chains that
apply to the category, which of the version's objects were there): the reconciler retries the
review only once that changes. Every column is empty for reviews that were never parked.
"""

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("review_run", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attention_reason", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True))
        batch_op.add_column(sa.Column("attention_detail", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True))
        batch_op.add_column(
            sa.Column("attention_fingerprint", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("review_run", schema=None) as batch_op:
        batch_op.drop_column("attention_fingerprint")
        batch_op.drop_column("attention_detail")
        batch_op.drop_column("attention_reason")
