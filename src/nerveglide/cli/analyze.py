"""``nerveglide analyze VIDEO``: the offline motion coach from the command line.

Everything heavy (numpy, OpenCV, MediaPipe, matplotlib) is imported when the command
runs, so the rest of the CLI starts fast.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

if TYPE_CHECKING:
    from nerveglide.services.analysis import VideoAnalysis

console = Console()
errors = Console(stderr=True)

USAGE_ERROR = 2


class Movement(StrEnum):
    knee = "knee"
    hip = "hip"
    ankle = "ankle"
    trunk = "trunk"
    neck = "neck"


class LegOption(StrEnum):
    left = "left"
    right = "right"
    auto = "auto"


def _demo(kind: str) -> str:
    """The content's demo values of the glides' ``kind`` setting, for the help text."""
    from nerveglide.content.loader import default_library

    values = {
        f"{s.demo_value:g} s"
        for e in default_library().exercises
        for s in e.settings
        if s.id.endswith(f".setting.{kind}")
    }
    return "the content's demo value: " + ", ".join(sorted(values))


def _fail(message: str) -> typer.Exit:
    errors.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(USAGE_ERROR)


def analyze(
    video: Annotated[
        Path, typer.Argument(help="The video file: any format OpenCV reads (MP4, MOV, ...).")
    ],
    glide: Annotated[
        str | None,
        typer.Option(
            help="The glide filmed: supine-nerve-glide, seated-leg-raise or seated-leg-kick."
        ),
    ] = None,
    movement: Annotated[
        Movement | None,
        typer.Option(
            help="Instead of a glide: the joint that bends and straightens in any exercise "
            "(a squat: knee; a bridge: hip)."
        ),
    ] = None,
    leg: Annotated[
        LegOption, typer.Option(help="The exercising leg, or auto to detect it.")
    ] = LegOption.auto,
    out: Annotated[
        Path | None,
        typer.Option(help="Folder for the results.", show_default="VIDEO's name + '.analysis'"),
    ] = None,
    pace: Annotated[
        float | None,
        typer.Option(
            min=0.1,
            max=60,
            help="Your program's time, in seconds, to straighten the leg (the glide's "
            "'pace' setting).",
            show_default=_demo("pace"),
        ),
    ] = None,
    hold: Annotated[
        float | None,
        typer.Option(
            min=0.1,
            max=60,
            help="Your program's hold at the stretch, in seconds (supine-nerve-glide's "
            "'hold' setting).",
            show_default=_demo("hold"),
        ),
    ] = None,
    annotated_video: Annotated[
        bool,
        typer.Option("--video/--no-video", help="Write the annotated video (annotated.mp4)."),
    ] = True,
) -> None:
    """Count and measure the repetitions in a video of a glide (or of any exercise that
    bends and straightens one joint), with form cues; write report.json, reps.csv,
    angles.csv, a plot and an annotated video."""
    from nerveglide.content.loader import default_library
    from nerveglide.errors import InvalidInput

    if (glide is None) == (movement is None):
        raise _fail("give either --glide GLIDE or --movement JOINT (one of them)")
    exercise = None
    if glide is not None:
        library = default_library()
        try:
            exercise = library.exercise(glide)
        except KeyError:
            known = ", ".join(e.id for e in library.exercises)
            raise _fail(f"unknown glide {glide!r}. Known glides: {known}") from None
        if hold is not None and not any(p.kind == "hold" for p in exercise.reference_motion.phases):
            raise _fail(f"{exercise.name} has no hold at the stretch: leave out --hold")
    elif pace is not None or hold is not None:
        raise _fail("--pace and --hold are a glide's program settings: use them with --glide")
    if not video.exists():
        raise _fail(f"there is no file {str(video)!r}")
    target = out if out is not None else video.with_name(video.name + ".analysis")
    if target.exists() and not target.is_dir():
        raise _fail(f"--out {str(target)!r} is a file; give a folder")

    from nerveglide.services.analysis import analyse_video, write_outputs

    try:
        with _progress() as bar:
            task = bar.add_task("finding the pose", total=None)

            def step(done: int, total: int) -> None:
                bar.update(task, completed=done, total=max(total, done))

            result = analyse_video(
                video,
                exercise=exercise,
                movement=movement.value if movement is not None else None,
                leg=leg.value,
                pace_s=pace,
                hold_s=hold,
                progress=step,
            )
            bar.update(task, description="writing the results", completed=0, total=None)
            files = write_outputs(
                result, target, leg=leg.value, video=annotated_video, progress=step
            )
    except InvalidInput as exc:
        raise _fail(exc.message) from None
    except OSError as exc:
        errors.print(
            f"[bold red]error:[/] cannot write the results to {str(target)!r}: "
            f"{exc.strerror or exc}",
            highlight=False,
        )
        raise typer.Exit(1) from None
    _summary(result)
    console.print(f"results in [bold]{target}[/]: {', '.join(files)}", highlight=False)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("frames"),
        TimeElapsedColumn(),
        console=errors,
        transient=True,
    )


def _summary(result: VideoAnalysis) -> None:
    from nerveglide.motion.reps import UNCERTAINTY_DEG

    analysis = result.analysis
    name = analysis.spec.name if analysis.spec else f"{analysis.movement} movement"
    joint = analysis.joint
    unc = UNCERTAINTY_DEG.get(joint, 7.4)
    table = Table(
        title=(
            f"{name}: {analysis.complete_count} complete repetition(s) of "
            f"{len(analysis.reps)}, leg {'/'.join(analysis.legs) or '-'}"
            f"{' (detected)' if analysis.leg_detected else ''}"
        ),
        caption=(
            f"angles ±{unc:g} deg (single side-on camera; Stenum et al. 2021, "
            "PLoS Comput Biol 17:e1008935)"
        ),
    )
    for column in ("#", "leg", "done", "start", "end", "hold", "range", "knee ext", "out", "cues"):
        table.add_column(column, justify="left" if column in ("leg", "cues") else "right")
    sentences: dict[str, str] = {}
    for rep in analysis.reps:
        out_phase = next((p for p in rep.phases if p.name == "out"), None)
        knee = rep.knee_extension_peak_deg
        for cue in rep.cues:
            sentences[cue.code] = f"{cue.text} ({', '.join(cue.items)})"
        table.add_row(
            str(rep.index),
            rep.leg,
            "yes" if rep.complete else "no",
            f"{rep.start_s:.1f}",
            f"{rep.end_s:.1f}",
            f"{rep.hold_s:.1f}",
            f"{rep.rom_deg:.0f}",
            "-" if knee is None else f"{knee:.0f}",
            "-" if out_phase is None else f"{out_phase.duration_s:.1f}",
            ", ".join(c.code for c in rep.cues) or "-",
        )
    console.print(table)
    console.print(
        "times in s, angles in deg; range: of the moving joint; knee ext: least knee "
        "flexion; out: time to the stretch",
        style="dim",
    )
    for code, sentence in sentences.items():
        console.print(f"  [bold]{code}[/]: {sentence}", highlight=False)
    for warning in analysis.warnings:
        console.print(f"[yellow]note:[/] {warning}", highlight=False)
