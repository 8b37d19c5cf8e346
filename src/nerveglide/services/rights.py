"""The person's rights over their data: a copy of all of it, in formats other systems
read (a FHIR R4 Bundle and CSV files, zipped with a description of the account)."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date, datetime, timedelta

from nerveglide.content.safety_rules import RuleSet
from nerveglide.content.schema import Library
from nerveglide.reports.model import Period
from nerveglide.services.reports import MAX_DAYS, gather_report
from nerveglide.services.uow import AbstractUnitOfWork
from nerveglide.store.models.account import AccountRow

__all__ = ["export_everything"]


def export_everything(
    uow: AbstractUnitOfWork,
    account: AccountRow,
    *,
    timezone: str,
    now: datetime,
    today: date,
    library: Library,
    rules: RuleSet,
) -> bytes:
    """A zip: ``account.json``, ``fhir-bundle.json`` and the CSV files (``csv/``), over the
    longest period a report covers, ending today."""
    from nerveglide.fhir.mapping import report_bundle
    from nerveglide.fhir.validation import validate_bundle
    from nerveglide.reports.csv import csv_zip

    period = Period(today - timedelta(days=MAX_DAYS - 1), today)
    report = gather_report(uow, period, timezone=timezone, now=now, library=library, rules=rules)
    bundle = report_bundle(report)
    validate_bundle(bundle)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "account.json",
            json.dumps(
                {
                    "id": account.id,
                    "email": account.email,
                    "name": account.display_name,
                    "role": account.role,
                    "created_at": account.created_at.isoformat(),
                    "period": [period.start.isoformat(), period.end.isoformat()],
                },
                indent=2,
            ),
        )
        archive.writestr("fhir-bundle.json", json.dumps(bundle, ensure_ascii=False, indent=1))
        with zipfile.ZipFile(io.BytesIO(csv_zip(report))) as csvs:
            for name in csvs.namelist():
                archive.writestr(f"csv/{name}", csvs.read(name))
    return buffer.getvalue()
