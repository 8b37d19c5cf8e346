"""The directories nerveglide writes to: checked before it starts, with a clear message.

::

    require_data_dirs(settings, serving=True)       # all the app writes to
    sqlite_path("sqlite:///var/nerveglide.db")       # Path("var/nerveglide.db")

A directory that does not exist is not made (a typo in ``NERVEGLIDE_DATA_DIR`` would
otherwise start an empty installation beside the real one), and "writable" is tested by
writing a file, the only test that holds for root, read-only mounts and full disks alike.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from nerveglide.config import Settings, normalize_database_url
from nerveglide.errors import ConfigurationError

__all__ = ["require_data_dirs", "require_writable_dir", "sqlite_path", "write_refused"]


def sqlite_path(url: str) -> Path | None:
    """The file of a ``sqlite:///`` URL (None for PostgreSQL or an in-memory database)."""
    try:
        sa_url = make_url(normalize_database_url(url))
    except (ValueError, ArgumentError):
        return None
    database = sa_url.database
    if sa_url.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    if database.startswith("file:"):
        return None
    return Path(database).expanduser().absolute()


def require_writable_dir(path: Path, what: str, setting: str) -> None:
    """Raise :class:`ConfigurationError` unless ``path`` is a directory we can write in.

    ``what`` and ``setting`` name it for the message: "the data directory",
    "NERVEGLIDE_DATA_DIR".
    """
    if not path.exists():
        raise ConfigurationError(
            f"{what} {path} ({setting}) does not exist: create it (mkdir -p {path}) or "
            f"set {setting} to the right place"
        )
    if not path.is_dir():
        raise ConfigurationError(f"{what} {path} ({setting}) is not a directory")
    refused = write_refused(path)
    if refused is not None:
        raise ConfigurationError(
            f"{what} {path} ({setting}) is not writable ({refused.strerror or refused}): "
            "nerveglide keeps its data there"
        )


def write_refused(directory: Path) -> OSError | None:
    """Write a byte to a new file in ``directory`` (then remove it): the error the file
    system gives (read-only, no space, permission denied), or None when it works."""
    try:
        handle, probe = tempfile.mkstemp(dir=directory, prefix=".nerveglide-write-check-")
    except OSError as exc:
        return exc
    try:
        os.write(handle, b"\0")
    except OSError as exc:
        return exc
    finally:
        os.close(handle)
        os.unlink(probe)
    return None


def require_data_dirs(settings: Settings, *, serving: bool) -> None:
    """Check the directories a command writes to: the SQLite database's, and when
    ``serving`` the data directory (patients' videos and analyses) on PostgreSQL too."""
    database = sqlite_path(settings.effective_database_url)
    if serving or (database is not None and database.parent == settings.data_dir):
        require_writable_dir(settings.data_dir, "the data directory", "NERVEGLIDE_DATA_DIR")
    if database is not None and database.parent != settings.data_dir:
        require_writable_dir(
            database.parent, "the SQLite database's directory", "NERVEGLIDE_DATABASE_URL"
        )
