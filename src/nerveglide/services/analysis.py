"""Offline video analysis, the use case: a video file in, an analysis and its files out.

``track_video`` runs the pose model over a file; ``analyse_video`` adds the analysis;
``write_outputs`` writes ``report.json``, ``reps.csv``, ``angles.csv``, the plot and the
annotated video into a folder, all or nothing: everything is written in a temporary
folder beside the target and moved into place only when all of it succeeded, so a
failure never leaves a partial set of files that looks complete.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from nerveglide.content.schema import Exercise
from nerveglide.errors import NotFound
from nerveglide.motion.analysis import Analysis, Landmarks, LegChoice, analyse
from nerveglide.motion.pipeline import Tracker, joined
from nerveglide.motion.source import PoseSource
from nerveglide.motion.spec import GlideSpec, Movement
from nerveglide.motion.video import WHOLE, VideoInfo, frames, probe, split

__all__ = [
    "OUTPUT_FILES",
    "RESULTS",
    "LegChoice",
    "Movement",
    "VideoAnalysis",
    "analyse_upload",
    "analyse_video",
    "analyses_root",
    "analysis_folder",
    "delete_analysis",
    "load_report",
    "new_analysis",
    "track_video",
    "write_outputs",
]

Progress = Callable[[int, int], None]
"""Called as ``progress(frames_done, frames_total)``."""


#: At most this many parts of a clip are tracked at once (each holds its own copy of the
#: model, about 100 MB); fewer on a machine with fewer cores.
MAX_PARTS = 4

SourceFactory = Callable[[], PoseSource]
"""Makes a fresh pose source: one per part of the clip."""


def usable_cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _blazepose() -> PoseSource:
    from nerveglide.motion.mediapipe_runner import MediaPipePoseSource

    return MediaPipePoseSource()


def track_video(
    path: Path,
    *,
    progress: Progress | None = None,
    source: PoseSource | None = None,
    sources: SourceFactory | None = None,
    parts: int | None = None,
) -> tuple[VideoInfo, Landmarks]:
    """Run the pose model over every frame.

    The clip is cut into ``parts`` consecutive parts (by default one per core, at most
    :data:`MAX_PARTS`; see :func:`~nerveglide.motion.video.split`), each tracked by its
    own model (from ``sources``, BlazePose by default) on its own thread, and the tracks
    joined in order: the model tracks from frame to frame, so one track can only use one
    core. A given ``source`` tracks the whole clip alone, in order. ``progress`` is
    called on the calling thread.
    """
    info = probe(path)
    if source is not None:
        segments = [WHOLE]
    else:
        segments = split(info, min(usable_cores(), MAX_PARTS) if parts is None else parts)
    make = sources or _blazepose
    pose_sources: list[PoseSource] = []
    try:
        # Made here, one after the other: each model silences the process's stderr while
        # it loads.
        for _ in segments:
            pose_sources.append(source or make())
        trackers = [_tracker(s, info) for s in pose_sources]
        done = [0] * len(segments)
        failures: list[BaseException] = []
        stop = threading.Event()

        def report() -> None:
            if progress is not None:
                progress(min(sum(done), info.frame_count), info.frame_count)

        def track(k: int, *, alone: bool = False) -> None:
            part = frames(info, segment=segments[k])
            try:
                for frame in part:
                    if stop.is_set():
                        return
                    if frame.lead_in:
                        pose_sources[k].detect(frame.image, frame.t)
                        continue
                    trackers[k].feed(frame.index, frame.t, frame.image)
                    done[k] += 1
                    if alone:
                        report()
                trackers[k].finish()  # on this part's thread, beside the other parts
            except BaseException as exc:  # re-raised on the calling thread
                failures.append(exc)
                stop.set()
            finally:
                part.close()

        if len(segments) == 1:
            track(0, alone=True)
        else:
            threads = [
                threading.Thread(target=track, args=(k,), name=f"nerveglide-track-{k}")
                for k in range(len(segments))
            ]
            try:
                for thread in threads:
                    thread.start()
                while any(thread.is_alive() for thread in threads):
                    for thread in threads:
                        thread.join(timeout=0.1 / len(threads))
                    report()
            finally:
                stop.set()  # on an interrupt: the other threads stop at their next frame
                for thread in threads:
                    thread.join()
        if failures:
            raise failures[0]
    finally:
        if source is None:  # a given source is the caller's to close
            for pose_source in pose_sources:
                pose_source.close()
    return info, joined(trackers)


def _tracker(source: PoseSource, info: VideoInfo) -> Tracker:
    return Tracker(
        source,
        width=info.width,
        height=info.height,
        expected_frames=info.frame_count,
        fps=info.fps,
    )


@dataclass(frozen=True)
class VideoAnalysis:
    info: VideoInfo
    landmarks: Landmarks
    analysis: Analysis


def analyse_video(
    path: Path,
    *,
    exercise: Exercise | None = None,
    movement: Movement | None = None,
    leg: LegChoice = "auto",
    pace_s: float | None = None,
    hold_s: float | None = None,
    progress: Progress | None = None,
) -> VideoAnalysis:
    spec = GlideSpec.of(exercise, pace_s=pace_s, hold_s=hold_s) if exercise else None
    info, lm = track_video(path, progress=progress)
    result = analyse(lm, spec=spec, movement=movement, leg=leg)
    return VideoAnalysis(info=info, landmarks=lm, analysis=result)


def replace_folder(target: Path, build: Callable[[Path], None]) -> None:
    """Build the folder's files in a temporary folder, then move them into ``target``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".nerveglide-", dir=target.parent))
    try:
        build(work)
        target.mkdir(parents=True, exist_ok=True)
        for item in work.iterdir():
            dest = target / item.name
            if dest.exists():
                dest.unlink()
            shutil.move(str(item), dest)
    finally:
        shutil.rmtree(work, ignore_errors=True)


OUTPUT_FILES = ("report.json", "reps.csv", "angles.csv", "angles.png", "annotated.mp4")


@dataclass(frozen=True)
class Settings:
    """The program values the analysis compared against, as given or the content's demo
    values, for the report."""

    pace_s: float | None
    pace_setting: str | None
    hold_s: float | None
    hold_setting: str | None
    leg: str

    def as_dict(self) -> dict[str, object]:
        return {
            "pace_s": self.pace_s,
            "pace_setting": self.pace_setting,
            "hold_s": self.hold_s,
            "hold_setting": self.hold_setting,
            "leg": self.leg,
        }


def settings_of(result: VideoAnalysis, leg: str) -> Settings:
    spec = result.analysis.spec
    return Settings(
        pace_s=spec.pace_s if spec else None,
        pace_setting=spec.pace_setting if spec else None,
        hold_s=spec.hold_s if spec else None,
        hold_setting=spec.hold_setting if spec else None,
        leg=leg,
    )


def write_outputs(
    result: VideoAnalysis,
    out: Path,
    *,
    leg: str = "auto",
    video: bool = True,
    progress: Progress | None = None,
    name: str | None = None,
) -> dict[str, Path]:
    """Write the files of :data:`OUTPUT_FILES` into ``out`` (all or none)."""
    import json

    from nerveglide.motion.mediapipe_runner import MODEL_NAME
    from nerveglide.motion.plot import plot_angles
    from nerveglide.motion.report import angles_csv, report_dict, reps_csv
    from nerveglide.motion.video import render_annotated

    analysis, info = result.analysis, result.info
    name = name or info.path.name
    title = (
        f"{analysis.spec.name if analysis.spec else f'{analysis.movement} movement'}: "
        f"{analysis.complete_count} complete repetition(s), {name}"
    )

    def build(folder: Path) -> None:
        codec = None
        if video:
            codec = render_annotated(
                info, analysis, result.landmarks, folder / "annotated.mp4", progress=progress
            )
        report = report_dict(
            analysis,
            video={
                "file": name,
                "width": info.width,
                "height": info.height,
                "fps": round(info.fps, 3),
                "frames": info.frame_count,
                "duration_s": round(info.duration_s, 3),
                "rotation_deg": info.rotation,
                "orientation": info.orientation,
                "annotated_codec": codec,
            },
            model=MODEL_NAME,
            settings=settings_of(result, leg).as_dict(),
        )
        (folder / "report.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        (folder / "reps.csv").write_text(reps_csv(analysis), encoding="utf-8")
        (folder / "angles.csv").write_text(angles_csv(analysis), encoding="utf-8")
        plot_angles(analysis, folder / "angles.png", title=title)

    replace_folder(out, build)
    names = OUTPUT_FILES if video else OUTPUT_FILES[:-1]
    return {name: out / name for name in names}


# -- analyses stored on the server (the web page) ------------------------------------

ANALYSES = "analyses"
RESULTS = "results"
_ID = re.compile(r"^[0-9a-f]{32}$")


def patient_data_dir(data_dir: Path, patient_id: int) -> Path:
    """Where one patient's files live: ``{data_dir}/patients/{id}`` (deleted with the
    account). Analyses go under it, so one patient's analysis ids find nothing of another's."""
    return data_dir / "patients" / str(int(patient_id))


def analyses_root(data_dir: Path) -> Path:
    """Where uploaded videos and their results live: ``{data_dir}/analyses``."""
    return data_dir / ANALYSES


def new_analysis(data_dir: Path) -> tuple[str, Path]:
    """A fresh, empty folder for one analysis, and its id."""
    analysis_id = uuid.uuid4().hex
    folder = analyses_root(data_dir) / analysis_id
    folder.mkdir(parents=True)
    return analysis_id, folder


def analysis_folder(data_dir: Path, analysis_id: str) -> Path:
    """The folder of an existing analysis; :class:`NotFound` for any other id."""
    folder = analyses_root(data_dir) / analysis_id
    if not _ID.match(analysis_id) or not (folder / RESULTS / "report.json").is_file():
        raise NotFound("There is no analysis with this address; it may have been deleted.")
    return folder


def analyse_upload(
    folder: Path,
    video: Path,
    *,
    exercise: Exercise | None,
    movement: Movement | None,
    leg: LegChoice,
    pace_s: float | None,
    hold_s: float | None,
    keep: bool,
    name: str | None = None,
) -> dict[str, object]:
    """Analyse an uploaded video into ``folder/results``. The upload is deleted afterwards
    unless ``keep``; when the clip can't be analysed, the whole folder goes."""
    import json

    try:
        result = analyse_video(
            video, exercise=exercise, movement=movement, leg=leg, pace_s=pace_s, hold_s=hold_s
        )
        write_outputs(result, folder / RESULTS, leg=leg, name=name)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    finally:
        if not keep:
            video.unlink(missing_ok=True)
    report: dict[str, object] = json.loads((folder / RESULTS / "report.json").read_text())
    report["upload_kept"] = keep
    (folder / RESULTS / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    return report


def load_report(folder: Path) -> dict[str, object]:
    import json

    report: dict[str, object] = json.loads((folder / RESULTS / "report.json").read_text())
    return report


def delete_analysis(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
