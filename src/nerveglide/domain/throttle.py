"""Login throttling that slows an attacker without locking the owner out (OWASP ASVS
4.0.3, 2.2.1: anti-automation "effective at mitigating breached credential testing, brute
force, and account lockout attacks", with "soft lockouts, rate limiting, ... ever
increasing delays between attempts, ... risk-based restrictions such as ... first login
on a device", and "no more than 100 failed attempts per hour ... on a single account").

Three counters, each a delay on *trying*, never a lock on the account:

- **one account from one address**: after ``free_failures`` failures in a row (since the
  last success from there), each further try waits ``first_delay_s``, then twice that,
  and so on up to ``max_delay_s``. Someone guessing from one place slows to a few tries
  an hour; nobody elsewhere is affected.
- **one account from addresses that never logged in to it**: at most ``per_account``
  failures in ``window_s``; then such addresses wait until the oldest falls out of the
  window. Many addresses guessing together stay under the ASVS bound, and the owner, at
  an address they have logged in from before, is not held up at all.
- **one address, all accounts** (password spraying): at most ``per_address`` failures in
  ``window_s``; then that address waits, except for accounts it has logged in to before.

Plain Python: the service layer gathers the counts (:class:`LoginHistory`) from the
stored attempts, shared by every app instance.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = ["LoginHistory", "ThrottlePolicy", "wait_before_login"]


@dataclass(frozen=True)
class ThrottlePolicy:
    free_failures: int
    first_delay_s: float
    max_delay_s: float
    per_account: int
    per_address: int
    window_s: float


@dataclass(frozen=True)
class LoginHistory:
    """What the stored attempts say about one account (by email) from one address."""

    #: Failures of this account from this address since its last success there.
    pair_failures: int
    last_pair_failure: datetime | None
    #: This address has logged in to this account before.
    familiar: bool
    #: Failures of this account, within the window, from addresses it never logged in from.
    unfamiliar_failures: int
    oldest_unfamiliar_failure: datetime | None
    #: Failures from this address, within the window, on any account.
    address_failures: int
    oldest_address_failure: datetime | None


def _pair_delay(failures: int, policy: ThrottlePolicy) -> float:
    extra = failures - policy.free_failures
    if extra < 0:
        return 0.0
    return min(policy.max_delay_s, policy.first_delay_s * 2.0 ** min(extra, 60))


def wait_before_login(history: LoginHistory, policy: ThrottlePolicy, now: datetime) -> float:
    """Seconds this address must wait before its next try at this account (0: try now)."""
    waits = [0.0]
    if history.last_pair_failure is not None:
        ready = history.last_pair_failure + timedelta(
            seconds=_pair_delay(history.pair_failures, policy)
        )
        waits.append((ready - now).total_seconds())
    window = timedelta(seconds=policy.window_s)
    if not history.familiar:
        if (
            history.unfamiliar_failures >= policy.per_account
            and history.oldest_unfamiliar_failure is not None
        ):
            waits.append((history.oldest_unfamiliar_failure + window - now).total_seconds())
        if (
            history.address_failures >= policy.per_address
            and history.oldest_address_failure is not None
        ):
            waits.append((history.oldest_address_failure + window - now).total_seconds())
    return max(waits)
