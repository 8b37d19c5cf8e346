"""Who is acting: roles and the actor every service is told about. Plain Python."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["ROLES", "Actor", "Role"]

Role = Literal["patient", "clinician", "admin"]
ROLES: tuple[Role, ...] = ("patient", "clinician", "admin")


@dataclass(frozen=True)
class Actor:
    """A logged-in account, or the system (the CLI acting for its only patient)."""

    account_id: int | None
    role: Role | Literal["system"]
    address: str | None = None
    email: str | None = None

    @property
    def is_patient(self) -> bool:
        return self.role == "patient"

    @staticmethod
    def system(address: str | None = None) -> Actor:
        return Actor(account_id=None, role="system", address=address)
