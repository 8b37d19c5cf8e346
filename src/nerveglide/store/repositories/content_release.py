"""Queries on ``content_release``."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from nerveglide.store.models.content_release import ContentRelease

__all__ = ["ContentReleaseRepository"]


class ContentReleaseRepository:
    """Reads and adds :class:`ContentRelease` rows in one session; never commits."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get_by_digest(self, digest: str) -> ContentRelease | None:
        """The release with this (lowercase hex) digest, or None."""
        statement = select(ContentRelease).where(ContentRelease.digest == digest)
        return self.session.scalars(statement).one_or_none()

    def add(self, release: ContentRelease) -> ContentRelease:
        """Add a new release to the session; it is written at the next flush or commit."""
        self.session.add(release)
        return release

    def latest(self) -> ContentRelease | None:
        """The release first seen most recently (ties: the one added last), or None."""
        statement = (
            select(ContentRelease)
            .order_by(ContentRelease.first_seen_at.desc(), ContentRelease.id.desc())
            .limit(1)
        )
        return self.session.scalars(statement).first()
