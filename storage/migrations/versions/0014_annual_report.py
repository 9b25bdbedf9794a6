"""annual report: the figures and texts the disclosure office enters per agency and year

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02

``report_figures`` holds Table 2's entered blocks (行政许可, 行政处罚, 行政强制, 行政事业性收费), Table 4
and optionally last year's published 四, as JSON; ``report_text`` the texts of parts 一, 五, 六. Tables
2 (规章 / 行政规范性文件) and 3 are counted from the record each time and never stored.
"""

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op


revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_figures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("updated_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agency"], ["agency.code"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("agency", "year"),
    )
    op.create_table(
        "report_text",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("part", sqlmodel.sql.sqltypes.AutoString(length=4), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("updated_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agency"], ["agency.code"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("agency", "year", "part"),
    )


def downgrade() -> None:
    op.drop_table("report_text")
    op.drop_table("report_figures")
