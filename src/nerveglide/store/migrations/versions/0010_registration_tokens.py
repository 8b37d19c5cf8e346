"""self-registration waits for the emailed link: 'register' tokens hold the pending name
and password hash

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23

Registering without an invitation no longer makes the account at once (that answer told
anyone whether an address already had one): the form stores a single-use ``register``
token with the chosen name and the Argon2id hash of the password, and the account is
made when the link emailed to the address is opened.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("account_token", schema=None) as batch_op:
        batch_op.add_column(sa.Column("display_name", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("password_hash", sa.String(length=200), nullable=True))
        batch_op.drop_constraint(op.f("ck_account_token_purpose"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_account_token_purpose"), "purpose IN ('invite', 'reset', 'register')"
        )


def downgrade() -> None:
    op.execute("DELETE FROM account_token WHERE purpose = 'register'")
    with op.batch_alter_table("account_token", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_account_token_purpose"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_account_token_purpose"), "purpose IN ('invite', 'reset')"
        )
        batch_op.drop_column("password_hash")
        batch_op.drop_column("display_name")
