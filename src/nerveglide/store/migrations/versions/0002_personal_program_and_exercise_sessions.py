"""personal program and exercise sessions

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "program",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("affected_leg", sa.String(length=5), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "affected_leg IN ('left', 'right', 'both')", name=op.f("ck_program_affected_leg")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_program")),
    )
    op.create_table(
        "exercise_session",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("glides", sa.JSON(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("pain_before_back", sa.Integer(), nullable=False),
        sa.Column("pain_before_leg", sa.Integer(), nullable=False),
        sa.Column("pain_after_back", sa.Integer(), nullable=True),
        sa.Column("pain_after_leg", sa.Integer(), nullable=True),
        sa.Column("felt_worse", sa.Boolean(), nullable=True),
        sa.Column("felt_worse_note", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status IN ('in_progress', 'completed', 'ended_early', 'stopped_hurt')",
            name=op.f("ck_exercise_session_status"),
        ),
        sa.CheckConstraint(
            "pain_after_back BETWEEN 0 AND 10", name=op.f("ck_exercise_session_pain_after_back")
        ),
        sa.CheckConstraint(
            "pain_after_leg BETWEEN 0 AND 10", name=op.f("ck_exercise_session_pain_after_leg")
        ),
        sa.CheckConstraint(
            "pain_before_back BETWEEN 0 AND 10", name=op.f("ck_exercise_session_pain_before_back")
        ),
        sa.CheckConstraint(
            "pain_before_leg BETWEEN 0 AND 10", name=op.f("ck_exercise_session_pain_before_leg")
        ),
        sa.ForeignKeyConstraint(
            ["program_id"], ["program.id"], name=op.f("fk_exercise_session_program_id_program")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exercise_session")),
    )
    op.create_table(
        "program_glide",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("exercise_id", sa.String(length=40), nullable=False),
        sa.Column("dose", sa.String(length=80), nullable=False),
        sa.Column("reps", sa.Integer(), nullable=False),
        sa.Column("sets", sa.Integer(), nullable=False),
        sa.Column("times_per_day", sa.Integer(), nullable=True),
        sa.Column("pace_s", sa.Float(), nullable=False),
        sa.Column("hold_s", sa.Float(), nullable=True),
        sa.Column("rest_between_reps_s", sa.Float(), nullable=False),
        sa.Column("rest_between_sets_s", sa.Float(), nullable=False),
        sa.Column("get_ready_s", sa.Float(), nullable=False),
        sa.Column("legs", sa.String(length=20), nullable=False),
        sa.CheckConstraint("reps >= 1", name=op.f("ck_program_glide_reps_positive")),
        sa.CheckConstraint("sets >= 1", name=op.f("ck_program_glide_sets_positive")),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["program.id"],
            name=op.f("fk_program_glide_program_id_program"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_program_glide")),
        sa.UniqueConstraint("program_id", "exercise_id", name=op.f("uq_program_glide_program_id")),
    )
    op.create_table(
        "session_repetition",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.String(length=36), nullable=False),
        sa.Column("exercise_id", sa.String(length=40), nullable=False),
        sa.Column("leg", sa.String(length=5), nullable=False),
        sa.Column("set_no", sa.Integer(), nullable=False),
        sa.Column("rep_no", sa.Integer(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("hold_s", sa.Float(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("leg IN ('left', 'right')", name=op.f("ck_session_repetition_leg")),
        sa.CheckConstraint(
            "set_no >= 1 AND rep_no >= 1 AND attempt >= 1",
            name=op.f("ck_session_repetition_numbers"),
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["exercise_session.id"],
            name=op.f("fk_session_repetition_session_id_exercise_session"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_repetition")),
        sa.UniqueConstraint(
            "session_id",
            "exercise_id",
            "leg",
            "set_no",
            "rep_no",
            "attempt",
            name=op.f("uq_session_repetition_session_id"),
        ),
    )
    with op.batch_alter_table("session_repetition", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_session_repetition_session_id"), ["session_id"], unique=False
        )

    op.create_table(
        "stop_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("exercise_id", sa.String(length=40), nullable=True),
        sa.Column("leg", sa.String(length=5), nullable=True),
        sa.Column("set_no", sa.Integer(), nullable=True),
        sa.Column("rep_no", sa.Integer(), nullable=True),
        sa.Column("step_kind", sa.String(length=20), nullable=True),
        sa.Column("pain", sa.Integer(), nullable=False),
        sa.Column("areas", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.CheckConstraint("pain BETWEEN 0 AND 10", name=op.f("ck_stop_event_pain")),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["exercise_session.id"],
            name=op.f("fk_stop_event_session_id_exercise_session"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stop_event")),
    )
    with op.batch_alter_table("stop_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stop_event_session_id"), ["session_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("stop_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stop_event_session_id"))

    op.drop_table("stop_event")
    with op.batch_alter_table("session_repetition", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_session_repetition_session_id"))

    op.drop_table("session_repetition")
    op.drop_table("program_glide")
    op.drop_table("exercise_session")
    op.drop_table("program")
