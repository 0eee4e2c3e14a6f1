"""Every way a case ends: correction, non-acceptance, withdrawal, transfer, 回避 and extensions as
case events; the applicant's notices; 双公示 publications; an item's permit content and validity

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27 20:35:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

UTC = sqlmodel.sql.sqltypes.UTCDateTime()


def upgrade() -> None:
    with op.batch_alter_table("case_file") as batch_op:
        batch_op.alter_column("state", type_=sa.String(length=24), existing_type=sa.String(length=16))
        batch_op.add_column(sa.Column("closed_at", UTC, nullable=True))
        batch_op.add_column(sa.Column("correction", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("closing_category", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("closing_reason", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("late_reason", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("routed_at", UTC, nullable=True))
    with op.batch_alter_table("item") as batch_op:
        batch_op.add_column(sa.Column("permit_content", sa.String(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("validity_months", sa.Integer(), nullable=False, server_default="0"))
    op.create_table(
        "case_event",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("case_file.id"), nullable=False, index=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("officer_id", sa.Integer(), sa.ForeignKey("officer.id"), nullable=True),
        sa.Column("at", UTC, nullable=False),
        sa.Column("details", sa.JSON(), nullable=False))
    op.create_table(
        "case_notice",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("case_file.id"), nullable=False, index=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("issued_at", UTC, nullable=False),
        sa.Column("officer_id", sa.Integer(), sa.ForeignKey("officer.id"), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("pdf_sha256", sqlmodel.AutoString(length=64), nullable=False))
    op.create_table(
        "publication",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("decision_id", sa.Integer(), sa.ForeignKey("decision.id"), nullable=False, unique=True),
        sa.Column("batch", sa.String(length=32), nullable=False, index=True),
        sa.Column("published_at", UTC, nullable=False),
        sa.Column("published_by", sa.Integer(), sa.ForeignKey("officer.id"), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("export_sha256", sa.String(length=64), nullable=False))


def downgrade() -> None:
    op.drop_table("publication")
    op.drop_table("case_notice")
    op.drop_table("case_event")
    with op.batch_alter_table("item") as batch_op:
        batch_op.drop_column("validity_months")
        batch_op.drop_column("permit_content")
    with op.batch_alter_table("case_file") as batch_op:
        for column in ("routed_at", "late_reason", "closing_reason", "closing_category", "correction", "closed_at"):
            batch_op.drop_column(column)
        batch_op.alter_column("state", type_=sa.String(length=16), existing_type=sa.String(length=24))
