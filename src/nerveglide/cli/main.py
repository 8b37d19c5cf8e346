"""The ``nerveglide`` command: serve the app, migrate the database, read the glides."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from nerveglide.cli import admin, analyze, backup, export, session_player, worker
from nerveglide.config import get_settings
from nerveglide.content.loader import default_library
from nerveglide.content.schema import Exercise, Item, Library
from nerveglide.errors import NerveglideError
from nerveglide.json_logs import uvicorn_log_config

if TYPE_CHECKING:
    from fastapi import FastAPI
    from sqlalchemy import Engine

    from nerveglide.services.uow import SqlAlchemyUnitOfWork

app = typer.Typer(
    name="nerveglide",
    help="A coach for sciatic nerve-gliding exercises.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Create or change the database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")
safety_app = typer.Typer(
    help="The safety rules and your current safety verdict.", no_args_is_help=True
)
app.add_typer(safety_app, name="safety")

console = Console()
errors = Console(stderr=True)

USAGE_ERROR = 2


def fail(message: str, code: int = USAGE_ERROR) -> typer.Exit:
    errors.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def find_exercise(library: Library, exercise_id: str) -> Exercise:
    try:
        return library.exercise(exercise_id)
    except KeyError:
        known = ", ".join(e.id for e in library.exercises)
        raise fail(f"unknown exercise {exercise_id!r}. Known exercises: {known}") from None


def sources_of(library: Library, item: Item) -> str:
    return "; ".join(library.label(c.source) for c in item.sources)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            max=64,
            help="Server processes sharing the port (one per core uses every core; "
            "each keeps its state in the database, as the instances of a cluster do).",
        ),
    ] = 1,
) -> None:
    """Start the web app and print its address."""
    import uvicorn

    from nerveglide.store import migrate
    from nerveglide.store.data_dir import require_data_dirs
    from nerveglide.web.app import create_app

    try:
        settings = get_settings()
        require_data_dirs(settings, serving=True)
        url = settings.effective_database_url
        migrate.require_head(url)
    except NerveglideError as exc:
        raise fail(exc.message) from None
    host = host or settings.host
    port = port or settings.port
    # Several processes each import the app themselves (built from the same environment).
    application: FastAPI | str = (
        create_app(settings, serving=True)
        if workers == 1
        else "nerveglide.web.app:app_from_environment"
    )
    processes = "" if workers == 1 else f" ({workers} processes)"
    console.print(
        f"nerveglide is running at [bold]http://{host}:{port}[/]{processes}", highlight=False
    )
    # The app writes its own access log (nerveglide.web.request_log) and believes
    # X-Forwarded-* from NERVEGLIDE_TRUSTED_PROXIES alone (create_app), so uvicorn doesn't.
    uvicorn.run(
        application,
        host=host,
        port=port,
        workers=workers,
        factory=workers > 1,
        log_config=uvicorn_log_config(settings.log_format),
        access_log=False,
        proxy_headers=False,
        # The live coach's frames (about 2.5 kB of numbers, 30 a second) travel
        # uncompressed: inflating each one cost the server 0.15 ms a frame (bench.live,
        # 50 streams: 1.13 -> 0.98 ms a frame, p95 108 -> 73 ms), for 75 kB/s a stream.
        ws_per_message_deflate=False,
    )


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    from nerveglide.store import migrate
    from nerveglide.store.data_dir import require_data_dirs

    try:
        settings = get_settings()
        require_data_dirs(settings, serving=False)
        url = settings.effective_database_url
        migrate.upgrade(url, revision)
        console.print(f"database at {migrate.current(url) or 'base'}: {_safe(url)}")
    except NerveglideError as exc:
        raise fail(exc.message) from None


@db_app.command("downgrade")
def db_downgrade(
    revision: Annotated[str, typer.Argument(help="Target revision, or 'base'.")],
) -> None:
    """Undo migrations down to REVISION."""
    from nerveglide.store import migrate

    try:
        url = get_settings().effective_database_url
        migrate.downgrade(url, revision)
        console.print(f"database at {migrate.current(url) or 'base'}: {_safe(url)}")
    except NerveglideError as exc:
        raise fail(exc.message) from None


@db_app.command("current")
def db_current() -> None:
    """Print the database's migration revision."""
    from nerveglide.store import migrate

    try:
        url = get_settings().effective_database_url
        console.print(migrate.current(url) or "base")
    except NerveglideError as exc:
        raise fail(exc.message) from None


def _safe(url: str) -> str:
    """The URL without its password, for printing."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@app.command()
def exercises() -> None:
    """List the glides with their doses by source."""
    library = default_library()
    table = Table(title="Nerve glides", show_lines=True)
    table.add_column("id", style="bold", no_wrap=True)
    table.add_column("name")
    table.add_column("doses by source")
    for exercise in library.exercises:
        doses = "\n".join(f"{d.text} ({d.source})" for d in exercise.doses) or (
            "no dose given by either source: your setting"
        )
        table.add_row(exercise.id, exercise.name, doses)
    console.print(table)


@app.command()
def show(exercise_id: Annotated[str, typer.Argument(metavar="EXERCISE")]) -> None:
    """Show a glide's steps, doses, settings and safety, each with its source."""
    library = default_library()
    exercise = find_exercise(library, exercise_id)
    console.print(f"[bold]{exercise.name}[/] ({exercise.id})", highlight=False)
    console.print(f"{exercise.summary.text}\n", highlight=False)

    steps = Table(title="Steps", show_lines=True, expand=True)
    steps.add_column("#", justify="right", no_wrap=True)
    steps.add_column("step")
    steps.add_column("source")
    for number, step in enumerate(exercise.steps, start=1):
        steps.add_row(str(number), step.text, sources_of(library, step))
    console.print(steps)

    doses = Table(title="Doses by source", show_lines=True, expand=True)
    doses.add_column("dose")
    doses.add_column("source")
    for dose in exercise.doses:
        doses.add_row(dose.text, dose.source)
    if not exercise.doses:
        doses.add_row("Neither source gives a dose for this glide: see the settings.", "-")
    console.print(doses)

    if exercise.settings:
        settings = Table(title="Values you choose (settings)", show_lines=True, expand=True)
        settings.add_column("setting")
        settings.add_column("why it is yours")
        settings.add_column("source")
        for setting in exercise.settings:
            settings.add_row(
                f"{setting.label} ({setting.unit})", setting.text, sources_of(library, setting)
            )
        console.print(settings)

    extra = Table(show_header=True, show_lines=True, expand=True, title="More")
    extra.add_column("kind", no_wrap=True)
    extra.add_column("text")
    extra.add_column("source")
    for kind, items in (
        ("variant", exercise.variants),
        ("feel", exercise.feel),
        ("tip", exercise.tips),
        ("safety", exercise.safety),
    ):
        for item in items:
            extra.add_row(kind, item.text, sources_of(library, item))
    for rule in library.safety.rules:
        if rule.id in exercise.safety_rules:
            extra.add_row("safety", rule.text, sources_of(library, rule))
    console.print(extra)


@app.command()
def demo(
    exercise_id: Annotated[str, typer.Argument(metavar="EXERCISE")],
    out: Annotated[Path, typer.Option("--out", "-o", help="File to write: .svg or .gif.")],
    fps: Annotated[int, typer.Option(min=1, max=60, help="Frames per second.")] = 12,
) -> None:
    """Write a glide's animated demonstration to an SVG or GIF file."""
    from nerveglide.demo.gif import animated_gif
    from nerveglide.demo.svg import animated_svg

    library = default_library()
    exercise = find_exercise(library, exercise_id)
    suffix = out.suffix.lower()
    if suffix not in {".svg", ".gif"}:
        raise fail(f"--out must end in .svg or .gif, not {out.name!r}")
    if not out.parent.is_dir():
        raise fail(f"the folder {str(out.parent)!r} does not exist")
    try:
        if suffix == ".svg":
            out.write_text(animated_svg(exercise, fps=fps), encoding="utf-8")
        else:
            animated_gif(exercise, out, fps=fps)
    except OSError as exc:
        raise fail(f"cannot write {str(out)!r}: {exc.strerror or exc}", code=1) from None
    console.print(f"wrote {out}", highlight=False)


PatientOption = Annotated[
    str | None,
    typer.Option(
        "--patient",
        metavar="EMAIL",
        help="The patient this is for (needed when the installation has several).",
    ),
]


@contextmanager
def unit_of_work(patient: str | None = None) -> Iterator[SqlAlchemyUnitOfWork]:
    """A unit of work on the configured database (which must be migrated), scoped to the
    patient ``--patient`` names, or the only one; settings and database problems end the
    command with their message (exit 2)."""
    from nerveglide.services.accounts import cli_patient
    from nerveglide.services.uow import SqlAlchemyUnitOfWork
    from nerveglide.store.audit_trail import AuditContext
    from nerveglide.store.db import make_session_factory

    engine = _engine()
    try:
        factory = make_session_factory(engine)
        owner = cli_patient(factory, patient, datetime.now(UTC))
        with SqlAlchemyUnitOfWork(
            factory, patient_id=owner.id, audit=AuditContext(None, "system", "cli")
        ) as uow:
            yield uow
    except NerveglideError as exc:
        raise fail(exc.message) from None
    finally:
        engine.dispose()


def _engine() -> Engine:
    from nerveglide.store import migrate
    from nerveglide.store.db import make_engine

    try:
        url = get_settings().effective_database_url
        migrate.require_head(url)
        return make_engine(url)
    except NerveglideError as exc:
        raise fail(exc.message) from None


@safety_app.command("rules")
def safety_rules() -> None:
    """Print every safety rule: its tier, what it reads, its message and its sources."""
    from nerveglide.content.loader import default_rules
    from nerveglide.content.safety_rules import AnswerCondition, CountCondition

    library = default_library()
    rules = default_rules()
    console.print(f"[bold]Safety rules[/] (version {rules.version})", highlight=False)
    table = Table(show_lines=True, expand=True)
    for column in ("rule", "tier", "reads", "message", "sources"):
        table.add_column(column)
    for rule in rules.rules:
        condition = rule.condition
        if isinstance(condition, AnswerCondition):
            reads = f"answer: {rules.question(condition.question).text}"
        elif isinstance(condition, CountCondition):
            reads = "sessions: " + ", ".join(
                f"{rules.setting(n).label} ({rules.setting(n).default} by default)"
                for n in condition.settings
            )
        else:
            reads = "the latest session"
        if rule.basis == "operational":
            reads += f"\nOperational reading: {rule.basis_note}"
        sources = "; ".join(library.label(c.source) for c in rule.sources)
        table.add_row(
            f"{rule.id} v{rule.version}\n{rule.title}", rule.tier, reads, rule.message, sources
        )
    console.print(table)


@safety_app.command("status")
def safety_status(patient: PatientOption = None) -> None:
    """Print the current safety verdict from the database (and whether screening is due)."""
    from nerveglide.content.loader import default_rules
    from nerveglide.services.safety import current_verdict, is_screening_due, safety_settings

    rules = default_rules()
    now = datetime.now(UTC)
    with unit_of_work(patient) as uow:
        verdict = current_verdict(uow, rules, now)
        due = is_screening_due(uow, rules, now)
        verdict_settings = safety_settings(uow, rules)
    console.print(
        f"tier: [bold]{verdict.tier}[/]  {rules.tier_text[verdict.tier]}", highlight=False
    )
    console.print(f"safety questions due: {'yes' if due else 'no'}", highlight=False)
    for setting in rules.settings:
        value = verdict_settings.get(setting.name, setting.default)
        mark = "" if value != setting.default else " (default)"
        console.print(f"setting {setting.name} = {value}{mark}", highlight=False)
    for fired in verdict.fired:
        console.print(f"- {fired.rule_id} ({fired.tier}): {fired.why}", highlight=False)


@safety_app.command("set")
def safety_set(
    name: Annotated[str, typer.Argument(help="A safety setting, e.g. screen_interval_days.")],
    value: Annotated[int, typer.Argument(help="Its new value.")],
    patient: PatientOption = None,
) -> None:
    """Change a safety setting for this installation (a clinician's choice; each rule
    names the settings it reads: see `nerveglide safety rules`)."""
    from nerveglide.content.loader import default_rules
    from nerveglide.services.safety import set_safety_setting

    with unit_of_work(patient) as uow:
        set_safety_setting(uow, default_rules(), name, value, datetime.now(UTC))
        uow.commit()
    console.print(f"{name} = {value}", highlight=False)


app.command("session")(session_player.session)
app.add_typer(admin.app, name="admin")
app.command("analyze")(analyze.analyze)
app.add_typer(export.app, name="export")
app.command("worker")(worker.worker)
app.command("backup")(backup.backup)
app.command("restore")(backup.restore)


def main() -> None:
    app()
