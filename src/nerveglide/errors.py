"""The errors nerveglide raises on purpose, so callers can catch at the right level.

::

    NerveglideError                 anything nerveglide raises on purpose
    ├── NotFound                    the thing asked for does not exist
    ├── NotAuthenticated            nobody is logged in (or the login failed)
    │   └── Throttled               too many failed logins: wait, then try again
    ├── NotPermitted                it exists, but this caller may not do that
    │   ├── SafetyStop              a safety verdict blocks exercising now
    │   └── ScreeningDue            the red-flag questions must be answered first
    ├── InvalidInput                a caller passed a value we refuse
    ├── InvalidContent              the teaching content (packaged YAML) is not valid
    ├── ConfigurationError          settings or environment are wrong; raised at startup
    └── DatabaseError               the database refused or failed an operation
        └── DatabaseNotWritable     the disk is full or read-only: nothing could be saved
        └── DatabaseUnavailable     it does not answer (restarting, unreachable): retry soon

These are plain exceptions with a message. They carry no HTTP status codes: the web
layer maps them to responses in one place, and the CLI maps them to exit codes.
"""

from __future__ import annotations

__all__ = [
    "ConfigurationError",
    "DatabaseError",
    "DatabaseNotWritable",
    "DatabaseUnavailable",
    "InvalidContent",
    "InvalidInput",
    "NerveglideError",
    "NotAuthenticated",
    "NotFound",
    "NotPermitted",
    "SafetyStop",
    "ScreeningDue",
    "Throttled",
]


class NerveglideError(Exception):
    """Base of every error nerveglide raises on purpose."""

    default_message = "nerveglide error"

    def __init__(self, message: str | None = None) -> None:
        self.message = message if message is not None else self.default_message
        super().__init__(self.message)


class NotFound(NerveglideError):
    """The thing asked for does not exist."""

    default_message = "Not found"


class NotAuthenticated(NerveglideError):
    """Nobody is logged in, the session has ended, or a login was refused."""

    default_message = "Please log in"


class Throttled(NotAuthenticated):
    """Too many failed logins for this account or address; try again later."""

    default_message = "Too many failed logins: please wait a few minutes and try again"

    def __init__(self, message: str | None = None, *, retry_after_s: int = 60) -> None:
        super().__init__(message)
        #: Seconds until the next try is allowed.
        self.retry_after_s = retry_after_s


class NotPermitted(NerveglideError):
    """The thing exists, but this caller may not do that with it."""

    default_message = "Not permitted"


class InvalidInput(NerveglideError):
    """A caller passed a value that nerveglide refuses."""

    default_message = "Invalid input"


class InvalidContent(NerveglideError):
    """The teaching content (exercise definitions, sources) is not valid."""

    default_message = "Invalid content"


class ConfigurationError(NerveglideError):
    """Settings or the environment are wrong; raised at startup, before serving."""

    default_message = "Invalid configuration"


class DatabaseError(NerveglideError):
    """The database refused or failed an operation (constraint, lock, connection)."""

    default_message = "Database error"


class DatabaseNotWritable(DatabaseError):
    """The database could not be written because of where it is kept: the disk is full,
    or the file system or the file is read-only. The transaction was rolled back; the
    same write works again once the cause is gone (no restart needed)."""

    default_message = "the database could not be written"


class DatabaseUnavailable(DatabaseError):
    """The database does not answer just now (restarting, unreachable, no free
    connection): nothing was changed by the failed operation's uncommitted part, and the
    same request can be sent again in a few seconds."""

    default_message = "The database is not answering just now: try again in a few seconds."


class SafetyStop(NotPermitted):
    """A safety verdict ("see a doctor" or "emergency") blocks exercising now."""

    default_message = "Exercises are paused by a safety rule: see /safety/why"

    def __init__(self, message: str | None = None, *, tier: str = "see_doctor") -> None:
        super().__init__(message)
        self.tier = tier


class ScreeningDue(NotPermitted):
    """The red-flag questions are due before the next session."""

    default_message = "Please answer the safety questions first: see /screening"
