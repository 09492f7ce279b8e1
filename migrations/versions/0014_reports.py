"""reports: the daily sales rollup the office's figures read, and what it is rebuilt from

`sales_days` (per Vietnam day, producer — 0 for the province —, channel and rail) and
`sales_day_products` (per day, product, channel and rail): orders, units, revenue, rebuilt
from the orders and marketplace sales by catalogue.reports.rollup; filled here for the past.

An index on `orders (created_at, status, payment_method)` so a period's sales are a range
read, and `marketplace_sale_lines.unit_price_vnd`: the price a marketplace line was valued
at when it was recorded (the marketplaces' order feed carries no price), so revenue by
channel needs no guess later. Lines recorded before this are valued at today's price.

Revision ID: 0014_reports
Revises: 0009_payments
Create Date: 2026-12-02 01:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0014_reports"
down_revision = "0013_read_path"
branch_labels = None
depends_on = None


SOLD = "('paid', 'shipped', 'delivered')"
ISSUED = (
    "SELECT 1 FROM invoices i WHERE i.order_id = o.id AND i.producer_id = {line}.producer_id AND i.kind = 'original'"
)


def _facts(day: str) -> str:
    """Every sold line (shop and marketplaces) with its Vietnam day: catalogue.reports.sales.sale_facts in SQL."""
    return (
        f"SELECT {day.format('o.created_at')} AS day, l.product_id, l.producer_id, 'shop' AS channel, "
        "COALESCE(o.payment_method, '') AS rail, o.id AS order_key, l.quantity AS units, l.line_total_vnd AS revenue, "
        f"CASE WHEN EXISTS ({ISSUED.format(line='l')}) THEN 1 ELSE 0 END AS line_invoiced, "
        "CASE WHEN NOT EXISTS (SELECT 1 FROM order_lines l2 WHERE l2.order_id = o.id "
        f"AND NOT EXISTS ({ISSUED.format(line='l2')})) THEN 1 ELSE 0 END AS order_invoiced "
        f"FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE o.status IN {SOLD} "
        f"UNION ALL SELECT {day.format('s.created_at')}, l.product_id, p.producer_id, s.marketplace, '', -s.id, "
        "l.quantity, l.quantity * COALESCE(l.unit_price_vnd, 0), 0, 0 "
        "FROM marketplace_sale_lines l JOIN marketplace_sales s ON s.id = l.sale_id "
        "JOIN products p ON p.id = l.product_id WHERE s.cancelled_at IS NULL"
    )


def _backfill():
    sqlite = op.get_bind().dialect.name == "sqlite"
    day = "date({}, '+7 hours')" if sqlite else "CAST(timezone('Asia/Ho_Chi_Minh', {}) AS DATE)"
    facts = _facts(day)
    measures = "COUNT(DISTINCT order_key), SUM(units), SUM(revenue)"
    columns = "day, producer_id, channel, rail, orders, units, revenue_vnd, invoiced_orders"
    invoiced = "COUNT(DISTINCT CASE WHEN {} = 1 THEN order_key END)"
    op.execute(f"INSERT INTO sales_days ({columns}) SELECT day, 0, channel, rail, {measures}, "
               f"{invoiced.format('order_invoiced')} FROM ({facts}) f GROUP BY day, channel, rail")  # fmt: skip
    op.execute(f"INSERT INTO sales_days ({columns}) SELECT day, producer_id, channel, rail, {measures}, "
               f"{invoiced.format('line_invoiced')} FROM ({facts}) f "
               "GROUP BY day, producer_id, channel, rail")  # fmt: skip
    op.execute("INSERT INTO sales_day_products (day, product_id, channel, rail, producer_id, orders, units, "
               f"revenue_vnd) SELECT day, product_id, channel, rail, MAX(producer_id), {measures} "
               f"FROM ({facts}) f GROUP BY day, product_id, channel, rail")  # fmt: skip


def upgrade():
    op.create_table(
        "sales_days",
        sa.Column("producer_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("rail", sa.String(length=10), nullable=False),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("revenue_vnd", sa.BigInteger(), nullable=False),
        sa.Column("invoiced_orders", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("producer_id", "day", "channel", "rail"),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_sales_days_day", "sales_days", ["day"], unique=False)
    op.create_table("sales_pending_days", sa.Column("day", sa.Date(), nullable=False), sa.PrimaryKeyConstraint("day"))
    op.create_table(
        "sales_day_products",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("rail", sa.String(length=10), nullable=False),
        sa.Column("producer_id", sa.Integer(), nullable=False),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("revenue_vnd", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("day", "product_id", "channel", "rail"),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_sales_day_products_producer_day", "sales_day_products", ["producer_id", "day"], unique=False)
    op.create_index("ix_orders_reporting", "orders", ["created_at", "status", "payment_method"], unique=False)
    refunded = sa.text("status IN ('refund_pending', 'refunded')")
    op.create_index("ix_orders_refunded", "orders", ["created_at"], sqlite_where=refunded, postgresql_where=refunded)
    with op.batch_alter_table("marketplace_sale_lines") as batch_op:
        batch_op.add_column(sa.Column("unit_price_vnd", sa.BigInteger(), nullable=True))
    op.execute(
        "UPDATE marketplace_sale_lines SET unit_price_vnd = "
        "(SELECT price_vnd FROM products WHERE products.id = marketplace_sale_lines.product_id) "
        "WHERE product_id IS NOT NULL"
    )
    _backfill()


def downgrade():
    op.drop_table("sales_pending_days")
    with op.batch_alter_table("marketplace_sale_lines") as batch_op:
        batch_op.drop_column("unit_price_vnd")
    op.drop_index("ix_orders_reporting", table_name="orders")
    op.drop_index("ix_orders_refunded", table_name="orders")
    op.drop_index("ix_sales_day_products_producer_day", table_name="sales_day_products")
    op.drop_table("sales_day_products")
    op.drop_index("ix_sales_days_day", table_name="sales_days")
    op.drop_table("sales_days")
