"""live sessions: a producer's livestream with pinned products at a live price, and orders that carry it

Revision ID: 0025_live_sessions
Revises: 0024_parcel_booking
Create Date: 2026-12-08 10:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0025_live_sessions"
down_revision = "0024_parcel_booking"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "live_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("producer_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("visits", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("ends_at > starts_at", name="ck_live_sessions_window"),
        sa.ForeignKeyConstraint(["producer_id"], ["producers.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_index("ix_live_sessions_producer_id", "live_sessions", ["producer_id"])
    op.create_table(
        "live_pins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("live_price_vnd", sa.BigInteger(), nullable=True),
        sa.Column("cap_per_buyer", sa.Integer(), nullable=True),
        sa.CheckConstraint("live_price_vnd IS NULL OR live_price_vnd > 0", name="ck_live_pins_price"),
        sa.CheckConstraint("cap_per_buyer IS NULL OR cap_per_buyer > 0", name="ck_live_pins_cap"),
        sa.ForeignKeyConstraint(["session_id"], ["live_sessions.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["product_id"], ["products.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("session_id", "product_id", name="uq_live_pins_product"),
    )
    op.create_index("ix_live_pins_session_id", "live_pins", ["session_id"])
    op.create_index("ix_live_pins_product_id", "live_pins", ["product_id"])
    op.create_table(
        "live_checkouts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("visitor", sa.String(length=40), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["session_id"], ["live_sessions.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("session_id", "visitor", name="uq_live_checkouts_visitor"),
    )
    op.create_index("ix_live_checkouts_session_id", "live_checkouts", ["session_id"])
    # A plain column, no foreign key: SQLite adds and drops it in place, where a table rebuild of `orders`
    # (what a constraint needs there) would cascade-delete its lines and payments under foreign_keys=ON.
    op.add_column("orders", sa.Column("live_session_id", sa.Integer(), nullable=True))
    op.create_index("ix_orders_live_session_id", "orders", ["live_session_id"])


def downgrade():
    op.drop_index("ix_orders_live_session_id", table_name="orders")
    op.drop_column("orders", "live_session_id")
    op.drop_table("live_checkouts")
    op.drop_table("live_pins")
    op.drop_table("live_sessions")
