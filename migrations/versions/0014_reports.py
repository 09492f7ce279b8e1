"""reports: what the office's figures read in SQL

An index on `orders (created_at, status, payment_method)` so a period's sales are a range
read, and `marketplace_sale_lines.unit_price_vnd`: the price a marketplace line was valued
at when it was recorded (the marketplaces' order feed carries no price), so revenue by
channel needs no guess later. Lines recorded before this are valued at today's price.

Revision ID: 0014_reports
Revises: 0009_payments
Create Date: 2026-12-02 01:00:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0014_reports"
down_revision = "0009_payments"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_orders_reporting", "orders", ["created_at", "status", "payment_method"], unique=False)
    with op.batch_alter_table("marketplace_sale_lines") as batch_op:
        batch_op.add_column(sa.Column("unit_price_vnd", sa.BigInteger(), nullable=True))
    op.execute(
        "UPDATE marketplace_sale_lines SET unit_price_vnd = "
        "(SELECT price_vnd FROM products WHERE products.id = marketplace_sale_lines.product_id) "
        "WHERE product_id IS NOT NULL"
    )


def downgrade():
    with op.batch_alter_table("marketplace_sale_lines") as batch_op:
        batch_op.drop_column("unit_price_vnd")
    op.drop_index("ix_orders_reporting", table_name="orders")
