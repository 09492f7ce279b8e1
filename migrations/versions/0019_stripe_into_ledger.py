"""stripe into the ledger: Stripe's processed events fold into the payments ledger's provider transaction key

Stripe sat beside the rail port with its own dedup table, `processed_webhook_events` (one row per
event id). Its notices now go through the one settlement path, deduplicated like every rail's on
`payments (provider, provider_transaction_id)`: a PaymentIntent is the attempt (`attempt:<pi>`),
its success the payment (`<pi>`), its refund the refund row. So the past stays meaningful, before
the table goes:

- every order's PaymentIntent gets its attempt row where it has none (orders placed before the
  ledger kept Stripe attempts), succeeded when the order went past payment, else started;
- an applied `payment_intent.succeeded` (its order past payment) whose money is not in the ledger
  becomes the received payment keyed by the PaymentIntent, so a replay of that event is a duplicate;
- an applied `charge.refunded` on a refunded order with no Stripe refund row becomes a done refund.

Events that changed nothing (rejected, ignored, failures) leave nothing to keep: a replay is decided
again by the same rules and changes nothing again. The downgrade brings the table back empty.

Revision ID: 0019_stripe_into_ledger
Revises: 0018_sessions_and_two_factor
Create Date: 2026-12-10 10:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0019_stripe_into_ledger"
down_revision = "0018_sessions_and_two_factor"
branch_labels = None
depends_on = None

PAST_PAYMENT = "('paid', 'shipped', 'delivered', 'refund_pending', 'refunded')"
COLUMNS = (
    "order_id, kind, state, method, provider, reference, provider_transaction_id, amount_vnd, reason, details, "
    "occurred_at, created_at, resolved_by"
)


def upgrade():
    op.execute(
        f"INSERT INTO payments ({COLUMNS}) "
        "SELECT o.id, 'attempt', "
        f"CASE WHEN o.status IN {PAST_PAYMENT} THEN 'succeeded' ELSE 'started' END, 'stripe', 'stripe', "
        "o.payment_intent_id, 'attempt:' || o.payment_intent_id, o.total_vnd, '', '', o.created_at, o.created_at, '' "
        "FROM orders o WHERE o.payment_intent_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM payments p "
        "WHERE p.provider = 'stripe' AND p.provider_transaction_id = 'attempt:' || o.payment_intent_id)"
    )
    op.execute(
        f"INSERT INTO payments ({COLUMNS}) "
        "SELECT o.id, 'payment', 'received', 'stripe', 'stripe', o.payment_intent_id, o.payment_intent_id, "
        "o.total_vnd, '', '', MIN(e.received_at), MIN(e.received_at), '' "
        "FROM processed_webhook_events e JOIN orders o ON o.code = e.order_code "
        f"WHERE e.event_type = 'payment_intent.succeeded' AND o.status IN {PAST_PAYMENT} "
        "AND o.payment_intent_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM payments p "
        "WHERE p.provider = 'stripe' AND p.provider_transaction_id = o.payment_intent_id) "
        "GROUP BY o.id, o.payment_intent_id, o.total_vnd"
    )
    op.execute(
        f"INSERT INTO payments ({COLUMNS}) "
        "SELECT o.id, 'refund', 'done', 'stripe', 'stripe', o.payment_intent_id, 'refunded:' || o.payment_intent_id, "
        "o.total_vnd, 'refunded', '', MIN(e.received_at), MIN(e.received_at), '' "
        "FROM processed_webhook_events e JOIN orders o ON o.code = e.order_code "
        "WHERE e.event_type = 'charge.refunded' AND o.status = 'refunded' AND o.payment_intent_id IS NOT NULL "
        "AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.order_id = o.id AND p.kind = 'refund' "
        "AND p.method = 'stripe') "
        "GROUP BY o.id, o.payment_intent_id, o.total_vnd"
    )
    op.drop_table("processed_webhook_events")


def downgrade():
    op.create_table(
        "processed_webhook_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("event_id", sa.String(length=100), nullable=False),
        sa.Column("event_type", sa.String(length=80), nullable=False),
        sa.Column("order_code", sa.String(length=20), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id"),
    )
