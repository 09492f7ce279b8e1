"""settled_by: the rail whose money completed an order's payment, which reports and invoices name

`orders.payment_method` is the rail of the latest attempt; a buyer who chose VietQR, switched
to VNPay and then paid by bank transfer was counted and invoiced under VNPay. `settled_by` is
written when the order turns paid (catalogue.orders.settlement.settle, Stripe's event). Here it
is filled for the past from the ledger: the rail of the received payment that brought the
order's running total (oldest first) to its total, the same money that turned it paid. The
days of orders whose rail changes are marked pending, so the sales rollup is rebuilt for
them before the next report; the reporting index follows the column reports now group by.

Revision ID: 0017_settled_by
Revises: 0016_rails
Create Date: 2026-12-06 17:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0017_settled_by"
down_revision = "0016_rails"
branch_labels = None
depends_on = None


def _settling_rail() -> str:
    p = "p.kind = 'payment' AND p.state = 'received'"
    q = "q.kind = 'payment' AND q.state = 'received'"
    return (
        f"SELECT p.method FROM payments p WHERE p.order_id = orders.id AND {p} "
        f"AND (SELECT SUM(q.amount_vnd) FROM payments q WHERE q.order_id = p.order_id AND {q} AND q.id <= p.id) "
        ">= orders.total_vnd ORDER BY p.id LIMIT 1"
    )


def upgrade():
    op.add_column("orders", sa.Column("settled_by", sa.String(length=10), nullable=True))
    op.execute(
        f"UPDATE orders SET settled_by = ({_settling_rail()}) "
        "WHERE status IN ('paid', 'shipped', 'delivered', 'refunded')"
    )
    sqlite = op.get_bind().dialect.name == "sqlite"
    day = "date(o.created_at, '+7 hours')" if sqlite else "CAST(timezone('Asia/Ho_Chi_Minh', o.created_at) AS DATE)"
    op.execute(
        f"INSERT INTO sales_pending_days (day) SELECT DISTINCT {day} FROM orders o "
        "WHERE o.settled_by IS NOT NULL AND o.settled_by <> COALESCE(o.payment_method, '') "
        f"AND NOT EXISTS (SELECT 1 FROM sales_pending_days d WHERE d.day = {day})"
    )
    op.drop_index("ix_orders_reporting", table_name="orders")
    op.create_index("ix_orders_reporting", "orders", ["created_at", "status", "settled_by"], unique=False)


def downgrade():
    op.drop_index("ix_orders_reporting", table_name="orders")
    op.create_index("ix_orders_reporting", "orders", ["created_at", "status", "payment_method"], unique=False)
    # Not batch mode: on SQLite it copies and drops `orders`, and the drop cascades to every order's
    # lines and payments. SQLite drops a column in place since 3.35.
    op.execute("ALTER TABLE orders DROP COLUMN settled_by")
