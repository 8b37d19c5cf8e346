"""patient status: each person's safety verdict as last evaluated; indexes for the
clinician's dashboard

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "patient_status",
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("tier", sa.String(length=12), nullable=False),
        sa.Column("rules_version", sa.String(length=40), nullable=False),
        sa.Column("verdict", sa.JSON(), nullable=False),
        sa.Column("evaluated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["account.id"],
            name=op.f("fk_patient_status_patient_id_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("patient_id", name=op.f("pk_patient_status")),
    )
    op.create_index(
        "ix_exercise_session_patient_started", "exercise_session", ["patient_id", "started_at"]
    )
    op.create_index("ix_diary_entry_patient_date", "diary_entry", ["patient_id", "entry_date"])


def downgrade() -> None:
    op.drop_index("ix_diary_entry_patient_date", table_name="diary_entry")
    op.drop_index("ix_exercise_session_patient_started", table_name="exercise_session")
    op.drop_table("patient_status")
