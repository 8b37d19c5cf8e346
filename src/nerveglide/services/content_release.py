"""Record which version of the teaching content this server serves."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from nerveglide.errors import DatabaseError, InvalidInput
from nerveglide.services.uow import SqlAlchemyUnitOfWork
from nerveglide.store.db import SessionFactory
from nerveglide.store.models.content_release import (
    CONTENT_VERSION_MAX_LENGTH,
    ContentRelease,
)

__all__ = ["record_content_release"]

_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


def record_content_release(
    session_factory: SessionFactory,
    digest: str,
    content_version: str,
    item_count: int,
    now: datetime,
) -> ContentRelease:
    """The release with this digest, recorded first if the server never served it.

    Idempotent: recording the same digest again returns the row already stored, unchanged
    (its ``first_seen_at`` stays the first one), also when two processes record it at the
    same moment. ``digest`` is a SHA-256 hex digest (stored lowercase); ``now`` must be
    timezone-aware and is stored in UTC. Raises :class:`InvalidInput` for a bad value and
    :class:`DatabaseError` when the database fails.
    """
    digest = _check_digest(digest)
    content_version = _check_content_version(content_version)
    if isinstance(item_count, bool) or not isinstance(item_count, int) or item_count < 0:
        raise InvalidInput(f"item_count must be a whole number >= 0, not {item_count!r}")
    if now.tzinfo is None or now.utcoffset() is None:
        raise InvalidInput("now must be a timezone-aware datetime")

    with SqlAlchemyUnitOfWork(session_factory) as uow:
        existing = uow.content_releases.get_by_digest(digest)
        if existing is not None:
            return existing
        release = uow.content_releases.add(
            ContentRelease(
                digest=digest,
                content_version=content_version,
                item_count=item_count,
                first_seen_at=now.astimezone(UTC),
            )
        )
        try:
            uow.commit()
        except DatabaseError as exc:
            error = exc
        else:
            return release

    # Another process recorded the same digest between our read and our write.
    with SqlAlchemyUnitOfWork(session_factory) as uow:
        existing = uow.content_releases.get_by_digest(digest)
    if existing is None:
        raise error
    return existing


def _check_digest(digest: str) -> str:
    normalized = digest.strip().lower() if isinstance(digest, str) else ""
    if not _SHA256_HEX.fullmatch(normalized):
        raise InvalidInput(f"digest must be 64 hexadecimal characters (SHA-256), not {digest!r}")
    return normalized


def _check_content_version(content_version: str) -> str:
    version = content_version.strip() if isinstance(content_version, str) else ""
    if not version or len(version) > CONTENT_VERSION_MAX_LENGTH:
        raise InvalidInput(
            f"content_version must be 1 to {CONTENT_VERSION_MAX_LENGTH} characters, "
            f"not {content_version!r}"
        )
    return version
