"""``content_release``: each distinct version of the teaching content the server served."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from nerveglide.store.base import Base, UTCDateTime

__all__ = ["CONTENT_VERSION_MAX_LENGTH", "ContentRelease"]

#: Longest ``content_version`` label the table stores.
CONTENT_VERSION_MAX_LENGTH = 100


class ContentRelease(Base):
    """One distinct version of the teaching content, identified by its digest.

    ``digest`` is the lowercase SHA-256 hex of the content as served; ``content_version``
    the label the content declares; ``item_count`` how many items it holds;
    ``first_seen_at`` when this server first served it (UTC).
    """

    __tablename__ = "content_release"
    __table_args__ = (
        CheckConstraint("length(digest) = 64", name="digest_length"),
        CheckConstraint("item_count >= 0", name="item_count_not_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    content_version: Mapped[str] = mapped_column(String(CONTENT_VERSION_MAX_LENGTH))
    item_count: Mapped[int] = mapped_column(Integer)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return (
            f"ContentRelease(id={self.id!r}, digest={self.digest[:12]!r}..., "
            f"content_version={self.content_version!r}, item_count={self.item_count!r})"
        )
