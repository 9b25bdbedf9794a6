"""websub: the built-in hub's subscriptions, distributions as deliveries, a stored feed id per channel

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01

``websub_subscription`` holds verified subscriptions (topic = a feed head page URL, callback,
secret, lease); a content distribution is a ``delivery`` row naming its subscription.

``feed_channel.feed_id`` fixes each feed's id. Ids used to be built as
``tag:<authority>,<year>:feeds/<channel name>`` with the name's Chinese characters raw, which RFC
4151 does not allow; new channels get the name percent-encoded. A feed's id must never change, so
every existing channel whose name needs encoding keeps the id it has been publishing: the
authority is read from the entry ids of its own feed items (the setting in force when it
published), the year from its creation. Channels whose names are plain ASCII are left empty:
the application fills them at their next rebuild with the same id they had.
"""

from urllib.parse import quote

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_SAFE = "-._~!$&'()*+,;=:@"  # RFC 4151 pchar without pct-encoded (also in feeds.channels.feed_tag)


def upgrade() -> None:
    with op.batch_alter_table("feed_channel") as batch:
        batch.add_column(sa.Column("feed_id", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True))
    op.create_table(
        "websub_subscription",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("topic", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("callback", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("fmt", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("hub_url", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("secret", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("lease_seconds", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("content_sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["channel"], ["feed_channel.name"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("topic", "callback"),
    )
    op.create_index(op.f("ix_websub_subscription_channel"), "websub_subscription", ["channel"], unique=False)
    op.create_index(op.f("ix_websub_subscription_state"), "websub_subscription", ["state"], unique=False)
    with op.batch_alter_table("delivery") as batch:
        batch.add_column(sa.Column("subscription_id", sa.Integer(), nullable=True))
        batch.create_index(batch.f("ix_delivery_subscription_id"), ["subscription_id"], unique=False)
        batch.create_foreign_key("fk_delivery_subscription_id", "websub_subscription", ["subscription_id"], ["id"])
    _keep_published_feed_ids()


def _keep_published_feed_ids() -> None:
    """Existing channels whose names need encoding keep the (raw) id they have published."""
    channel = sa.table(
        "feed_channel",
        sa.column("name", sa.String()),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("feed_id", sa.String()),
    )
    item = sa.table("feed_item", sa.column("channel", sa.String()), sa.column("entry", sa.JSON()))
    bind = op.get_bind()
    for name, created_at in bind.execute(sa.select(channel.c.name, channel.c.created_at)).all():
        if quote(name, safe=_SAFE) == name:
            continue  # the encoded id is the id it had
        entry = bind.execute(sa.select(item.c.entry).where(item.c.channel == name).limit(1)).scalar()
        entry_id = entry.get("id", "") if isinstance(entry, dict) else ""
        if not entry_id.startswith("tag:") or "," not in entry_id:
            continue  # nothing was ever published in it: it gets a valid id
        authority = entry_id[len("tag:") :].split(",", 1)[0]
        legacy = f"tag:{authority},{created_at.year}:feeds/{name}"
        bind.execute(sa.update(channel).where(channel.c.name == name).values(feed_id=legacy))


def downgrade() -> None:
    with op.batch_alter_table("delivery") as batch:
        batch.drop_constraint("fk_delivery_subscription_id", type_="foreignkey")
        batch.drop_index(batch.f("ix_delivery_subscription_id"))
        batch.drop_column("subscription_id")
    op.drop_index(op.f("ix_websub_subscription_state"), table_name="websub_subscription")
    op.drop_index(op.f("ix_websub_subscription_channel"), table_name="websub_subscription")
    op.drop_table("websub_subscription")
    if op.get_bind().dialect.name == "sqlite":
        # a batch copy of feed_channel would break the foreign keys of every table naming it;
        # SQLite >= 3.35 drops an unindexed column in place
        op.execute("ALTER TABLE feed_channel DROP COLUMN feed_id")
    else:
        op.drop_column("feed_channel", "feed_id")
