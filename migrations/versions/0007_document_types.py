"""文号 series per document type; a reserved number that goes unused is voided with a reason

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 18:55:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

NAMING = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def upgrade() -> None:
    columns = [sa.Column('doc_type', sa.String(length=32), nullable=False, server_default='approved'),
               sa.Column('voided_at', sa.DateTime(timezone=True), nullable=True),
               sa.Column('void_reason', sa.String(), nullable=True)]
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint("document_number_case_id_key", "document_number", type_="unique")
        for column in columns:
            op.add_column("document_number", column)
        op.create_unique_constraint("uq_document_number_case_type", "document_number", ["case_id", "doc_type"])
        return
    # SQLite: the table is rebuilt; the naming convention names its unnamed unique constraints.
    with op.batch_alter_table("document_number", naming_convention=NAMING, recreate="always") as batch_op:
        batch_op.drop_constraint("uq_document_number_case_id", type_="unique")
        for column in columns:
            batch_op.add_column(column)
        batch_op.create_unique_constraint("uq_document_number_case_type", ["case_id", "doc_type"])


def downgrade() -> None:
    with op.batch_alter_table("document_number", naming_convention=NAMING) as batch_op:
        batch_op.drop_constraint("uq_document_number_case_type", type_="unique")
        batch_op.drop_column("void_reason")
        batch_op.drop_column("voided_at")
        batch_op.drop_column("doc_type")
        batch_op.create_unique_constraint("uq_document_number_case_id", ["case_id"])
