"""payments: the order's money as one ledger (attempts, payments in, refunds out) on every rail

`payments` holds every payment attempt (VietQR, VNPay, MoMo, Stripe), every payment received
(a bank transfer not yet matched to an order has no order), and every refund, due or done;
(provider, provider_transaction_id) is unique so a notification is recorded once.
`orders.payment_method` is the rail of the order's latest attempt.

Revision ID: 0009_payments
Revises: 0007_certificates
Create Date: 2026-12-02 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009_payments'
down_revision = "0008_moderation"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('payments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('method', sa.String(length=10), nullable=False),
    sa.Column('provider', sa.String(length=20), nullable=False),
    sa.Column('reference', sa.String(length=100), nullable=False),
    sa.Column('provider_transaction_id', sa.String(length=120), nullable=True),
    sa.Column('amount_vnd', sa.BigInteger(), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('details', sa.Text(), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolved_by', sa.String(length=200), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("kind IN ('attempt', 'payment', 'refund')", name='ck_payments_kind'),
    sa.CheckConstraint(
        "state IN ('done', 'due', 'failed', 'received', 'rejected', 'requested', 'started', 'succeeded', 'unmatched')",
        name='ck_payments_state',
    ),
    sa.CheckConstraint("method IN ('vietqr', 'vnpay', 'momo', 'stripe')", name='ck_payments_method'),
    sa.CheckConstraint('amount_vnd >= 0', name='ck_payments_amount_not_negative'),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('provider', 'provider_transaction_id', name='uq_payments_provider_transaction')
    )
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payments_order_id'), ['order_id'], unique=False)
        batch_op.create_index('ix_payments_kind_state', ['kind', 'state'], unique=False)
        batch_op.create_index('ix_payments_reference', ['provider', 'reference'], unique=False)

    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('payment_method', sa.String(length=10), nullable=True))

    # Orders paid by card before this migration: their PaymentIntent becomes their first attempt.
    op.execute("UPDATE orders SET payment_method = 'stripe' WHERE payment_intent_id IS NOT NULL")


def downgrade():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_column('payment_method')

    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_index('ix_payments_reference')
        batch_op.drop_index('ix_payments_kind_state')
        batch_op.drop_index(batch_op.f('ix_payments_order_id'))

    op.drop_table('payments')
