"""Delivery: parcels (one per producer of an order), their history, the zone table, producers' pickup ward

An order ships as one parcel per producer from that producer's own ward (contract §8). Each
parcel keeps the fee the buyer was quoted and what priced it (the carrier's fee API or the shop's
zone table), and later its carrier, tracking code and status history. The zone table is seeded
with the shop's defaults (the same province keeps the old flat rule) and edited by the office.
Producers get a pickup address; those already here get the main ward of their locality in
Quảng Ninh, which they can correct in the portal.

Revision ID: 0020_delivery
Revises: 0019_stripe_into_ledger
Create Date: 2026-12-10 09:00:00.000000

"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0020_delivery"
down_revision = "0019_stripe_into_ledger"
branch_labels = None
depends_on = None

STATUSES = ("pending", "booked", "picked_up", "in_transit", "delivered", "failed", "returning", "returned", "cancelled")
EVENT_SOURCES = ("shop", "producer", "office", "callback", "poll", "carrier")
RATE_ZONES = ("same_province", "same_region", "other_region", "island")

# As catalogue.delivery.models.DEFAULT_RATES was when this migration was written.
DEFAULT_RATES = (
    ("same_province", 1000, 30_000, 0),
    ("same_province", 2000, 40_000, 0),
    ("same_province", 3000, 50_000, 10_000),
    ("same_region", 500, 32_000, 0),
    ("same_region", 1000, 35_000, 0),
    ("same_region", 2000, 47_000, 0),
    ("same_region", 3000, 59_000, 12_000),
    ("other_region", 500, 38_000, 0),
    ("other_region", 1000, 45_000, 0),
    ("other_region", 2000, 60_000, 0),
    ("other_region", 3000, 75_000, 15_000),
    ("island", 1000, 15_000, 0),
    ("island", 3000, 25_000, 5_000),
)

# As catalogue.delivery.pickup.LOCALITY_WARDS: a locality's main ward (name, code) in Quảng Ninh (22).
LOCALITY_WARDS = {
    "ha-long": ("Phường Hồng Gai", "6685"),
    "cam-pha": ("Phường Cẩm Phả", "6793"),
    "uong-bi": ("Phường Uông Bí", "6811"),
    "mong-cai": ("Phường Móng Cái 1", "6712"),
    "dong-trieu": ("Phường Đông Triều", "7093"),
    "quang-yen": ("Phường Quảng Yên", "7132"),
    "van-don": ("Đặc khu Vân Đồn", "6994"),
    "binh-lieu": ("Xã Bình Liêu", "6838"),
    "ba-che": ("Xã Ba Chẽ", "6970"),
    "tien-yen": ("Xã Tiên Yên", "6862"),
    "dam-ha": ("Xã Đầm Hà", "6895"),
    "hai-ha": ("Xã Quảng Hà", "6922"),
    "co-to": ("Đặc khu Cô Tô", "7192"),
}

PICKUP_COLUMNS = (
    ("pickup_address", 200),
    ("pickup_ward", 120),
    ("pickup_ward_code", 10),
    ("pickup_province", 120),
    ("pickup_province_code", 10),
    ("pickup_phone", 20),
)


def upgrade():
    # Plain ADD COLUMN (SQLite takes it with a default): a batch copy of `producers` would trip the
    # foreign keys of databases that already hold orders.
    for name, length in PICKUP_COLUMNS:
        op.add_column("producers", sa.Column(name, sa.String(length=length), nullable=False, server_default=""))
    producers = sa.table(
        "producers",
        sa.column("locality_id", sa.Integer),
        sa.column("address", sa.String),
        sa.column("phone", sa.String),
        *(sa.column(name, sa.String) for name, _ in PICKUP_COLUMNS),
    )
    localities = sa.table("localities", sa.column("id", sa.Integer), sa.column("code", sa.String))
    for code, (ward, ward_code) in LOCALITY_WARDS.items():
        in_locality = sa.select(localities.c.id).where(localities.c.code == code).scalar_subquery()
        op.execute(
            producers.update()
            .where(producers.c.locality_id == in_locality, producers.c.pickup_ward == "")
            .values(
                pickup_ward=ward,
                pickup_ward_code=ward_code,
                pickup_province="Quảng Ninh",
                pickup_province_code="22",
                pickup_address=sa.func.substr(producers.c.address, 1, 200),
                pickup_phone=producers.c.phone,
            )
        )

    op.create_table(
        "parcels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("producer_id", sa.Integer(), nullable=False),
        sa.Column("weight_g", sa.Integer(), nullable=False),
        sa.Column("fee_vnd", sa.BigInteger(), nullable=False),
        sa.Column("fee_source", sa.String(length=10), nullable=False),
        sa.Column("zone", sa.String(length=20), nullable=True),
        sa.Column("carrier", sa.String(length=20), nullable=True),
        sa.Column("service", sa.String(length=20), nullable=True),
        sa.Column("eta_days", sa.Integer(), nullable=True),
        sa.Column("tracking_code", sa.String(length=60), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reference", sa.String(length=40), nullable=False),
        sa.Column("booked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expected_delivery", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(f"status IN {STATUSES}", name="ck_parcels_status"),
        sa.CheckConstraint("fee_source IN ('carrier', 'zone')", name="ck_parcels_fee_source"),
        sa.CheckConstraint("fee_vnd >= 0 AND weight_g > 0", name="ck_parcels_fee_weight"),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["producer_id"], ["producers.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("order_id", "producer_id", name="uq_parcels_order_producer"),
        sa.UniqueConstraint("reference"),
    )
    op.create_index("ix_parcels_order_id", "parcels", ["order_id"])
    op.create_index("ix_parcels_producer_id", "parcels", ["producer_id"])
    op.create_index("ix_parcels_status", "parcels", ["status"])
    op.create_index("ix_parcels_carrier_tracking", "parcels", ["carrier", "tracking_code"])

    op.create_table(
        "parcel_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("parcel_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("carrier_status", sa.String(length=60), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.CheckConstraint(f"status IN {STATUSES}", name="ck_parcel_events_status"),
        sa.CheckConstraint(f"source IN {EVENT_SOURCES}", name="ck_parcel_events_source"),
        sa.ForeignKeyConstraint(["parcel_id"], ["parcels.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_parcel_events_parcel_id", "parcel_events", ["parcel_id"])

    rates = op.create_table(
        "shipping_rates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("zone", sa.String(length=20), nullable=False),
        sa.Column("max_weight_g", sa.Integer(), nullable=False),
        sa.Column("fee_vnd", sa.BigInteger(), nullable=False),
        sa.Column("extra_per_kg_vnd", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(f"zone IN {RATE_ZONES}", name="ck_shipping_rates_zone"),
        sa.CheckConstraint(
            "max_weight_g > 0 AND fee_vnd >= 0 AND extra_per_kg_vnd >= 0", name="ck_shipping_rates_values"
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("zone", "max_weight_g", name="uq_shipping_rates_zone_weight"),
    )
    now = datetime.now(UTC)
    op.bulk_insert(
        rates,
        [
            {"zone": zone, "max_weight_g": weight, "fee_vnd": fee, "extra_per_kg_vnd": extra, "updated_at": now}
            for zone, weight, fee, extra in DEFAULT_RATES
        ],
    )


def downgrade():
    op.drop_table("shipping_rates")
    op.drop_index("ix_parcel_events_parcel_id", table_name="parcel_events")
    op.drop_table("parcel_events")
    for index in ("ix_parcels_carrier_tracking", "ix_parcels_status", "ix_parcels_producer_id", "ix_parcels_order_id"):
        op.drop_index(index, table_name="parcels")
    op.drop_table("parcels")
    for name, _ in reversed(PICKUP_COLUMNS):
        op.drop_column("producers", name)  # SQLite 3.35+ drops a column in place: no copy of the table
