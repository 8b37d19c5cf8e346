"""Alembic's environment for nerveglide; driven by :mod:`nerveglide.store.migrate`.

The database URL comes from the Config (``sqlalchemy.url``, set by ``migrate``). When
the caller passes an open connection in ``config.attributes["connection"]``, the
migrations run on it, inside the caller's transaction; otherwise an engine is made with
:func:`nerveglide.store.db.make_engine`, so SQLite gets the same pragmas as the app.
"""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import Connection

import nerveglide.store.models  # noqa: F401  (registers every table on Base.metadata)
from nerveglide.store.base import Base, UTCDateTime
from nerveglide.store.db import make_engine

config = context.config
target_metadata = Base.metadata


def _render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    # Keep new migrations free of nerveglide imports: UTCDateTime is a DateTime(tz=True).
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _configure(**kwargs: Any) -> None:
    context.configure(
        target_metadata=target_metadata,
        compare_type=True,
        render_item=_render_item,
        **kwargs,
    )


def run_migrations_offline() -> None:
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no sqlalchemy.url in the Alembic config; use nerveglide.store.migrate")
    _configure(
        url=url,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        render_as_batch=url.startswith("sqlite"),
    )
    with context.begin_transaction():
        context.run_migrations()


def _run_on(connection: Connection) -> None:
    _configure(
        connection=connection,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run_on(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no sqlalchemy.url in the Alembic config; use nerveglide.store.migrate")
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            _run_on(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
