"""The packaged migrations run both ways, and build exactly the schema the models describe."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from nerveglide.errors import DatabaseError, InvalidInput
from nerveglide.store import migrate
from nerveglide.store.base import Base
from nerveglide.store.db import make_engine


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_a_new_database_has_no_revision(database_url: str) -> None:
    assert migrate.current(database_url) is None


def test_upgrade_downgrade_upgrade(database_url: str) -> None:
    head = ScriptDirectory.from_config(migrate.alembic_config(database_url)).get_current_head()
    assert head == migrate.head()

    migrate.upgrade(database_url)
    assert migrate.current(database_url) == head
    assert "content_release" in _tables(database_url)

    migrate.downgrade(database_url, "base")
    assert migrate.current(database_url) is None
    assert _tables(database_url) <= {"alembic_version"}

    migrate.upgrade(database_url, "head")
    assert migrate.current(database_url) == head
    assert "content_release" in _tables(database_url)


def test_upgrade_twice_changes_nothing(database_url: str) -> None:
    migrate.upgrade(database_url)
    migrate.upgrade(database_url)
    assert migrate.current(database_url) == migrate.head()


def test_every_revision_upgrades_and_downgrades_one_step_at_a_time(database_url: str) -> None:
    script = ScriptDirectory.from_config(migrate.alembic_config(database_url))
    revisions = [r.revision for r in reversed(list(script.walk_revisions()))]
    assert revisions[0] == "0001"
    assert revisions[-1] == migrate.head()
    for revision in revisions:
        migrate.upgrade(database_url, revision)
        assert migrate.current(database_url) == revision
    for expected in [*reversed(revisions[:-1]), None]:
        migrate.downgrade(database_url, "-1")
        assert migrate.current(database_url) == expected
    assert _tables(database_url) <= {"alembic_version"}


def test_models_and_migrations_agree(database_url: str) -> None:
    migrate.upgrade(database_url)
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert differences == []


def test_alembic_commands_work_without_a_connection(database_url: str) -> None:
    # env.py's own path: make an engine from the Config's URL (as `alembic` commands do).
    config = migrate.alembic_config(database_url)
    assert "connection" not in config.attributes
    command.upgrade(config, "head")
    assert migrate.current(database_url) == migrate.head()
    command.downgrade(config, "base")
    assert migrate.current(database_url) is None


def test_migrations_ship_inside_the_package() -> None:
    assert migrate.MIGRATIONS_DIR.is_dir()
    assert (migrate.MIGRATIONS_DIR / "env.py").is_file()
    assert (migrate.MIGRATIONS_DIR / "script.py.mako").is_file()
    config = migrate.alembic_config("sqlite:///unused.db")
    assert config.get_main_option("script_location") == str(migrate.MIGRATIONS_DIR)


def test_a_percent_in_the_url_survives_the_config() -> None:
    url = "postgresql+psycopg://user:p%40ss@127.0.0.1:5432/db"
    assert migrate.alembic_config(url).get_main_option("sqlalchemy.url") == url


def test_an_unknown_revision_is_invalid_input(database_url: str) -> None:
    with pytest.raises(InvalidInput, match="nonexistent"):
        migrate.upgrade(database_url, "nonexistent")
    assert migrate.current(database_url) is None


def test_an_unreachable_database_is_a_database_error() -> None:
    with pytest.raises(DatabaseError, match="Connection refused"):
        migrate.current("postgresql://nobody@127.0.0.1:1/nothing")


def test_downgrading_the_safety_migration_keeps_sessions_and_their_repetitions(
    database_url: str,
) -> None:
    from datetime import UTC, datetime

    from sqlalchemy import text

    migrate.upgrade(database_url, "0005")  # the rows below are a pre-accounts install's
    engine = make_engine(database_url)
    now = datetime(2026, 11, 22, tzinfo=UTC)
    try:
        with engine.begin() as connection:
            connection.execute(
                text("INSERT INTO program (id, affected_leg, created_at) VALUES (1, 'left', :t)"),
                {"t": now},
            )
            connection.execute(
                text(
                    "INSERT INTO exercise_session (id, program_id, source, glides, started_at,"
                    " status, pain_before_back, pain_before_leg) VALUES ('s1', 1, 'web', '[]',"
                    " :t, 'completed', 1, 2)"
                ),
                {"t": now},
            )
            connection.execute(
                text(
                    "INSERT INTO session_repetition (session_id, exercise_id, leg, set_no,"
                    " rep_no, attempt, started_at, ended_at, recorded_at) VALUES ('s1',"
                    " 'seated-leg-raise', 'left', 1, 1, 1, :t, :t, :t)"
                ),
                {"t": now},
            )
        migrate.downgrade(database_url, "0002")
        with engine.connect() as connection:
            count = connection.execute(text("SELECT COUNT(*) FROM session_repetition")).scalar()
        assert count == 1
    finally:
        engine.dispose()


def test_the_knee_extension_column_is_filled_from_the_measures_saved_before(
    database_url: str,
) -> None:
    """0011 copies ``measures["knee_extension_peak_deg"]`` of the repetitions saved before
    it into their new column, as the app reads it (a number, or text that is one); the app
    copies it on every save after (the model's validator)."""
    from datetime import UTC, date, datetime

    from sqlalchemy import select, update

    from nerveglide.services.accounts import create_account
    from nerveglide.store.db import make_session_factory
    from nerveglide.store.models.exercise_session import SessionRepetitionRow
    from tests.integration.reports.seed import seed

    migrate.upgrade(database_url)
    engine = make_engine(database_url)
    factory = make_session_factory(engine)
    now = datetime(2026, 11, 22, tzinfo=UTC)
    r = SessionRepetitionRow
    try:
        patient = create_account(factory, email="p@example.org", role="patient", now=now).id
        seed(factory, start=date(2026, 11, 20), days=1, per_day=1, reps=10, patient_id=patient)
        measures = [
            {"knee_extension_peak_deg": 31.5, "joint": "knee"},
            {"knee_extension_peak_deg": "28"},
            {"knee_extension_peak_deg": "straight"},
            {"joint": "knee"},
            None,
        ]
        with engine.begin() as connection:
            ids = list(connection.scalars(select(r.id).order_by(r.id).limit(len(measures))))
            for rid, value in zip(ids, measures, strict=True):
                saved_before = {"measures": value, "knee_extension_peak_deg": None}
                connection.execute(update(r).where(r.id == rid).values(**saved_before))
        migrate.downgrade(database_url, "0010")
        migrate.upgrade(database_url)
        with engine.connect() as connection:
            knees = list(
                connection.scalars(
                    select(r.knee_extension_peak_deg).where(r.id.in_(ids)).order_by(r.id)
                )
            )
        assert knees == [31.5, 28.0, None, None, None]
    finally:
        engine.dispose()
    row = SessionRepetitionRow(measures={"knee_extension_peak_deg": 12})
    assert row.knee_extension_peak_deg == 12.0
    row.measures = None
    assert row.knee_extension_peak_deg is None
