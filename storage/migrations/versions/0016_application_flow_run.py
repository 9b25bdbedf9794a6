"""application flow run: the follow-application flow run that follows each case

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-08

``application.flow_run_id`` is the Prefect flow run of follow-application attached to the case (by
the run itself when it starts; a replacement started by the reconciler takes it over). NULL until a
run follows it, and for cases registered before this migration until the reconciler starts one.
"""

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("application", schema=None) as batch_op:
        batch_op.add_column(sa.Column("flow_run_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("application", schema=None) as batch_op:
        batch_op.drop_column("flow_run_id")
