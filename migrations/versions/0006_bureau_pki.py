"""bureau PKI: key certificates, revocation lists, audit checkpoints

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 18:10:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'key_certificate',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('key_id', sa.Integer(), sa.ForeignKey('security_key.id'), nullable=False, index=True),
        sa.Column('authorization_id', sa.Integer(), sa.ForeignKey('authorization.id'), nullable=False),
        sa.Column('serial', sa.String(length=64), nullable=False, unique=True),
        sa.Column('der', sa.LargeBinary(), nullable=False),
        sa.Column('scope_items', sa.JSON(), nullable=False),
        sa.Column('not_before', sa.DateTime(timezone=True), nullable=False),
        sa.Column('not_after', sa.DateTime(timezone=True), nullable=False),
        sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('revoke_reason', sa.String(), nullable=True),
    )
    op.create_table(
        'revocation_list',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('der', sa.LargeBinary(), nullable=False),
        sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        'audit_checkpoint',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('size', sa.Integer(), nullable=False, index=True),
        sa.Column('head', sa.String(length=64), nullable=False),
        sa.Column('at', sa.String(length=40), nullable=False),
        sa.Column('signature', sa.LargeBinary(), nullable=False),
        sa.Column('certificate', sa.LargeBinary(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    )
    with op.batch_alter_table('decision', schema=None) as batch_op:
        batch_op.add_column(sa.Column('certificate_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_decision_key_certificate', 'key_certificate', ['certificate_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('decision', schema=None) as batch_op:
        batch_op.drop_constraint('fk_decision_key_certificate', type_='foreignkey')
        batch_op.drop_column('certificate_id')
    op.drop_table('audit_checkpoint')
    op.drop_table('revocation_list')
    op.drop_table('key_certificate')
