"""Random tokens for cookies and links, and the hashes the database keeps of them."""

from __future__ import annotations

import hashlib
import hmac
import secrets

__all__ = ["new_token", "same", "token_hash"]


def new_token() -> str:
    """256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """SHA-256 hex: what the database stores in place of the token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def same(a: str, b: str) -> bool:
    """Constant-time comparison."""
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))
