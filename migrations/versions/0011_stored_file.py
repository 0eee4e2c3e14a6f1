"""Stored files in the database (APP_FILE_STORE=database): decision PDFs and signing drafts
reachable from every worker on every host

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-27 21:40:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stored_file",
        sa.Column("key", sa.String(length=200), primary_key=True),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("stored_file")
