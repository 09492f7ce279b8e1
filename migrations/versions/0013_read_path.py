"""read path: change_counters.shown, the revision cached answers are keyed by.

`value` stays the sequence every catalogue write takes (the change feed's order).
`shown` is the number of the last write that changes what a cached answer shows other
than a product's stock level: a stock move that does not cross zero leaves it alone,
so a sale no longer makes every cached answer unreachable (catalogue.caching).

Revision ID: 0013_read_path
Revises: 0009_payments
Create Date: 2026-12-02 01:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013_read_path'
down_revision = "0012_sync_state"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('change_counters', sa.Column('shown', sa.BigInteger(), server_default='0', nullable=False))
    op.execute("UPDATE change_counters SET shown = value")


def downgrade():
    # A plain ALTER TABLE … DROP COLUMN (SQLite 3.35+), as 0003 does.
    op.drop_column('change_counters', 'shown')
