"""einvoices: producers' invoice settings, gap-free counters, company-invoice requests, invoices and lines

Each producer invoices its own lines of a paid order (Decree 123/2020, Circular 78/2021);
`invoice_counters` holds the last number of each producer's series, taken under its row
lock so numbers are gap-free; `products.vat_rate` is the office's rate (NULL: the product
set's rate).

Revision ID: 0011_einvoices
Revises: 0009_payments
Create Date: 2026-12-02 01:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0011_einvoices"
down_revision = "0010_traceability"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("products") as batch:
        batch.add_column(sa.Column("vat_rate", sa.String(length=5), nullable=True))
    op.create_table(
        "invoice_settings",
        sa.Column("producer_id", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("legal_name", sa.String(length=300), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("template", sa.String(length=1), nullable=False),
        sa.Column("series", sa.String(length=6), nullable=False),
        sa.Column("provider", sa.String(length=10), nullable=False),
        sa.Column("certificate_file", sa.String(length=200), nullable=False),
        sa.Column("certificate_subject", sa.String(length=300), nullable=False),
        sa.Column("certificate_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("template IN ('1', '2')", name="ck_invoice_settings_template"),
        sa.CheckConstraint("provider IN ('none', 'vnpt', 'viettel', 'misa')", name="ck_invoice_settings_provider"),
        sa.ForeignKeyConstraint(["producer_id"], ["producers.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("producer_id"),
    )
    op.create_table(
        "invoice_counters",
        sa.Column("producer_id", sa.Integer(), nullable=False),
        sa.Column("series", sa.String(length=6), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["producer_id"], ["producers.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("producer_id", "series"),
    )
    op.create_table(
        "invoice_requests",
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("company_name", sa.String(length=300), nullable=False),
        sa.Column("tax_code", sa.String(length=14), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("email", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("order_id"),
    )
    op.create_table(
        "invoices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("producer_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("adjusts_invoice_id", sa.Integer(), nullable=True),
        sa.Column("template", sa.String(length=1), nullable=False),
        sa.Column("series", sa.String(length=6), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seller_name", sa.String(length=300), nullable=False),
        sa.Column("seller_tax_code", sa.String(length=14), nullable=False),
        sa.Column("seller_address", sa.String(length=300), nullable=False),
        sa.Column("buyer_name", sa.String(length=300), nullable=False),
        sa.Column("buyer_company", sa.String(length=300), nullable=False),
        sa.Column("buyer_tax_code", sa.String(length=14), nullable=False),
        sa.Column("buyer_address", sa.String(length=300), nullable=False),
        sa.Column("buyer_email", sa.String(length=200), nullable=False),
        sa.Column("before_tax_vnd", sa.BigInteger(), nullable=False),
        sa.Column("tax_vnd", sa.BigInteger(), nullable=False),
        sa.Column("total_vnd", sa.BigInteger(), nullable=False),
        sa.Column("total_in_words", sa.String(length=400), nullable=False),
        sa.Column("is_test", sa.Boolean(), nullable=False),
        sa.Column("xml", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("provider", sa.String(length=10), nullable=False),
        sa.Column("provider_lookup_code", sa.String(length=100), nullable=False),
        sa.Column("authority_code", sa.String(length=100), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("kind IN ('original', 'adjustment')", name="ck_invoices_kind"),
        sa.CheckConstraint("status IN ('queued', 'sent', 'rejected')", name="ck_invoices_status"),
        sa.ForeignKeyConstraint(["adjusts_invoice_id"], ["invoices.id"]),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"]),
        sa.ForeignKeyConstraint(["producer_id"], ["producers.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("producer_id", "series", "number", name="uq_invoices_number"),
        sa.UniqueConstraint("order_id", "producer_id", "kind", name="uq_invoices_order_producer_kind"),
    )
    op.create_index("ix_invoices_order_id", "invoices", ["order_id"])
    op.create_index("ix_invoices_status", "invoices", ["status", "next_attempt_at"])
    op.create_index("ix_invoices_producer_issued", "invoices", ["producer_id", "issued_at"])
    op.create_table(
        "invoice_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("unit", sa.String(length=60), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price_vnd", sa.BigInteger(), nullable=False),
        sa.Column("amount_vnd", sa.BigInteger(), nullable=False),
        sa.Column("vat_rate", sa.String(length=5), nullable=False),
        sa.Column("gross_vnd", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoices.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_invoice_lines_invoice_id", "invoice_lines", ["invoice_id"])


def downgrade():
    op.drop_index("ix_invoice_lines_invoice_id", table_name="invoice_lines")
    op.drop_table("invoice_lines")
    op.drop_index("ix_invoices_producer_issued", table_name="invoices")
    op.drop_index("ix_invoices_status", table_name="invoices")
    op.drop_index("ix_invoices_order_id", table_name="invoices")
    op.drop_table("invoices")
    op.drop_table("invoice_requests")
    op.drop_table("invoice_counters")
    op.drop_table("invoice_settings")
    with op.batch_alter_table("products") as batch:
        batch.drop_column("vat_rate")
