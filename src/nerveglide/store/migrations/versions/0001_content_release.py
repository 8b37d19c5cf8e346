"""content_release: each distinct version of the teaching content served

Revision ID: 0001
Revises:
Create Date: 2026-11-22 21:13:41
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "content_release",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("content_version", sa.String(length=100), nullable=False),
        sa.Column("item_count", sa.Integer(), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("length(digest) = 64", name=op.f("ck_content_release_digest_length")),
        sa.CheckConstraint(
            "item_count >= 0", name=op.f("ck_content_release_item_count_not_negative")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_release")),
        sa.UniqueConstraint("digest", name=op.f("uq_content_release_digest")),
    )


def downgrade() -> None:
    op.drop_table("content_release")
