"""catalogue and full-text search: one row per public item, bigram index

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01

``catalogue_text`` holds each public item's current version (filter fields from its published
record, its normalised title and body text). Chinese text is indexed as overlapping character
bigrams (plus a unigram for the last character of each run, and ASCII words): on SQLite in the
contentless FTS5 table ``catalogue_fts`` (``ascii`` tokenizer: every non-ASCII character is a
token character, so the bigrams written by govpub are the tokens, whatever Unicode version SQLite
knows); on PostgreSQL in tsvector columns with GIN indexes. The rows are written by the
application (the index text is the sanitised public body): publications that existed before this
migration are indexed by ``services.catalogue.rebuild_index``, which indexes whatever is missing.
"""

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op
from sqlalchemy.dialects.postgresql import TSVECTOR

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    grams = sa.Text().with_variant(TSVECTOR(), "postgresql")
    op.create_table(
        "catalogue_text",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("publication_id", sa.Integer(), nullable=False),
        sa.Column("index_number", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("agency", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("category", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("title_text", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("body_text", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("title_grams", grams, nullable=True),
        sa.Column("grams", grams, nullable=True),
        sa.ForeignKeyConstraint(["document_id"], ["document.id"]),
        sa.ForeignKeyConstraint(["publication_id"], ["publication.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("document_id"),
        sa.UniqueConstraint("index_number"),
    )
    for column in ("agency", "category", "kind", "year"):
        op.create_index(f"ix_catalogue_text_{column}", "catalogue_text", [column], unique=False)
    op.create_index("ix_catalogue_text_grams", "catalogue_text", ["grams"], unique=False, postgresql_using="gin")
    op.create_index(
        "ix_catalogue_text_title_grams", "catalogue_text", ["title_grams"], unique=False, postgresql_using="gin"
    )
    if op.get_bind().dialect.name == "sqlite":
        op.execute("CREATE VIRTUAL TABLE catalogue_fts USING fts5(title, body, content='', tokenize='ascii')")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE catalogue_fts")
    op.drop_table("catalogue_text")
