"""change sequence: on PostgreSQL, catalogue change numbers come from a sequence

A stock move that leaves what lists show alone no longer locks the `change_counters` row:
it takes its number from `catalogue_change_seq` (see catalogue.products.revision). The
sequence starts after the counter's current value, so numbers keep rising. SQLite has one
writer at a time and keeps the counter row; nothing changes there.

Revision ID: 0027_change_sequence
Revises: 0026_vietnamese_sort_keys
Create Date: 2026-12-09 09:00:00.000000

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0027_change_sequence"
down_revision = "0026_vietnamese_sort_keys"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE SEQUENCE catalogue_change_seq AS bigint MINVALUE 1")
    op.execute(
        "SELECT setval('catalogue_change_seq', GREATEST(COALESCE("
        "(SELECT value FROM change_counters WHERE name = 'catalogue'), 0), 1), "
        "COALESCE((SELECT value FROM change_counters WHERE name = 'catalogue'), 0) > 0)"
    )


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "UPDATE change_counters SET value = GREATEST(value, (SELECT last_value FROM catalogue_change_seq)) "
        "WHERE name = 'catalogue'"
    )
    op.execute("DROP SEQUENCE catalogue_change_seq")
