"""Parcel booking and tracking: the booking job's state on each parcel, when the carrier last spoke,
when it was delivered, whether a returned parcel's stock and refund were settled; producers may
have their parcels booked automatically once the order is paid

Revision ID: 0024_parcel_booking
Revises: 0023_spreadsheet_imports
Create Date: 2026-12-12 09:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0024_parcel_booking"
down_revision = "0023_spreadsheet_imports"
branch_labels = None
depends_on = None

PARCEL_COLUMNS = (
    # queued / booking / failed while a booking job is asked for, runs, or gave up (None: nothing asked).
    sa.Column("booking_state", sa.String(length=10), nullable=True),
    sa.Column("booking_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("booking_attempts", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("last_event_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("return_settled_at", sa.DateTime(timezone=True), nullable=True),
)


def upgrade():
    # Columns added in place (no batch copy: the tables may already hold orders' parcels).
    for column in PARCEL_COLUMNS:
        op.add_column("parcels", column)
    op.add_column(
        "producers", sa.Column("book_on_payment", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.create_index("ix_parcels_booking_state", "parcels", ["booking_state"])


def downgrade():
    op.drop_index("ix_parcels_booking_state", table_name="parcels")
    op.drop_column("producers", "book_on_payment")
    for column in reversed(PARCEL_COLUMNS):
        op.drop_column("parcels", column.name)
