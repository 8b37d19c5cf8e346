"""Is this app instance ready to serve? Its database answers, at the schema it needs.

A load balancer asks ``/readyz`` (:func:`readiness`) before sending an instance
requests, and again while it runs: an instance whose database is down, or at another
migration than this version of nerveglide needs (an upgrade half done), is taken out of
the rotation until it is ready again. ``/healthz`` only says that the process answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from nerveglide.errors import DatabaseError, DatabaseUnavailable
from nerveglide.store import migrate

if TYPE_CHECKING:
    from sqlalchemy import Engine

__all__ = ["Readiness", "readiness"]


@dataclass(frozen=True)
class Readiness:
    ready: bool
    #: The migration the database is at, and the one this version needs.
    revision: str | None
    head: str
    #: Why not ready (None when ready); never a password or a statement's values.
    problem: str | None = None

    def as_dict(self) -> dict[str, object]:
        body: dict[str, object] = {
            "status": "ready" if self.ready else "unavailable",
            "migration": self.revision,
            "needs": self.head,
        }
        if self.problem is not None:
            body["detail"] = self.problem
        return body


def readiness(engine: Engine) -> Readiness:
    """Ask the database for its migration (one short query on a pooled connection)."""
    want = migrate.head()
    try:
        have = migrate.revision_on(engine)
    except DatabaseUnavailable:
        return Readiness(False, None, want, "the database does not answer")
    except DatabaseError as exc:
        return Readiness(False, None, want, f"the database failed: {exc.message}")
    if have != want:
        return Readiness(
            False,
            have,
            want,
            f"the database is at migration {have or 'none'}, this version needs {want}",
        )
    return Readiness(True, have, want)
