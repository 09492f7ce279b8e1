"""money desk: the buyer's name and phone as the office searches them

`orders.buyer_name_search` (the name's folded words, "nguyen van an") and
`orders.buyer_phone_digits` (the phone's national digits, "912345678"), so the office's
money desk finds the order an unmatched transfer pays by name or phone in SQL, on both
databases, without folding every order in Python. Filled here for the orders already made,
with the application's own folding (catalogue.text), in batches.

Revision ID: 0015_money_desk
Revises: 0014_reports
Create Date: 2026-12-06 17:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

from catalogue.text import phone_digits, search_document

# revision identifiers, used by Alembic.
revision = "0015_money_desk"
down_revision = "0014_reports"
branch_labels = None
depends_on = None

BATCH = 1000
orders = sa.table(
    "orders",
    sa.column("id", sa.Integer),
    sa.column("customer_name", sa.String),
    sa.column("customer_phone", sa.String),
    sa.column("buyer_name_search", sa.String),
    sa.column("buyer_phone_digits", sa.String),
)


def _backfill():
    bind = op.get_bind()
    last = 0
    while True:
        rows = bind.execute(
            sa.select(orders.c.id, orders.c.customer_name, orders.c.customer_phone)
            .where(orders.c.id > last)
            .order_by(orders.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        bind.execute(
            orders.update()
            .where(orders.c.id == sa.bindparam("row_id"))
            .values(buyer_name_search=sa.bindparam("name"), buyer_phone_digits=sa.bindparam("phone")),
            [
                {"row_id": row.id, "name": search_document(row.customer_name)[:200],
                 "phone": phone_digits(row.customer_phone)}
                for row in rows
            ],
        )  # fmt: skip
        last = rows[-1].id


def upgrade():
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("buyer_name_search", sa.String(length=200), server_default="", nullable=False))
        batch_op.add_column(sa.Column("buyer_phone_digits", sa.String(length=20), server_default="", nullable=False))
    _backfill()


def downgrade():
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("buyer_phone_digits")
        batch_op.drop_column("buyer_name_search")
