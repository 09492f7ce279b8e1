"""outgoing mails: the buyer's emails kept until sent, retried, and shown to the office when they fail

A message is stored with the change it announces and sent after the commit; a mail server that
is down or refuses leaves it pending with its error, retried with a growing delay, then failed.

Revision ID: 0021_outgoing_mails
Revises: 0020_delivery
Create Date: 2026-12-07 10:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0021_outgoing_mails"
down_revision = "0020_delivery"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "outgoing_mails",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("order_code", sa.String(length=20), nullable=True),
        sa.Column("recipient", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("message", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_outgoing_mails_order_code", "outgoing_mails", ["order_code"])
    op.create_index("ix_outgoing_mails_status", "outgoing_mails", ["status"])


def downgrade():
    op.drop_index("ix_outgoing_mails_status", table_name="outgoing_mails")
    op.drop_index("ix_outgoing_mails_order_code", table_name="outgoing_mails")
    op.drop_table("outgoing_mails")
