"""Vietnamese sort keys recomputed: a word break now sorts before every letter

The stored name keys of products and producers gave a space the weight vn-collate gives any
character outside its alphabet (after "z"), so "Bánh" sorted before "Ba kích" and "Bông tai"
before "Bộ bát". The key function (catalogue.text.sort_key) now puts a space and punctuation
first, as ICU does; this revision recomputes every stored key with it in Python (neither
database has a Vietnamese collation). The columns and their indexes stay as they are.

Revision ID: 0026_vietnamese_sort_keys
Revises: 0025_live_sessions
Create Date: 2026-12-08 10:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

from catalogue.text import nfc, sort_key

# revision identifiers, used by Alembic.
revision = "0026_vietnamese_sort_keys"
down_revision = "0025_live_sessions"
branch_labels = None
depends_on = None

_TABLES = ("products", "producers")


def _recompute(key) -> None:
    connection = op.get_bind()
    for name in _TABLES:
        table = sa.table(
            name, sa.column("id", sa.Integer), sa.column("name", sa.String), sa.column("name_sort_key", sa.LargeBinary)
        )
        for row in connection.execute(sa.select(table.c.id, table.c.name)).all():
            connection.execute(sa.update(table).where(table.c.id == row.id).values(name_sort_key=key(row.name or "")))


def upgrade():
    _recompute(sort_key)


def downgrade():
    # The keys as 0021 stored them: vn-collate's own, where a space weighs more than any letter.
    from vn_collate import collate_key

    _recompute(lambda name: bytes.fromhex(collate_key(nfc(name))))
