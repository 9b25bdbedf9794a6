"""document clocks: the stored Art. 26 and interpretation clocks of a document version

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02

``document_clock`` holds one row per document version and deadline kind (Art. 26 proactive
publication, policy interpretation), written the first time the deadline applies to the version:
what started it, the day (from facts that never change) and the working days allowed. Due dates
are counted from it alone. Versions whose deadline applied before this migration get their row at
the reconciler's next tick, from the same facts, so their due dates are the ones computed before —
except a held policy's interpretation, which counted from the policy row's last update and now
counts from its version's approval.
"""

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "document_clock",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("started_by", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("legal_basis", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("working_days", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["document.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("document_id", "version", "kind"),
    )


def downgrade() -> None:
    op.drop_table("document_clock")
