"""Password hashing (Argon2id) and the password policy.

Policy (OWASP ASVS 2.1): at least 8 characters, up to 256 (long passphrases welcome),
any characters, and not one of the commonly used passwords in
``security/data/common-passwords.txt.gz`` (19,640 passwords from breach corpora; where it
comes from is in ``common-passwords.NOTICE.txt`` beside it).
"""

from __future__ import annotations

import gzip
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from nerveglide.errors import InvalidInput

__all__ = [
    "MAX_LENGTH",
    "MIN_LENGTH",
    "check_password_policy",
    "common_passwords",
    "hash_password",
    "needs_rehash",
    "verify_password",
]

MIN_LENGTH = 8
MAX_LENGTH = 256
COMMON_PASSWORDS = Path(__file__).parent / "data" / "common-passwords.txt.gz"

# argon2-cffi's defaults are Argon2id with RFC 9106's low-memory profile
# (t=3, m=64 MiB, p=4). Changing them here rehashes each password at its next login.
_HASHER = PasswordHasher()


@cache
def common_passwords() -> frozenset[str]:
    with gzip.open(COMMON_PASSWORDS, "rt", encoding="utf-8") as handle:
        return frozenset(line.strip() for line in handle if line.strip())


def check_password_policy(password: str) -> None:
    """Raise :class:`InvalidInput` saying what is wrong with ``password``, if anything."""
    if len(password) < MIN_LENGTH:
        raise InvalidInput(f"password: use at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise InvalidInput(f"password: use at most {MAX_LENGTH} characters")
    if password.lower() in common_passwords():
        raise InvalidInput(
            "password: this is one of the most commonly used passwords; choose another"
        )


def hash_password(password: str, hasher: PasswordHasher = _HASHER) -> str:
    return hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    if not stored_hash:
        # Spend the same time as a real check, so timing tells nothing.
        _HASHER.hash(password)
        return False
    try:
        return _HASHER.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str, hasher: PasswordHasher = _HASHER) -> bool:
    return hasher.check_needs_rehash(stored_hash)
