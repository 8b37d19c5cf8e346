"""Videos of a session the person chose to keep: saved in the patient's own data folder
(:func:`recordings_dir`, deleted with the account), listed, deleted. Nothing is recorded
unless the person ticks "keep a video of this session". Every function takes a unit of
work scoped to that patient: another patient's session or video is not found."""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from nerveglide.errors import InvalidInput, NotFound
from nerveglide.services.analysis import patient_data_dir
from nerveglide.services.sessions import session_view
from nerveglide.services.uow import AbstractUnitOfWork, SqlAlchemyUnitOfWork
from nerveglide.store.db import SessionFactory
from nerveglide.store.models.live import SessionRecordingRow

__all__ = [
    "CONTENT_TYPES",
    "RecordingTooLarge",
    "RecordingView",
    "delete_recording",
    "list_recordings",
    "move_unowned_recordings",
    "recording_file",
    "recordings_dir",
    "save_recording",
]

#: What a browser's MediaRecorder writes, and the file extension it is kept under.
CONTENT_TYPES = {"video/webm": ".webm", "video/mp4": ".mp4"}


class RecordingTooLarge(InvalidInput):
    """The upload is larger than the ``recording_max_mb`` setting."""


@dataclass(frozen=True)
class RecordingView:
    id: int
    session_id: str
    content_type: str
    size_bytes: int
    created_at: datetime

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "session_id": self.session_id,
            "content_type": self.content_type,
            "size_bytes": self.size_bytes,
            "created_at": self.created_at.isoformat(),
            "url": f"/api/sessions/{self.session_id}/recordings/{self.id}",
        }


def recordings_dir(data_dir: Path, patient_id: int) -> Path:
    """Where one patient's kept videos live: ``{data_dir}/patients/{id}/recordings``."""
    return patient_data_dir(data_dir, patient_id) / "recordings"


def move_unowned_recordings(session_factory: SessionFactory, data_dir: Path) -> int:
    """Move the videos an installation kept before accounts (``{data_dir}/recordings/
    {session_id}``) into the folder of the session's patient (the 0008 migration gave every
    session one); returns how many session folders moved. A folder of no known session is
    left where it is."""
    legacy = data_dir / "recordings"
    if not legacy.is_dir():
        return 0
    moved = 0
    # Several app instances may start at once on one data directory: what another one
    # moved first is simply gone from here (FileNotFoundError), never an error.
    with SqlAlchemyUnitOfWork(session_factory, system=True) as uow:
        for folder in sorted(p for p in _entries(legacy) if p.is_dir()):
            session = uow.sessions.get(folder.name)
            if session is None:
                continue
            target = recordings_dir(data_dir, session.patient_id) / folder.name
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                if target.exists():
                    for item in _entries(folder):
                        shutil.move(item, target / item.name)
                    folder.rmdir()
                else:
                    shutil.move(folder, target)
            except FileNotFoundError:
                continue
            moved += 1
    try:
        if not any(legacy.iterdir()):
            legacy.rmdir()
    except OSError:  # gone already, or another instance is still moving
        pass
    return moved


def _entries(folder: Path) -> list[Path]:
    try:
        return list(folder.iterdir())
    except FileNotFoundError:
        return []


def _view(row: SessionRecordingRow) -> RecordingView:
    return RecordingView(row.id, row.session_id, row.content_type, row.size_bytes, row.created_at)


def _base_type(content_type: str | None) -> str:
    base = (content_type or "").split(";", 1)[0].strip().lower()
    if base not in CONTENT_TYPES:
        allowed = " or ".join(CONTENT_TYPES)
        raise InvalidInput(
            f"Content-Type: a session video must be {allowed}, not {base or 'missing'!r}"
        )
    return base


async def save_recording(
    uow: AbstractUnitOfWork,
    *,
    directory: Path,
    session_id: str,
    content_type: str | None,
    chunks: AsyncIterator[bytes],
    max_bytes: int,
    now: datetime,
) -> RecordingView:
    """Write the upload to ``directory`` (refused past ``max_bytes``, leaving no file) and
    list it on the session."""
    session_view(uow, session_id)  # NotFound before reading the body
    base = _base_type(content_type)
    folder = directory / session_id
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{now.strftime('%Y%m%dT%H%M%S')}-{secrets.token_hex(4)}{CONTENT_TYPES[base]}"
    partial = folder / f".{name}.part"
    size = 0
    try:
        with partial.open("wb") as out:
            async for chunk in chunks:
                size += len(chunk)
                if size > max_bytes:
                    limit = max_bytes // (1024 * 1024)
                    raise RecordingTooLarge(
                        f"body: the video is larger than the limit of {limit} MiB "
                        "(the recording_max_mb setting)"
                    )
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if size == 0:
            raise InvalidInput("body: the video is empty")
        partial.replace(folder / name)
    finally:
        partial.unlink(missing_ok=True)
    row = SessionRecordingRow(
        session_id=session_id,
        file_name=name,
        content_type=base,
        size_bytes=size,
        created_at=now,
    )
    uow.live.add(row)
    uow.flush()
    return _view(row)


def list_recordings(uow: AbstractUnitOfWork, session_id: str) -> list[RecordingView]:
    session_view(uow, session_id)
    return [_view(r) for r in uow.live.recordings(session_id)]


def recording_file(
    uow: AbstractUnitOfWork, directory: Path, session_id: str, recording_id: int
) -> tuple[Path, str]:
    row = uow.live.recording(session_id, recording_id)
    if row is None:
        raise NotFound(f"Session {session_id} has no video {recording_id}.")
    path = directory / session_id / row.file_name
    if not path.is_file():
        raise NotFound(f"The file of video {recording_id} is missing from {directory}.")
    return path, row.content_type


def delete_recording(
    uow: AbstractUnitOfWork, directory: Path, session_id: str, recording_id: int
) -> Path:
    """Forget the video; returns its file, for the caller to delete once committed (so a
    failed commit leaves the file, never a listed video without one)."""
    row = uow.live.recording(session_id, recording_id)
    if row is None:
        raise NotFound(f"Session {session_id} has no video {recording_id}.")
    path = directory / session_id / row.file_name
    uow.live.delete(row)
    uow.flush()
    return path
