"""accounts, sessions, tokens, audit log; every clinical row belongs to a patient

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23

A database from before accounts may hold one person's data. If any clinical table has
rows, this migration creates one patient account to own them (``unclaimed``, with no
password, so nobody can log in to it); the first patient who registers takes it over
(see ``services.accounts.register_patient``), and with it that data.
"""

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The clinical tables, each given a ``patient_id``.
OWNED_TABLES = (
    "program",
    "program_glide",
    "exercise_session",
    "session_repetition",
    "stop_event",
    "screening",
    "screening_answer",
    "safety_clearance",
    "safety_verdict",
    "safety_setting",
    "diary_entry",
    "questionnaire_response",
    "questionnaire_schedule",
    "reminder_setting",
    "calendar_feed",
    "reminder",
    "live_coach",
    "session_recording",
)
#: Tables whose primary key was one name per installation; now one per patient.
KEYED_BY_NAME = {"safety_setting": "name", "questionnaire_schedule": "questionnaire_id"}

LEGACY_EMAIL = "owner@pre-accounts.invalid"


def _create_account_tables() -> None:
    op.create_table(
        "account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("display_name", sa.String(length=120), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=True),
        sa.Column("clinician_id", sa.Integer(), nullable=True),
        sa.Column("admin_access_granted", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("unclaimed", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "role IN ('patient', 'clinician', 'admin')", name=op.f("ck_account_role")
        ),
        sa.ForeignKeyConstraint(
            ["clinician_id"],
            ["account.id"],
            name=op.f("fk_account_clinician_id_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account")),
        sa.UniqueConstraint("email", name=op.f("uq_account_email")),
    )
    op.create_index(op.f("ix_account_clinician_id"), "account", ["clinician_id"])
    op.create_table(
        "auth_session",
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_auth_session_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id_hash", name=op.f("pk_auth_session")),
    )
    op.create_index(op.f("ix_auth_session_account_id"), "auth_session", ["account_id"])
    op.create_table(
        "login_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=True),
        sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_attempt")),
    )
    for column in ("email", "address", "attempted_at"):
        op.create_index(op.f(f"ix_login_attempt_{column}"), "login_attempt", [column])
    op.create_table(
        "account_token",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=10), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("clinician_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("purpose IN ('invite', 'reset')", name=op.f("ck_account_token_purpose")),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_account_token_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["clinician_id"],
            ["account.id"],
            name=op.f("fk_account_token_clinician_id_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_account_token")),
    )
    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_role", sa.String(length=10), nullable=True),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("object_type", sa.String(length=40), nullable=False),
        sa.Column("object_id", sa.String(length=64), nullable=True),
        sa.Column("patient_id", sa.Integer(), nullable=True),
        sa.Column("address", sa.String(length=64), nullable=True),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
    )
    op.create_index(op.f("ix_audit_event_at"), "audit_event", ["at"])
    op.create_index(op.f("ix_audit_event_patient_id"), "audit_event", ["patient_id"])
    owned_tables: tuple[tuple[str, list[Any]], ...] = (
        (
            "clinician_note",
            [
                sa.Column("id", sa.Integer(), nullable=False),
                sa.Column("author_id", sa.Integer(), nullable=True),
                sa.Column("written_at", sa.DateTime(timezone=True), nullable=False),
                sa.Column("text", sa.Text(), nullable=False),
                sa.ForeignKeyConstraint(
                    ["author_id"],
                    ["account.id"],
                    name=op.f("fk_clinician_note_author_id_account"),
                    ondelete="SET NULL",
                ),
            ],
        ),
        (
            "alert",
            [
                sa.Column("id", sa.Integer(), nullable=False),
                sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
                sa.Column("kind", sa.String(length=30), nullable=False),
                sa.Column("tier", sa.String(length=12), nullable=False),
                sa.Column("message", sa.Text(), nullable=False),
                sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
                sa.Column("acknowledged_by", sa.Integer(), nullable=True),
                sa.ForeignKeyConstraint(
                    ["acknowledged_by"],
                    ["account.id"],
                    name=op.f("fk_alert_acknowledged_by_account"),
                    ondelete="SET NULL",
                ),
            ],
        ),
    )
    for name, columns in owned_tables:
        op.create_table(
            name,
            *columns,
            sa.Column("patient_id", sa.Integer(), nullable=False),
            sa.ForeignKeyConstraint(
                ["patient_id"],
                ["account.id"],
                name=op.f(f"fk_{name}_patient_id_account"),
                ondelete="CASCADE",
            ),
            sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
        )
        op.create_index(op.f(f"ix_{name}_patient_id"), name, ["patient_id"])


def _append_only_audit() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'audit_event is append-only'; END $$"
        )
        op.execute(
            "CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event "
            "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()"
        )
        op.execute(
            "CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()"
        )
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_event_no_{event.lower()} BEFORE {event} ON audit_event "
                "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END"
            )


def _legacy_owner() -> int | None:
    """The account that takes a pre-accounts installation's rows, if there are any."""
    bind = op.get_bind()
    has_rows = any(
        bind.execute(sa.text(f"SELECT 1 FROM {table} LIMIT 1")).first() is not None
        for table in OWNED_TABLES
    )
    if not has_rows:
        return None
    account = sa.table(
        "account",
        sa.column("email", sa.String),
        sa.column("role", sa.String),
        sa.column("display_name", sa.String),
        sa.column("admin_access_granted", sa.Boolean),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("unclaimed", sa.Boolean),
    )
    now = datetime.now(UTC)
    bind.execute(
        account.insert().values(
            email=LEGACY_EMAIL,
            role="patient",
            display_name="The person from before accounts",
            admin_access_granted=False,
            created_at=now.replace(tzinfo=None) if bind.dialect.name == "sqlite" else now,
            unclaimed=True,
        )
    )
    owner = bind.execute(
        sa.text("SELECT id FROM account WHERE email = :email"), {"email": LEGACY_EMAIL}
    ).scalar_one()
    return int(owner)


def upgrade() -> None:
    _create_account_tables()
    _append_only_audit()
    owner = _legacy_owner()
    for table in OWNED_TABLES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column("patient_id", sa.Integer(), nullable=True))
        if owner is not None:
            op.execute(sa.text(f"UPDATE {table} SET patient_id = {owner}"))
        with op.batch_alter_table(table) as batch_op:
            batch_op.alter_column("patient_id", existing_type=sa.Integer(), nullable=False)
            batch_op.create_foreign_key(
                op.f(f"fk_{table}_patient_id_account"),
                "account",
                ["patient_id"],
                ["id"],
                ondelete="CASCADE",
            )
            if table in KEYED_BY_NAME:
                batch_op.drop_constraint(f"pk_{table}", type_="primary")
                batch_op.create_primary_key(f"pk_{table}", ["patient_id", KEYED_BY_NAME[table]])
            else:
                batch_op.create_index(op.f(f"ix_{table}_patient_id"), ["patient_id"])
            if table == "reminder":  # one reminder per patient and time, not per time
                batch_op.drop_constraint("uq_reminder_channel_due_at", type_="unique")
                batch_op.create_unique_constraint(
                    "uq_reminder_patient_due_at", ["patient_id", "channel", "due_at"]
                )

    with op.batch_alter_table("program") as batch_op:
        batch_op.add_column(sa.Column("prescribed_by", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_program_prescribed_by_account"),
            "account",
            ["prescribed_by"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    bind = op.get_bind()
    with op.batch_alter_table("program") as batch_op:
        batch_op.drop_constraint(op.f("fk_program_prescribed_by_account"), type_="foreignkey")
        batch_op.drop_column("prescribed_by")
    for table in OWNED_TABLES:
        if table in KEYED_BY_NAME:
            # One row per name again: keep the lowest patient's.
            op.execute(
                sa.text(
                    f"DELETE FROM {table} WHERE patient_id <> (SELECT MIN(patient_id) FROM {table})"
                )
            )
        if table == "reminder":  # one reminder per time again: keep the lowest patient's
            op.execute(
                sa.text(
                    "DELETE FROM reminder WHERE patient_id <> "
                    "(SELECT MIN(patient_id) FROM reminder)"
                )
            )
        with op.batch_alter_table(table) as batch_op:
            if table == "reminder":
                batch_op.drop_constraint("uq_reminder_patient_due_at", type_="unique")
                batch_op.create_unique_constraint(
                    "uq_reminder_channel_due_at", ["channel", "due_at"]
                )
            batch_op.drop_constraint(op.f(f"fk_{table}_patient_id_account"), type_="foreignkey")
            if table in KEYED_BY_NAME:
                batch_op.drop_constraint(f"pk_{table}", type_="primary")
                batch_op.create_primary_key(f"pk_{table}", [KEYED_BY_NAME[table]])
            else:
                batch_op.drop_index(op.f(f"ix_{table}_patient_id"))
            batch_op.drop_column("patient_id")
    for table in (
        "alert",
        "clinician_note",
        "audit_event",
        "account_token",
        "login_attempt",
        "auth_session",
        "account",
    ):
        op.drop_table(table)
    if bind.dialect.name == "postgresql":
        op.execute("DROP FUNCTION audit_event_append_only()")
