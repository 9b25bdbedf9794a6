"""release time: scheduled publishing (定时发布) of a version

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05

``document_version.release_at`` is the moment before which nothing of an approved version is public
(from the submission, or as the disclosure office set it); ``release_flow_run_id`` the Prefect flow
run of publish-document scheduled at that moment. Both NULL for a version published on approval.
"""

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


# Plain ALTER TABLE, no batch: SQLite (≥ 3.35) adds and drops these columns in place, where a batch
# would recreate document_version and fail, with foreign keys on, on the rows that reference it.


def upgrade() -> None:
    op.add_column("document_version", sa.Column("release_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "document_version",
        sa.Column("release_flow_run_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
    )


def downgrade() -> None:
    op.drop_column("document_version", "release_flow_run_id")
    op.drop_column("document_version", "release_at")
