"""applications: disclosure on application (依申请公开), its events and its stored reply clock

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02

``application`` is one case (numbered per agency and year of receipt, 2026-00001), with the
applicant's personal data (read only by the disclosure office), its state, the Table 3 row it
ended under and the day it closed. ``application_event`` is the append-only list of acts on it.
``statutory_clock`` / ``clock_event`` store the reply clock (disclosure.clock): its due date is
recomputed from these rows alone. ``due_soon_for`` / ``overdue_for`` remember which due date the
reconciler has announced, so each event is emitted once per due date.
"""

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op


revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "application",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("receipt_number", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("applicant_type", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("applicant_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("applicant_id_proof", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("applicant_phone", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("applicant_email", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("applicant_address", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("doc_number", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("form", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("delivery", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("receipt_dates", sa.JSON(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("reply", sa.JSON(), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("correction_by", sa.Date(), nullable=True),
        sa.Column("fee_yuan", sa.Integer(), nullable=True),
        sa.Column("fee_pay_by", sa.Date(), nullable=True),
        sa.Column("due_soon_for", sa.Date(), nullable=True),
        sa.Column("overdue_for", sa.Date(), nullable=True),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agency"], ["agency.code"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("agency", "receipt_number"),
    )
    with op.batch_alter_table("application", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_application_agency"), ["agency"], unique=False)
        batch_op.create_index(batch_op.f("ix_application_received_on"), ["received_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_application_state"), ["state"], unique=False)

    op.create_table(
        "application_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("act", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("state_after", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("dated", sa.Date(), nullable=False),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["application_id"], ["application.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("application_id", "sequence"),
    )
    with op.batch_alter_table("application_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_application_event_application_id"), ["application_id"], unique=False)

    op.create_table(
        "statutory_clock",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("legal_basis", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("working_days", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["application_id"], ["application.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("application_id", "kind"),
    )
    with op.batch_alter_table("statutory_clock", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_statutory_clock_application_id"), ["application_id"], unique=False)

    op.create_table(
        "clock_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clock_id", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("dated", sa.Date(), nullable=True),
        sa.Column("days", sa.Integer(), nullable=True),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("approved_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("approved_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["clock_id"], ["statutory_clock.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("clock_id", "sequence"),
    )
    with op.batch_alter_table("clock_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_clock_event_clock_id"), ["clock_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("clock_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_clock_event_clock_id"))

    op.drop_table("clock_event")
    with op.batch_alter_table("statutory_clock", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_statutory_clock_application_id"))

    op.drop_table("statutory_clock")
    with op.batch_alter_table("application_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_application_event_application_id"))

    op.drop_table("application_event")
    with op.batch_alter_table("application", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_application_state"))
        batch_op.drop_index(batch_op.f("ix_application_received_on"))
        batch_op.drop_index(batch_op.f("ix_application_agency"))

    op.drop_table("application")
