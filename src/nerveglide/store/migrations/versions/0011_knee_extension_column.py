"""session_repetition.knee_extension_peak_deg: the camera's knee extension peak in a
column of its own, and an index of the camera's repetitions

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-23

The clinician's dashboard reads each page's knee trends from the camera's repetitions of
the last four weeks; reading ``measures["knee_extension_peak_deg"]`` out of the JSON of
every one of them was the slowest of its queries. The app now copies the value into its
own column whenever it saves ``measures``; this fills it for the repetitions saved before
(as the app reads it: a number, or text that is one).
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH = 5000


def _knee(measures: Any) -> float | None:
    value = measures.get("knee_extension_peak_deg") if isinstance(measures, dict) else None
    if value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def upgrade() -> None:
    with op.batch_alter_table("session_repetition", schema=None) as batch_op:
        batch_op.add_column(sa.Column("knee_extension_peak_deg", sa.Float(), nullable=True))
        batch_op.create_index(
            "ix_session_repetition_camera",
            ["patient_id", "started_at"],
            unique=False,
            sqlite_where=sa.text("counted_by = 'camera'"),
            postgresql_where=sa.text("counted_by = 'camera'"),
        )
    table = sa.table(
        "session_repetition",
        sa.column("id", sa.Integer()),
        sa.column("measures", sa.JSON()),
        sa.column("knee_extension_peak_deg", sa.Float()),
    )
    connection = op.get_bind()
    last = 0
    while True:
        rows = connection.execute(
            sa.select(table.c.id, table.c.measures)
            .where(table.c.id > last, table.c.measures.is_not(None))
            .order_by(table.c.id)
            .limit(_BATCH)
        ).all()
        if not rows:
            break
        last = rows[-1][0]
        values = [{"b_id": i, "knee": k} for i, m in rows if (k := _knee(m)) is not None]
        if values:
            connection.execute(
                table.update()
                .where(table.c.id == sa.bindparam("b_id"))
                .values(knee_extension_peak_deg=sa.bindparam("knee")),
                values,
            )


def downgrade() -> None:
    with op.batch_alter_table("session_repetition", schema=None) as batch_op:
        batch_op.drop_index("ix_session_repetition_camera")
        batch_op.drop_column("knee_extension_peak_deg")
