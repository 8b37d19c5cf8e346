"""``nerveglide admin``: the first admin account, and account housekeeping from a shell."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

app = typer.Typer(help="Manage accounts (the first admin comes from here).", no_args_is_help=True)


@app.command("create")
def create(
    email: Annotated[str, typer.Option(help="The admin's email address (their login).")],
    name: Annotated[str, typer.Option(help="The admin's name.")] = "",
    password: Annotated[
        str,
        typer.Option(
            prompt=True,
            hide_input=True,
            confirmation_prompt=True,
            envvar="NERVEGLIDE_ADMIN_PASSWORD",
            help="Asked for when not given (or from NERVEGLIDE_ADMIN_PASSWORD).",
        ),
    ] = "",
) -> None:
    """Create an admin account. The first admin then adds clinicians at /admin."""
    from nerveglide.cli.main import _engine, console, fail
    from nerveglide.errors import NerveglideError
    from nerveglide.services.accounts import create_account
    from nerveglide.store.db import make_session_factory

    engine = _engine()
    try:
        row = create_account(
            make_session_factory(engine),
            email=email,
            role="admin",
            now=datetime.now(UTC),
            password=password,
            display_name=name,
        )
    except NerveglideError as exc:
        raise fail(exc.message) from None
    finally:
        engine.dispose()
    console.print(f"admin account {row.email} created; log in at /login", highlight=False)


@app.command("list")
def list_accounts() -> None:
    """Print every account: id, role, email, status (no health data)."""
    from nerveglide.cli.main import _engine, console
    from nerveglide.services.uow import SqlAlchemyUnitOfWork
    from nerveglide.store.db import make_session_factory

    engine = _engine()
    try:
        with SqlAlchemyUnitOfWork(make_session_factory(engine)) as uow:
            rows = uow.accounts.all()
    finally:
        engine.dispose()
    for row in rows:
        status = "disabled" if row.disabled_at else "unclaimed" if row.unclaimed else "active"
        console.print(f"{row.id}  {row.role:9}  {row.email}  {status}", highlight=False)
