"""``nerveglide export pdf|csv|fhir --from DAY --to DAY --out PATH``: a period's progress
report for the therapist, from the database, as a PDF, CSV files, or a FHIR R4 Bundle.

Bad input (a period that runs backwards, no records in it, a folder that does not exist)
ends with its message and exit code 2; a file that can't be written, with exit code 1.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

if TYPE_CHECKING:
    from nerveglide.services.reports import ExportKind

app = typer.Typer(
    help="Write a period's progress report: a PDF, CSV files or a FHIR R4 Bundle.",
    no_args_is_help=True,
)
console = Console()

FromOption = Annotated[
    datetime,
    typer.Option(
        "--from", formats=["%Y-%m-%d"], help="The first day (YYYY-MM-DD).", show_default=False
    ),
]
ToOption = Annotated[
    datetime | None,
    typer.Option(
        "--to",
        formats=["%Y-%m-%d"],
        help="The last day (YYYY-MM-DD); today when left out.",
        show_default=False,
    ),
]


PatientOption = Annotated[
    str | None,
    typer.Option(
        "--patient",
        metavar="EMAIL",
        help="The patient this is for (needed when the installation has several).",
    ),
]


def _run(
    kind: ExportKind, start: datetime, end: datetime | None, out: Path, patient: str | None
) -> None:
    from nerveglide.cli.main import fail, unit_of_work
    from nerveglide.config import get_settings
    from nerveglide.content.loader import default_library, default_rules
    from nerveglide.errors import NerveglideError
    from nerveglide.reports.csv import FILES, csv_text, readme
    from nerveglide.services.reports import export, parse_period

    now = datetime.now(UTC)
    try:
        settings = get_settings()
        last: date = end.date() if end is not None else settings.today(now)
        period = parse_period(start.date(), last, start_name="--from", end_name="--to")
    except NerveglideError as exc:
        raise fail(exc.message) from None
    folder = kind == "csv" and out.suffix.lower() != ".zip"
    parent = out.parent
    if folder and out.exists() and not out.is_dir():
        raise fail(f"--out {str(out)!r} is a file; give a folder, or a name ending in .zip")
    if not folder and out.is_dir():
        raise fail(f"--out {str(out)!r} is a folder; give a file name")
    if not parent.is_dir():
        raise fail(f"the folder {str(parent)!r} does not exist")
    with unit_of_work(patient) as uow:
        made = export(
            uow,
            kind,
            period,
            timezone=settings.timezone,
            now=now,
            library=default_library(),
            rules=default_rules(),
        )
    try:
        if folder:
            out.mkdir(exist_ok=True)
            (out / "README.txt").write_text(readme(made.report), encoding="utf-8")
            for file in FILES:
                (out / file.name).write_text(csv_text(made.report, file), encoding="utf-8")
        else:
            out.write_bytes(made.content)
    except OSError as exc:
        console.print(f"[bold red]error:[/] cannot write {str(out)!r}: {exc.strerror or exc}")
        raise typer.Exit(1) from None
    report = made.report
    what = f"{len(report.sessions)} sessions, {len(report.diary)} diary days"
    console.print(
        f"wrote {out} ({what}; {report.period.start} to {report.period.end})", highlight=False
    )


@app.command("pdf")
def pdf(
    start: FromOption,
    out: Annotated[Path, typer.Option("--out", "-o", help="The PDF file to write.")],
    end: ToOption = None,
    patient: PatientOption = None,
) -> None:
    """The progress report for the therapist, as a PDF."""
    _run("pdf", start, end, out, patient)


@app.command("csv")
def csv(
    start: FromOption,
    out: Annotated[
        Path,
        typer.Option(
            "--out", "-o", help="A folder for the CSV files (made if missing), or a .zip file."
        ),
    ],
    end: ToOption = None,
    patient: PatientOption = None,
) -> None:
    """Sessions, repetitions, stops, diary and questionnaires as CSV files, with a README
    describing every column."""
    _run("csv", start, end, out, patient)


@app.command("fhir")
def fhir(
    start: FromOption,
    out: Annotated[Path, typer.Option("--out", "-o", help="The JSON file to write.")],
    end: ToOption = None,
    patient: PatientOption = None,
) -> None:
    """A FHIR R4 Bundle (JSON): the program, the sessions and the pain scores, validated."""
    _run("fhir", start, end, out, patient)
