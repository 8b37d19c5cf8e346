"""The mixin that makes a table's rows belong to one patient account.

Every clinical table (program, sessions and repetitions, stop events, safety records,
diary, questionnaires, reminders, the live coach and kept session videos) derives from
:class:`PatientOwned`. A unit of work opened for a patient (see
:mod:`nerveglide.store.scoping`) reads only that patient's rows and stamps new rows with
the patient's id; deleting the account deletes them (``ON DELETE CASCADE``).
"""

from __future__ import annotations

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

__all__ = ["PatientOwned"]


class PatientOwned:
    """Mixin: a ``patient_id`` column referring to the owning ``account``."""

    patient_id: Mapped[int] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), index=True
    )
