"""The person's rights over their data: a copy of all of it, in formats other systems
read (a FHIR R4 Bundle and CSV files), with the session videos they chose to keep, zipped
with a README that says what each file holds."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import IO

from nerveglide.content.safety_rules import RuleSet
from nerveglide.content.schema import Library
from nerveglide.reports.model import Period
from nerveglide.services.reports import MAX_DAYS, gather_report
from nerveglide.services.uow import AbstractUnitOfWork
from nerveglide.store.models.account import AccountRow

__all__ = ["README", "write_everything"]

README = """\
Your nerveglide data
====================

Everything nerveglide keeps about you, as of {made} (UTC), covering {start} to {end}.

account.json        your account: id, email, name, role, when it was made
fhir-bundle.json    a FHIR R4 Bundle (https://hl7.org/fhir/R4/): you (Patient), each version
                    of your program (CarePlan), each session (Procedure), each pain score
                    (Observation, LOINC 72514-3) and each questionnaire response
                    (QuestionnaireResponse); other health software can read it
csv/                the same data as spreadsheets; csv/README.txt describes every column
videos/             the session videos you chose to keep, one folder per session
videos.csv          one row per video: session, when it was kept, type, size, file

The videos are as your browser recorded them (WebM or MP4: most video players open
them). {missing}
"""


def write_everything(
    uow: AbstractUnitOfWork,
    account: AccountRow,
    out: IO[bytes],
    *,
    recordings: Path,
    timezone: str,
    now: datetime,
    today: date,
    library: Library,
    rules: RuleSet,
) -> None:
    """Write the zip to ``out``: ``README.txt``, ``account.json``, ``fhir-bundle.json``,
    the CSV files (``csv/``) over the longest period a report covers (ending today), and
    the kept videos (``videos/``, from the patient's ``recordings`` folder, with
    ``videos.csv``). Videos are stored as they are (already compressed), read from disk
    in pieces, so a large one does not fill the memory."""
    from nerveglide.fhir.mapping import report_bundle
    from nerveglide.fhir.validation import validate_bundle
    from nerveglide.reports.csv import csv_zip

    period = Period(today - timedelta(days=MAX_DAYS - 1), today)
    report = gather_report(uow, period, timezone=timezone, now=now, library=library, rules=rules)
    bundle = report_bundle(report)
    validate_bundle(bundle)
    videos = uow.live.all_recordings()
    index = io.StringIO()
    writer = csv.writer(index, lineterminator="\n")
    writer.writerow(["session_id", "kept_at", "content_type", "size_bytes", "file"])
    missing = []
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
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
        for video in videos:
            source = recordings / video.session_id / video.file_name
            name = f"videos/{video.session_id}/{video.file_name}"
            if source.is_file():
                archive.write(source, name, compress_type=zipfile.ZIP_STORED)
            else:
                missing.append(name)
                name = ""
            writer.writerow(
                [video.session_id, video.created_at.isoformat(), video.content_type,
                 video.size_bytes, name]
            )  # fmt: skip
        archive.writestr("videos.csv", index.getvalue())
        note = (
            "These videos were listed but their files were missing, so they are not here: "
            + ", ".join(missing)
            if missing
            else ""
        )
        readme = README.format(
            made=now.strftime("%Y-%m-%d %H:%M"), start=period.start, end=period.end, missing=note
        )
        archive.writestr("README.txt", readme)
