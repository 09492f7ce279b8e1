"""rails: the payments ledger names any rail the registry knows; a new rail needs no migration.

`ck_payments_method` listed the four rails of the second wave, so ZaloPay's first payment
would have been refused by the database. The rail a row names is checked where rails are
known, catalogue.payments.registry (whose names fit the column's 10 characters).

Revision ID: 0016_rails
Revises: 0015_money_desk
Create Date: 2026-12-06 17:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016_rails'
down_revision = "0015_money_desk"
branch_labels = None
depends_on = None


def upgrade():
    # Nothing refers to payments, so SQLite's batch mode (copy, drop, rename) loses nothing there.
    with op.batch_alter_table('payments') as batch_op:
        batch_op.drop_constraint('ck_payments_method', type_='check')


def downgrade():
    with op.batch_alter_table('payments') as batch_op:
        batch_op.create_check_constraint('ck_payments_method', "method IN ('vietqr', 'vnpay', 'momo', 'stripe')")
