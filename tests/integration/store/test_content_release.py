"""Recording content releases: idempotent, in UTC, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select, text

from nerveglide.errors import DatabaseError, InvalidInput
from nerveglide.services.content_release import record_content_release
from nerveglide.services.uow import SqlAlchemyUnitOfWork
from nerveglide.store.db import SessionFactory
from nerveglide.store.models import ContentRelease
from nerveglide.store.repositories.content_release import ContentReleaseRepository

NOW = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)


def _digest(seed: str) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()


def _count(session_factory: SessionFactory) -> int:
    with session_factory() as session:
        return session.scalar(select(func.count()).select_from(ContentRelease)) or 0


def test_recording_the_same_digest_twice_keeps_one_row(session_factory: SessionFactory) -> None:
    digest = _digest("v1")
    first = record_content_release(session_factory, digest, "2026.1", 42, NOW)
    again = record_content_release(
        session_factory, digest.upper(), "2026.1-relabelled", 43, NOW + timedelta(days=1)
    )

    assert _count(session_factory) == 1
    assert again.id == first.id
    assert (again.digest, again.content_version, again.item_count) == (digest, "2026.1", 42)
    assert again.first_seen_at == NOW


def test_times_come_back_timezone_aware_in_utc(session_factory: SessionFactory) -> None:
    india = timezone(timedelta(hours=5, minutes=30))
    local = datetime(2026, 3, 1, 15, 0, 15, 123456, tzinfo=india)
    record_content_release(session_factory, _digest("tz"), "2026.1", 3, local)

    with session_factory() as session:
        if session.get_bind().dialect.name == "postgresql":
            # The server's session timezone must not leak into what we read.
            session.execute(text("SET TIME ZONE 'America/New_York'"))
        stored = ContentReleaseRepository(session).get_by_digest(_digest("tz"))
    assert stored is not None
    assert stored.first_seen_at.tzinfo is UTC
    assert stored.first_seen_at == local
    assert stored.first_seen_at == datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)


def test_latest_is_the_release_seen_last(session_factory: SessionFactory) -> None:
    with session_factory() as session:
        assert ContentReleaseRepository(session).latest() is None
    record_content_release(session_factory, _digest("old"), "1", 1, NOW - timedelta(days=30))
    record_content_release(session_factory, _digest("new"), "2", 2, NOW)
    record_content_release(session_factory, _digest("old"), "1", 1, NOW + timedelta(days=1))

    with session_factory() as session:
        latest = ContentReleaseRepository(session).latest()
    assert latest is not None
    assert latest.content_version == "2"


def test_a_concurrent_recording_of_the_same_digest_is_returned(
    session_factory: SessionFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    digest = _digest("race")
    original = ContentReleaseRepository.get_by_digest
    calls = 0

    def get_while_another_process_records(
        self: ContentReleaseRepository, wanted: str
    ) -> ContentRelease | None:
        nonlocal calls
        calls += 1
        found = original(self, wanted)
        if calls == 1:
            assert found is None
            with session_factory() as other:  # another process, between our read and write
                other.add(
                    ContentRelease(
                        digest=digest, content_version="theirs", item_count=7, first_seen_at=NOW
                    )
                )
                other.commit()
        return found

    monkeypatch.setattr(
        ContentReleaseRepository, "get_by_digest", get_while_another_process_records
    )
    release = record_content_release(session_factory, digest, "ours", 9, NOW + timedelta(hours=1))

    assert calls == 2
    assert (release.content_version, release.item_count) == ("theirs", 7)
    assert _count(session_factory) == 1


@pytest.mark.parametrize(
    ("digest", "content_version", "item_count", "now"),
    [
        ("abc", "1", 1, NOW),
        ("g" * 64, "1", 1, NOW),
        (_digest("x"), "", 1, NOW),
        (_digest("x"), "v" * 101, 1, NOW),
        (_digest("x"), "1", -1, NOW),
        (_digest("x"), "1", True, NOW),
        (_digest("x"), "1", 1, NOW.replace(tzinfo=None)),
    ],
)
def test_bad_values_are_refused(
    session_factory: SessionFactory,
    digest: str,
    content_version: str,
    item_count: int,
    now: datetime,
) -> None:
    with pytest.raises(InvalidInput):
        record_content_release(session_factory, digest, content_version, item_count, now)
    assert _count(session_factory) == 0


def test_the_unit_of_work_writes_only_on_commit(session_factory: SessionFactory) -> None:
    def new(seed: str) -> ContentRelease:
        return ContentRelease(
            digest=_digest(seed), content_version="1", item_count=1, first_seen_at=NOW
        )

    with SqlAlchemyUnitOfWork(session_factory) as uow:
        uow.content_releases.add(new("no commit"))
    assert _count(session_factory) == 0

    def add_then_fail() -> None:
        with SqlAlchemyUnitOfWork(session_factory) as uow:
            uow.content_releases.add(new("error"))
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        add_then_fail()
    assert _count(session_factory) == 0

    with SqlAlchemyUnitOfWork(session_factory) as uow:
        added = uow.content_releases.add(new("commit"))
        uow.commit()
    assert _count(session_factory) == 1
    assert added.id is not None  # still readable after the block


def test_a_refused_commit_is_a_database_error(session_factory: SessionFactory) -> None:
    record_content_release(session_factory, _digest("dup"), "1", 1, NOW)
    with SqlAlchemyUnitOfWork(session_factory) as uow:
        uow.content_releases.add(
            ContentRelease(
                digest=_digest("dup"), content_version="1", item_count=1, first_seen_at=NOW
            )
        )
        with pytest.raises(DatabaseError):
            uow.commit()
    assert _count(session_factory) == 1
