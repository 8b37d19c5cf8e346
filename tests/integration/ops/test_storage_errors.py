"""A database that refuses writes for where it is kept is a DatabaseNotWritable naming why.

The SQLite causes (full disk, read-only file system) are tested with real file systems in
test_disk_faults.py; here a PostgreSQL server that is read-only for the database.
"""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from nerveglide.errors import DatabaseNotWritable
from nerveglide.store.db import make_engine


def test_a_read_only_postgresql_database_is_named_as_such(postgres_database_url: str):
    url = make_url(postgres_database_url)
    admin = create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(
                text(f'ALTER DATABASE "{url.database}" SET default_transaction_read_only = on')
            )
    finally:
        admin.dispose()
    engine = make_engine(postgres_database_url)
    try:
        with engine.connect() as connection:
            assert connection.execute(text("SELECT 1")).scalar_one() == 1  # reads go on
        with pytest.raises(DatabaseNotWritable) as raised, engine.begin() as connection:
            connection.execute(text("CREATE TABLE t (x integer)"))
        assert raised.value.message == (
            "the database could not be written: the database server is read-only"
        )
    finally:
        engine.dispose()
