"""hostile review: keys bound to resolved item codes, session secrets, dead enrollment links

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 18:00:00
"""
from alembic import op
import sqlalchemy as sa

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
    authorization resolves to today, with the digest recomputed under the new formula. Written in
    SQL Core against the tables as they are at this revision (later models have more columns)."""
    from app.rules.people.scope import EXCLUSION_FLAGS, scope_digest

    bind = op.get_bind()
    auth_t = sa.table("authorization", sa.column("id"), sa.column("officer_id"), sa.column("scope_categories", sa.JSON),
                      sa.column("scope_items", sa.JSON), sa.column("valid_from", sa.Date),
                      sa.column("valid_until", sa.Date))
    item_t = sa.table("item", sa.column("code"), sa.column("category_id"), sa.column("independent"),
                      *[sa.column(flag) for flag in EXCLUSION_FLAGS])
    category_t = sa.table("category", sa.column("id"), sa.column("code"))
    categories = dict(bind.execute(sa.select(category_t.c.id, category_t.c.code)).all())
    items = bind.execute(sa.select(item_t)).all()

    def resolve(auth) -> list[str]:
        return sorted(i.code for i in items if i.independent and not any(getattr(i, f) for f in EXCLUSION_FLAGS)
                      and (i.code in auth.scope_items or categories.get(i.category_id) in auth.scope_categories))

    auths = {a.id: a for a in bind.execute(sa.select(auth_t)).all()}
    for table in ("security_key", "decision"):
        t = sa.table(table, sa.column("id"), sa.column("authorization_id"), sa.column("scope_items", sa.JSON),
                     sa.column("scope_digest"))
        for row in bind.execute(sa.select(t.c.id, t.c.authorization_id).where(t.c.authorization_id.is_not(None))).all():
            auth = auths[row.authorization_id]
            bound = resolve(auth)
            bind.execute(t.update().where(t.c.id == row.id).values(scope_items=bound,
                                                                   scope_digest=scope_digest(auth, bound)))


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
