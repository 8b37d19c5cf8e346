"""session_repetition: the dashboard's knee index holds the columns its query reads

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-23

The clinician's dashboard reads each page's knee trends from the camera's repetitions of
the last four weeks. The index of 0011 found them, but each was then read from the table
(wide rows: the JSON of its measures); this one, of the repetitions with a knee
extension only, holds the leg, the session and the value as well, so that PostgreSQL
and SQLite answer from the index alone.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CAMERA = "counted_by = 'camera'"
_KNEE_MEASURED = "counted_by = 'camera' AND knee_extension_peak_deg IS NOT NULL"


def upgrade() -> None:
    with op.batch_alter_table("session_repetition", schema=None) as batch_op:
        batch_op.drop_index("ix_session_repetition_camera")
        batch_op.create_index(
            "ix_session_repetition_knee",
            ["patient_id", "started_at", "leg", "session_id", "knee_extension_peak_deg"],
            unique=False,
            sqlite_where=sa.text(_KNEE_MEASURED),
            postgresql_where=sa.text(_KNEE_MEASURED),
        )


def downgrade() -> None:
    with op.batch_alter_table("session_repetition", schema=None) as batch_op:
        batch_op.drop_index("ix_session_repetition_knee")
        batch_op.create_index(
            "ix_session_repetition_camera",
            ["patient_id", "started_at"],
            unique=False,
            sqlite_where=sa.text(_CAMERA),
            postgresql_where=sa.text(_CAMERA),
        )
