"""diary

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "diary_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_date", sa.Date(), nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("back_pain", sa.Integer(), nullable=False),
        sa.Column("leg_pain", sa.Integer(), nullable=False),
        sa.Column("numbness", sa.String(length=8), nullable=False),
        sa.Column("weakness", sa.String(length=8), nullable=False),
        sa.Column("reach", sa.JSON(), nullable=False),
        sa.Column("sleep_disturbed", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "numbness IN ('none', 'mild', 'moderate', 'severe')",
            name=op.f("ck_diary_entry_numbness"),
        ),
        sa.CheckConstraint(
            "weakness IN ('none', 'mild', 'moderate', 'severe')",
            name=op.f("ck_diary_entry_weakness"),
        ),
        sa.CheckConstraint("back_pain BETWEEN 0 AND 10", name=op.f("ck_diary_entry_back_pain")),
        sa.CheckConstraint("leg_pain BETWEEN 0 AND 10", name=op.f("ck_diary_entry_leg_pain")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_diary_entry")),
    )
    with op.batch_alter_table("diary_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_diary_entry_entry_date"), ["entry_date"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("diary_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_diary_entry_entry_date"))

    op.drop_table("diary_entry")
