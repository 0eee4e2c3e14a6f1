"""Supervision: quarterly spot checks and their reviews, return visits, annual assessments; the
applicant's contact phone (encrypted) for return visits

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27 21:05:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

UTC = sqlmodel.sql.sqltypes.UTCDateTime()


def _officer(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.Integer(), sa.ForeignKey("officer.id"), nullable=nullable)


def upgrade() -> None:
    with op.batch_alter_table("case_file") as batch_op:
        batch_op.add_column(sa.Column("applicant_phone_encrypted", sa.LargeBinary(), nullable=False,
                                      server_default=sa.text("''") if op.get_bind().dialect.name == "sqlite"
                                      else sa.text("''::bytea")))
    op.create_table(
        "spot_check",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("quarter", sa.String(length=8), nullable=False, index=True),
        sa.Column("rate_percent", sa.Integer(), nullable=False),
        sa.Column("population", sa.JSON(), nullable=False),
        sa.Column("population_digest", sa.String(length=64), nullable=False),
        sa.Column("committed_at", UTC, nullable=False),
        _officer("committed_by", False),
        sa.Column("seed", sa.String(length=200), nullable=True),
        sa.Column("seed_note", sa.String(), nullable=True),
        sa.Column("seeded_at", UTC, nullable=True),
        _officer("seeded_by"),
        sa.Column("sample", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("redraw_of", sa.Integer(), sa.ForeignKey("spot_check.id"), nullable=True),
        sa.Column("redraw_reason", sa.String(), nullable=True))
    op.create_table(
        "spot_check_review",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("spot_check_id", sa.Integer(), sa.ForeignKey("spot_check.id"), nullable=False, index=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("case_file.id"), nullable=False, index=True),
        _officer("reviewer_id", False),
        sa.Column("reviewed_at", UTC, nullable=False),
        sa.Column("checklist", sa.JSON(), nullable=False),
        sa.Column("result", sa.String(length=8), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("rectification_request", sa.String(), nullable=True),
        sa.Column("rectification_due", sa.Date(), nullable=True),
        sa.Column("closed_at", UTC, nullable=True),
        _officer("closed_by"),
        sa.Column("closing_evidence", sa.String(), nullable=True),
        sa.UniqueConstraint("spot_check_id", "case_id"))
    op.create_table(
        "return_visit",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("case_file.id"), nullable=False, unique=True),
        sa.Column("drawn_at", UTC, nullable=False),
        _officer("drawn_by", False),
        sa.Column("visited_at", UTC, nullable=True),
        _officer("visited_by"),
        sa.Column("channel", sa.String(length=16), nullable=True),
        sa.Column("ratings", sa.JSON(), nullable=False),
        sa.Column("comments", sa.Text(), nullable=False),
        sa.Column("rectification_due", sa.Date(), nullable=True),
        sa.Column("verification", sa.String(), nullable=True),
        sa.Column("closed_at", UTC, nullable=True),
        _officer("closed_by"),
        sa.Column("closing_note", sa.String(), nullable=True))
    op.create_table(
        "assessment",
        sa.Column("id", sa.Integer(), primary_key=True),
        _officer("officer_id", False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        _officer("assessed_by", False),
        sa.Column("assessed_at", UTC, nullable=False),
        sa.Column("proposes_disqualification", sa.Boolean(), nullable=False),
        sa.Column("disqualified_at", UTC, nullable=True),
        _officer("disqualified_by"),
        sa.UniqueConstraint("officer_id", "year"))
    op.create_index("ix_assessment_officer_id", "assessment", ["officer_id"])


def downgrade() -> None:
    op.drop_index("ix_assessment_officer_id", "assessment")
    for table in ("assessment", "return_visit", "spot_check_review", "spot_check"):
        op.drop_table(table)
    with op.batch_alter_table("case_file") as batch_op:
        batch_op.drop_column("applicant_phone_encrypted")
