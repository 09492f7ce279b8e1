"""scan clients and sources: a stamp scan counts once per client per day; the copy warning counts networks

`lot_scan_clients` holds, for today and yesterday only (older rows are pruned by each flush), the
keyed hash of each client (IP address and User-Agent, hashed with the day) that scanned a lot: a
buffered scan is counted into `lot_scan_days` only when its row is new, so the count is exact
across workers and flushes. `lot_scan_sources` holds each network (IPv4 address, IPv6 /64, keyed
hash) that ever scanned a lot: the "looks copied" rule counts these, so one client cannot flip it.
Existing counts are kept; sources start empty (a lot flagged before stays flagged).

Revision ID: 0022_scan_clients
Revises: 0021_outgoing_mails
Create Date: 2026-12-07 10:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0022_scan_clients"
down_revision = "0021_outgoing_mails"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "lot_scan_clients",
        sa.Column("lot_id", sa.Integer(), sa.ForeignKey("lots.id", ondelete="CASCADE"), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("client", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("lot_id", "day", "client"),
    )
    op.create_index("ix_lot_scan_clients_day", "lot_scan_clients", ["day"])
    op.create_table(
        "lot_scan_sources",
        sa.Column("lot_id", sa.Integer(), sa.ForeignKey("lots.id", ondelete="CASCADE"), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("lot_id", "source"),
    )


def downgrade():
    op.drop_table("lot_scan_sources")
    op.drop_index("ix_lot_scan_clients_day", table_name="lot_scan_clients")
    op.drop_table("lot_scan_clients")
