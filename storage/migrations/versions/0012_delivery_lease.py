"""delivery lease token: who is sending a delivery now

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04

``delivery.lease_token`` names the claim that holds a delivery while it is being sent (its
``next_attempt_at`` is then the end of the lease). Renewals, the record of an attempt and releases
are compare-and-set on it, so a delivery another sender claimed after a lease ran out is neither
sent nor recorded by the first.
"""

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lease_token", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.drop_column("lease_token")
