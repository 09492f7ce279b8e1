"""lot page revision: a number per lot that the database moves on every write to what its origin page shows

`lots.page_revision` is what a cached origin page is checked against, beside the catalogue's shown
revision (see catalogue.traceability.page_revision). Triggers keep it, so no writer has to remember
it: any INSERT, UPDATE or DELETE of a lot, of one of its `lot_reports` or `lot_scan_days` rows, and
any insert, delete or change of the shown columns (product, marketplace, external id, status) of a
`marketplace_listings` row touches the lot's row (every lot of the listing's product), and a touched
lot takes a new number. Numbers come from one source and are never reused, also by a lot created
where a deleted one was: the sequence `lot_page_revisions` on PostgreSQL, the `change_counters` row
'lot_pages' on SQLite (one writer at a time there anyway). Existing lots get numbers of their own.

Revision ID: 0029_lot_page_revision
Revises: 0028_channel_buffers
Create Date: 2026-12-14 09:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0029_lot_page_revision"
down_revision = "0028_channel_buffers"
branch_labels = None
depends_on = None

# Frozen here (the app's copy is catalogue.traceability.page_revision.SHOWN_LISTING_COLUMNS).
LISTING_COLUMNS = ("product_id", "marketplace", "external_id", "status")
LOT_CHILDREN = ("lot_reports", "lot_scan_days")  # tables with a lot_id whose every column the page shows
COUNTER = "lot_pages"

# --- SQLite: one trigger per table and event; only the lots' own take a number --------------------------------

_SQLITE_TAKE = (
    f"INSERT INTO change_counters (name, value) VALUES ('{COUNTER}', 1) "
    "ON CONFLICT (name) DO UPDATE SET value = value + 1; "
    f"UPDATE lots SET page_revision = (SELECT value FROM change_counters WHERE name = '{COUNTER}') "
    "WHERE id = NEW.id; "
)
_TOUCH_LOT = "UPDATE lots SET page_revision = page_revision WHERE id IN ({ids}); "
_TOUCH_PRODUCT_LOTS = "UPDATE lots SET page_revision = page_revision WHERE product_id IN ({ids}); "
_LISTING_CHANGED = " OR ".join(f"OLD.{column} IS NOT NEW.{column}" for column in LISTING_COLUMNS)


def _sqlite_triggers() -> dict[str, str]:
    triggers = {
        "lots_page_revision_insert": f"AFTER INSERT ON lots BEGIN {_SQLITE_TAKE}END",
        # Every update but the one that sets the new number (so it never fires itself again).
        "lots_page_revision_update": (
            f"AFTER UPDATE ON lots WHEN NEW.page_revision IS OLD.page_revision BEGIN {_SQLITE_TAKE}END"
        ),
    }
    for table in LOT_CHILDREN:
        triggers[f"{table}_page_revision_insert"] = (
            f"AFTER INSERT ON {table} BEGIN {_TOUCH_LOT.format(ids='NEW.lot_id')}END"
        )
        triggers[f"{table}_page_revision_update"] = (
            f"AFTER UPDATE ON {table} BEGIN {_TOUCH_LOT.format(ids='NEW.lot_id, OLD.lot_id')}END"
        )
        triggers[f"{table}_page_revision_delete"] = (
            f"AFTER DELETE ON {table} BEGIN {_TOUCH_LOT.format(ids='OLD.lot_id')}END"
        )
    triggers["marketplace_listings_page_revision_insert"] = (
        f"AFTER INSERT ON marketplace_listings BEGIN {_TOUCH_PRODUCT_LOTS.format(ids='NEW.product_id')}END"
    )
    triggers["marketplace_listings_page_revision_update"] = (
        f"AFTER UPDATE ON marketplace_listings WHEN {_LISTING_CHANGED} "
        f"BEGIN {_TOUCH_PRODUCT_LOTS.format(ids='NEW.product_id, OLD.product_id')}END"
    )
    triggers["marketplace_listings_page_revision_delete"] = (
        f"AFTER DELETE ON marketplace_listings BEGIN {_TOUCH_PRODUCT_LOTS.format(ids='OLD.product_id')}END"
    )
    return triggers


# --- PostgreSQL: a lot takes its number in a BEFORE trigger; the others touch the lot's row ---------------------

_POSTGRES_FUNCTIONS = {
    "lot_page_revision_take": """
BEGIN
    IF TG_OP = 'INSERT' OR NEW.page_revision IS NOT DISTINCT FROM OLD.page_revision THEN
        NEW.page_revision := nextval('lot_page_revisions');
    END IF;
    RETURN NEW;
END""",
    "lot_page_revision_touch_lot": """
BEGIN
    IF TG_OP <> 'DELETE' THEN
        UPDATE lots SET page_revision = page_revision WHERE id = NEW.lot_id;
    END IF;
    IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.lot_id IS DISTINCT FROM NEW.lot_id) THEN
        UPDATE lots SET page_revision = page_revision WHERE id = OLD.lot_id;
    END IF;
    RETURN NULL;
END""",
    # The lots of a product are locked in id order, as a scan flush locks them: two writers never cross.
    "lot_page_revision_touch_product": """
BEGIN
    IF TG_OP <> 'DELETE' THEN
        PERFORM 1 FROM lots WHERE product_id = NEW.product_id ORDER BY id FOR UPDATE;
        UPDATE lots SET page_revision = page_revision WHERE product_id = NEW.product_id;
    END IF;
    IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.product_id IS DISTINCT FROM NEW.product_id) THEN
        PERFORM 1 FROM lots WHERE product_id = OLD.product_id ORDER BY id FOR UPDATE;
        UPDATE lots SET page_revision = page_revision WHERE product_id = OLD.product_id;
    END IF;
    RETURN NULL;
END""",
}


def _postgres_triggers() -> dict[str, tuple[str, str]]:
    """Trigger name → (table, definition after `CREATE TRIGGER name`)."""
    listing_changed = " OR ".join(f"OLD.{column} IS DISTINCT FROM NEW.{column}" for column in LISTING_COLUMNS)
    triggers = {
        "lots_page_revision": (
            "lots",
            "BEFORE INSERT OR UPDATE ON lots FOR EACH ROW EXECUTE FUNCTION lot_page_revision_take()",
        ),
        "marketplace_listings_page_revision": (
            "marketplace_listings",
            "AFTER INSERT OR DELETE ON marketplace_listings FOR EACH ROW "
            "EXECUTE FUNCTION lot_page_revision_touch_product()",
        ),
        "marketplace_listings_page_revision_update": (
            "marketplace_listings",
            f"AFTER UPDATE ON marketplace_listings FOR EACH ROW WHEN ({listing_changed}) "
            "EXECUTE FUNCTION lot_page_revision_touch_product()",
        ),
    }
    for table in LOT_CHILDREN:
        triggers[f"{table}_page_revision"] = (
            table,
            f"AFTER INSERT OR UPDATE OR DELETE ON {table} FOR EACH ROW EXECUTE FUNCTION lot_page_revision_touch_lot()",
        )
    return triggers


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE SEQUENCE lot_page_revisions AS bigint MINVALUE 1")
        # A volatile default: every existing lot gets a number of its own as the column is added.
        op.add_column(
            "lots",
            sa.Column(
                "page_revision", sa.BigInteger(), nullable=False, server_default=sa.text("nextval('lot_page_revisions')")
            ),
        )
        op.execute("ALTER TABLE lots ALTER COLUMN page_revision DROP DEFAULT")  # from now on the trigger numbers
        for name, body in _POSTGRES_FUNCTIONS.items():
            # Its tables are the schema's it was made in, whatever the writer's search_path.
            op.execute(
                f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $${body}\n$$"
            )
        for name, (_table, definition) in _postgres_triggers().items():
            op.execute(f"CREATE TRIGGER {name} {definition}")
        return
    # SQLite: added in place (ALTER TABLE … ADD COLUMN); existing lots are numbered by id, the counter goes on after.
    op.add_column("lots", sa.Column("page_revision", sa.BigInteger(), nullable=False, server_default="0"))
    op.execute("UPDATE lots SET page_revision = id")
    op.execute(
        f"INSERT INTO change_counters (name, value) VALUES ('{COUNTER}', (SELECT COALESCE(MAX(id), 0) FROM lots))"
    )
    for name, definition in _sqlite_triggers().items():
        op.execute(f"CREATE TRIGGER {name} {definition}")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for name, (table, _definition) in _postgres_triggers().items():
            op.execute(f"DROP TRIGGER {name} ON {table}")
        for name in _POSTGRES_FUNCTIONS:
            op.execute(f"DROP FUNCTION {name}()")
        op.drop_column("lots", "page_revision")
        op.execute("DROP SEQUENCE lot_page_revisions")
        return
    for name in _sqlite_triggers():
        op.execute(f"DROP TRIGGER {name}")
    op.drop_column("lots", "page_revision")
    op.execute(f"DELETE FROM change_counters WHERE name = '{COUNTER}'")
