"""sync state on the server: what was pushed per listing, the order cursor, cancelled marketplace sales

Revision ID: 0012_sync_state
Revises: 0009_payments
Create Date: 2026-12-02 01:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012_sync_state'
down_revision = "0011_einvoices"
branch_labels = None
depends_on = None

OLD_STATUSES = "status IN ('live', 'pending', 'error', 'delisted')"
NEW_STATUSES = "status IN ('live', 'pending', 'error', 'delisted', 'not_offered')"


def upgrade():
    with op.batch_alter_table('marketplace_listings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pushed_price_vnd', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('pushed_stock', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('pushed_content', sa.String(length=64), nullable=True))
        batch_op.drop_constraint('ck_marketplace_listings_status', type_='check')
        batch_op.create_check_constraint('ck_marketplace_listings_status', NEW_STATUSES)
    with op.batch_alter_table('sync_cursors', schema=None) as batch_op:
        batch_op.add_column(sa.Column('orders_updated_after', sa.BigInteger(), nullable=True))
    with op.batch_alter_table('marketplace_sales', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('marketplace_sales', schema=None) as batch_op:
        batch_op.drop_column('cancelled_at')
    with op.batch_alter_table('sync_cursors', schema=None) as batch_op:
        batch_op.drop_column('orders_updated_after')
    op.execute("UPDATE marketplace_listings SET status = 'error' WHERE status = 'not_offered'")
    with op.batch_alter_table('marketplace_listings', schema=None) as batch_op:
        batch_op.drop_constraint('ck_marketplace_listings_status', type_='check')
        batch_op.create_check_constraint('ck_marketplace_listings_status', OLD_STATUSES)
        batch_op.drop_column('pushed_content')
        batch_op.drop_column('pushed_stock')
        batch_op.drop_column('pushed_price_vnd')
