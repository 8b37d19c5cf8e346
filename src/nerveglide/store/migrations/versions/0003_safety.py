"""safety screening clearances verdicts settings

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "safety_clearance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.String(length=60), nullable=False),
        sa.Column("rule_version", sa.Integer(), nullable=False),
        sa.Column("cleared_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cleared_by", sa.String(length=10), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "cleared_by IN ('person', 'clinician')", name=op.f("ck_safety_clearance_cleared_by")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_safety_clearance")),
    )
    op.create_table(
        "safety_setting",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_safety_setting")),
    )
    op.create_table(
        "safety_verdict",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("evaluated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("context", sa.String(length=30), nullable=False),
        sa.Column("tier", sa.String(length=12), nullable=False),
        sa.Column("blocking", sa.Boolean(), nullable=False),
        sa.Column("rules_version", sa.String(length=40), nullable=False),
        sa.Column("fired", sa.JSON(), nullable=False),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_safety_verdict")),
    )
    op.create_table(
        "screening",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("rules_version", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screening")),
    )
    op.create_table(
        "screening_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("screening_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.String(length=40), nullable=False),
        sa.Column("answer", sa.String(length=6), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "answer IN ('yes', 'no', 'unsure')", name=op.f("ck_screening_answer_answer")
        ),
        sa.ForeignKeyConstraint(
            ["screening_id"],
            ["screening.id"],
            name=op.f("fk_screening_answer_screening_id_screening"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screening_answer")),
    )
    with op.batch_alter_table("screening_answer", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_screening_answer_screening_id"), ["screening_id"], unique=False
        )

    # A plain ALTER (not batch): recreating exercise_session on SQLite would cascade-delete
    # its repetitions and stop events through their foreign keys.
    op.add_column("exercise_session", sa.Column("spread", sa.Boolean(), nullable=True))


def downgrade() -> None:
    # SQLite 3.35+ drops a column in place; no table rebuild, no cascade.
    op.drop_column("exercise_session", "spread")

    with op.batch_alter_table("screening_answer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_screening_answer_screening_id"))

    op.drop_table("screening_answer")
    op.drop_table("screening")
    op.drop_table("safety_verdict")
    op.drop_table("safety_setting")
    op.drop_table("safety_clearance")
