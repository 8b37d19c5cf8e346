"""``nerveglide backup OUT`` and ``nerveglide restore IN`` (see :mod:`nerveglide.store.backup`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

#: Exit code when the work itself failed (bad input and settings exit with 2).
FAILED = 1


def backup(
    out: Annotated[Path, typer.Argument(metavar="OUT", help="The backup file to write.")],
    force: Annotated[bool, typer.Option("--force", help="Replace OUT if it exists.")] = False,
) -> None:
    """Back up the database to OUT while the app keeps running (SQLite: online backup
    API; PostgreSQL: pg_dump, custom format)."""
    from nerveglide.cli.main import console, fail
    from nerveglide.config import get_settings
    from nerveglide.errors import DatabaseError, NerveglideError
    from nerveglide.store.backup import backup as make_backup

    try:
        info = make_backup(get_settings().effective_database_url, out, force=force)
    except DatabaseError as exc:
        raise fail(exc.message, FAILED) from None
    except NerveglideError as exc:
        raise fail(exc.message) from None
    console.print(
        f"backup of the {info.kind} database (migration {info.revision}) written to "
        f"{info.path} ({info.size:,} bytes)",
        highlight=False,
    )


def restore(
    source: Annotated[Path, typer.Argument(metavar="IN", help="A file `nerveglide backup` wrote.")],
    force: Annotated[
        bool, typer.Option("--force", help="Replace a database that already has data.")
    ] = False,
) -> None:
    """Replace the database with the backup IN, upgraded to this version's schema.

    Refuses a database that has data unless --force. Stop the app first: its logins end."""
    from nerveglide.cli.main import console, fail
    from nerveglide.config import get_settings
    from nerveglide.errors import DatabaseError, NerveglideError
    from nerveglide.store.backup import restore as restore_backup
    from nerveglide.store.data_dir import require_data_dirs

    try:
        settings = get_settings()
        require_data_dirs(settings, serving=False)
        info = restore_backup(settings.effective_database_url, source, force=force)
    except DatabaseError as exc:
        raise fail(exc.message, FAILED) from None
    except NerveglideError as exc:
        raise fail(exc.message) from None
    upgraded = (
        f", upgraded to migration {info.revision}" if info.revision != info.backup_revision else ""
    )
    console.print(
        f"restored {info.source} (migration {info.backup_revision}{upgraded}) into the "
        f"{info.kind} database" + (", replacing its data" if info.replaced_data else ""),
        highlight=False,
    )
