"""certificates: corrections and withdrawals with their history; copies point at their original

`ocop_certificate_events` keeps each certificate's history (recorded, corrected with the
fields before and after, withdrawn), each with its reason and who did it.
`ocop_certificates.withdrawn_at` marks a withdrawn certificate: it rates nothing.
`ocop_certificates.source_certificate_id` links the copy made for another listing of the
same product line (a pack size) to the certificate it was copied from.

Revision ID: 0007_certificates
Revises: 0006_sync
Create Date: 2026-12-01 21:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007_certificates'
down_revision = '0006_sync'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('ocop_certificates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source_certificate_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_ocop_certificates_source_certificate_id'), ['source_certificate_id'], unique=False)
        batch_op.create_foreign_key(
            'fk_ocop_certificates_source_certificate', 'ocop_certificates', ['source_certificate_id'], ['id']
        )

    op.create_table('ocop_certificate_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('certificate_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('changes', sa.Text(), nullable=False),
    sa.Column('actor_user_id', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("action IN ('recorded', 'corrected', 'withdrawn')", name='ck_ocop_certificate_events_action'),
    sa.ForeignKeyConstraint(['actor_user_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['certificate_id'], ['ocop_certificates.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('ocop_certificate_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ocop_certificate_events_certificate_id'), ['certificate_id'], unique=False)


def downgrade():
    with op.batch_alter_table('ocop_certificate_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ocop_certificate_events_certificate_id'))

    op.drop_table('ocop_certificate_events')
    with op.batch_alter_table('ocop_certificates', schema=None) as batch_op:
        batch_op.drop_constraint('fk_ocop_certificates_source_certificate', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_ocop_certificates_source_certificate_id'))
        batch_op.drop_column('withdrawn_at')
        batch_op.drop_column('source_certificate_id')
