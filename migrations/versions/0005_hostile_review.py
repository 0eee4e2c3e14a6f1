"""hostile review: keys bound to resolved item codes, session secrets, dead enrollment links

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 18:00:00
"""
from alembic import op
import sqlalchemy as sa
from sqlmodel import Session, select

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('security_key', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scope_items', sa.JSON(), nullable=False, server_default='[]'))
    with op.batch_alter_table('decision', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scope_items', sa.JSON(), nullable=False, server_default='[]'))
    with op.batch_alter_table('enrollment_token', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('login_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('secret_sha256', sa.String(length=64), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('bind_ticket_sha256', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('bound_at', sa.DateTime(timezone=True), nullable=True))
    # Sessions opened before this revision have no secret: they end.
    op.execute("UPDATE login_session SET ended_at = CURRENT_TIMESTAMP, end_reason = 'session.upgrade' "
               "WHERE ended_at IS NULL")
    _bind_existing_keys()


def _bind_existing_keys() -> None:
    """Keys (and the decisions they signed) bound before this revision are bound to the items their
    authorization resolves to today, with the digest recomputed under the new formula."""
    from app.models import Authorization, Decision, SecurityKey
    from app.rules.scope import resolve_items, scope_digest

    with Session(op.get_bind()) as session:
        for key in session.exec(select(SecurityKey).where(SecurityKey.authorization_id.is_not(None))).all():
            auth = session.get(Authorization, key.authorization_id)
            key.scope_items = resolve_items(session, auth)
            key.scope_digest = scope_digest(auth, key.scope_items)
            session.add(key)
        for decision in session.exec(select(Decision).where(Decision.authorization_id.is_not(None))).all():
            auth = session.get(Authorization, decision.authorization_id)
            decision.scope_items = resolve_items(session, auth)
            decision.scope_digest = scope_digest(auth, decision.scope_items)
            session.add(decision)
        session.flush()


def downgrade() -> None:
    with op.batch_alter_table('login_session', schema=None) as batch_op:
        batch_op.drop_column('bound_at')
        batch_op.drop_column('bind_ticket_sha256')
        batch_op.drop_column('secret_sha256')
    with op.batch_alter_table('enrollment_token', schema=None) as batch_op:
        batch_op.drop_column('revoked_at')
    with op.batch_alter_table('decision', schema=None) as batch_op:
        batch_op.drop_column('scope_items')
    with op.batch_alter_table('security_key', schema=None) as batch_op:
        batch_op.drop_column('scope_items')
