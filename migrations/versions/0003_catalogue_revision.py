"""catalogue revision: change_counters, products.change_seq, a narrow index for the listing.

`change_counters` starts with the row ('catalogue', 0); every catalogue write takes
the next value and stamps it on the products it changed (catalogue.products.revision).
Existing products keep change_seq 0: they predate the counter.

`ix_products_listing` holds what the default listing filters, joins and sorts on
(status, current certificate, Vietnamese name key, and the id that every index
carries), so choosing a page reads this index and the certificates, never the wide
product rows.

Revision ID: 0003_catalogue_revision
Revises: 0002_orders
Create Date: 2026-11-21 07:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003_catalogue_revision'
down_revision = '0002_orders'
branch_labels = None
depends_on = None


def upgrade():
    counters = op.create_table('change_counters',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    op.bulk_insert(counters, [{'name': 'catalogue', 'value': 0}])
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.add_column(sa.Column('change_seq', sa.BigInteger(), server_default='0', nullable=False))
        batch_op.create_index(batch_op.f('ix_products_change_seq'), ['change_seq'], unique=False)
        batch_op.create_index('ix_products_listing', ['status', 'current_certificate_id', 'name_sort_key'], unique=False)


def downgrade():
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_index('ix_products_listing')
        batch_op.drop_index(batch_op.f('ix_products_change_seq'))
    # A plain ALTER TABLE … DROP COLUMN (SQLite 3.35+): batch mode would copy the table on
    # SQLite and lose the full-text triggers that migration 0001 put on it.
    op.drop_column('products', 'change_seq')
    op.drop_table('change_counters')
