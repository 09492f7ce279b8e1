"""channel buffers: units of a product each marketplace listing keeps back from the one stock

Revision ID: 0028_channel_buffers
Revises: 0027_change_sequence
Create Date: 2026-12-10 09:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0028_channel_buffers"
down_revision = "0027_change_sequence"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "channel_buffers",
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("marketplace", sa.String(length=20), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.CheckConstraint("units >= 0 AND units <= 100000", name="ck_channel_buffers_units"),
        sa.CheckConstraint(
            "marketplace IN ('shopee', 'lazada', 'tiktok')",
            name="ck_channel_buffers_marketplace",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("product_id", "marketplace"),
    )


def downgrade():
    op.drop_table("channel_buffers")
