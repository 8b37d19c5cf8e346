"""live coach: its state per session, measured repetitions, kept recordings

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "live_coach",
        sa.Column("session_id", sa.String(length=36), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.Column("exercise_id", sa.String(length=40), nullable=True),
        sa.Column("leg", sa.String(length=5), nullable=True),
        sa.Column("state", sa.JSON(), nullable=True),
        sa.Column("frames", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["exercise_session.id"],
            name=op.f("fk_live_coach_session_id_exercise_session"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("session_id", name=op.f("pk_live_coach")),
    )
    op.create_table(
        "session_recording",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.String(length=36), nullable=False),
        sa.Column("file_name", sa.String(length=80), nullable=False),
        sa.Column("content_type", sa.String(length=60), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["exercise_session.id"],
            name=op.f("fk_session_recording_session_id_exercise_session"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_recording")),
    )
    with op.batch_alter_table("session_recording", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_session_recording_session_id"), ["session_id"], unique=False
        )
    with op.batch_alter_table("session_repetition", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("counted_by", sa.String(length=10), nullable=False, server_default="timer")
        )
        batch_op.add_column(sa.Column("range_deg", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("measures", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("session_repetition", schema=None) as batch_op:
        batch_op.drop_column("measures")
        batch_op.drop_column("range_deg")
        batch_op.drop_column("counted_by")
    with op.batch_alter_table("session_recording", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_session_recording_session_id"))
    op.drop_table("session_recording")
    op.drop_table("live_coach")
