"""The motion coach in the browser: upload a video, see the repetitions, the plot and the
annotated video. Everything runs on this server; the upload goes nowhere else and is
deleted after the analysis unless the person ticks "keep".
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Annotated, Any, cast

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from nerveglide.content.schema import Library
from nerveglide.errors import InvalidInput, NotFound
from nerveglide.services.analysis import (
    OUTPUT_FILES,
    RESULTS,
    LegChoice,
    Movement,
    analyse_upload,
    analysis_folder,
    delete_analysis,
    load_report,
    new_analysis,
    patient_data_dir,
)
from nerveglide.web.deps import LibraryDep, PatientIdDep, SettingsDep
from nerveglide.web.templating import templates

router = APIRouter()

#: Phones film about 100 MB a minute at 1080p: room for a long set, not for a film.
MAX_UPLOAD_BYTES = 1024 * 1024 * 1024
_CHUNK = 1024 * 1024
MOVEMENTS = ("knee", "hip", "ankle", "trunk", "neck")
_MEDIA = {
    "report.json": "application/json",
    "reps.csv": "text/csv",
    "angles.csv": "text/csv",
    "angles.png": "image/png",
    "annotated.mp4": "video/mp4",
}


def _form_page(
    request: Request,
    library: Library,
    *,
    error: str | None = None,
    values: dict[str, Any] | None = None,
    status: int = 200,
    deleted: bool = False,
) -> HTMLResponse:
    return templates.TemplateResponse(
        request,
        "analysis.html",
        {
            "library": library,
            "page": "analysis",
            "error": error,
            "values": values or {"what": "glide:supine-nerve-glide", "leg": "auto"},
            "movements": MOVEMENTS,
            "max_mb": MAX_UPLOAD_BYTES // (1024 * 1024),
            "deleted": deleted,
        },
        status_code=status,
    )


@router.get("/analysis", response_class=HTMLResponse)
def analysis_form(
    request: Request, library: LibraryDep, patient_id: PatientIdDep, deleted: bool = False
) -> HTMLResponse:
    return _form_page(request, library, deleted=deleted)


def _save(upload: UploadFile, folder: Path) -> Path:
    suffix = Path(upload.filename or "").suffix.lower()
    if not suffix or len(suffix) > 6 or not suffix[1:].isalnum():
        suffix = ".mp4"
    target = folder / f"upload{suffix}"
    written = 0
    with target.open("wb") as out:
        while chunk := upload.file.read(_CHUNK):
            written += len(chunk)
            if written > MAX_UPLOAD_BYTES:
                raise InvalidInput(
                    f"the video is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB: trim it "
                    "to the set of repetitions, or film at a lower resolution"
                )
            out.write(chunk)
    if written == 0:
        raise InvalidInput("no video was uploaded: choose a video file first")
    return target


def _number(value: str, name: str) -> float | None:
    if not value.strip():
        return None
    try:
        number = float(value)
    except ValueError:
        raise InvalidInput(f"{name} must be a number of seconds") from None
    if not 0.1 <= number <= 60:
        raise InvalidInput(f"{name} must be between 0.1 and 60 seconds")
    return number


@router.post("/analysis", response_class=HTMLResponse, response_model=None)
def analysis_upload(
    request: Request,
    library: LibraryDep,
    settings: SettingsDep,
    patient_id: PatientIdDep,
    video: Annotated[UploadFile, File()],
    what: Annotated[str, Form()] = "",
    leg: Annotated[str, Form()] = "auto",
    pace: Annotated[str, Form()] = "",
    hold: Annotated[str, Form()] = "",
    keep: Annotated[str, Form()] = "",
) -> Response:
    values = {"what": what, "leg": leg, "pace": pace, "hold": hold, "keep": bool(keep)}
    folder: Path | None = None
    try:
        kind, _, name = what.partition(":")
        exercise = None
        movement: Movement | None = None
        if kind == "glide":
            try:
                exercise = library.exercise(name)
            except KeyError:
                raise InvalidInput("choose one of the three glides, or a joint") from None
        elif kind == "movement" and name in MOVEMENTS:
            movement = cast(Movement, name)
        else:
            raise InvalidInput("choose what you filmed: a glide, or the joint that moves")
        if leg not in ("auto", "left", "right"):
            raise InvalidInput("the leg is left, right or auto")
        leg_choice = cast(LegChoice, leg)
        pace_s, hold_s = _number(pace, "the pace"), _number(hold, "the hold")
        if movement is not None and (pace_s is not None or hold_s is not None):
            raise InvalidInput("pace and hold are a glide's settings: leave them empty")
        analysis_id, folder = new_analysis(patient_data_dir(settings.data_dir, patient_id))
        path = _save(video, folder)
        analyse_upload(
            folder,
            path,
            exercise=exercise,
            movement=movement,
            leg=leg_choice,
            pace_s=pace_s,
            hold_s=hold_s,
            keep=bool(keep),
            name=Path(video.filename or path.name).name[:120],
        )
    except InvalidInput as exc:  # an unusable clip is one too: the message says what to change
        if folder is not None:
            delete_analysis(folder)
        return _form_page(request, library, error=exc.message, values=values, status=422)
    return RedirectResponse(f"/analysis/{analysis_id}", status_code=303)


@router.get("/analysis/{analysis_id}", response_class=HTMLResponse)
def analysis_result(
    request: Request,
    analysis_id: str,
    library: LibraryDep,
    settings: SettingsDep,
    patient_id: PatientIdDep,
) -> HTMLResponse:
    folder = analysis_folder(patient_data_dir(settings.data_dir, patient_id), analysis_id)
    report = load_report(folder)
    files = [n for n in OUTPUT_FILES if (folder / RESULTS / n).is_file()]
    items = {}
    repetitions = cast(list[dict[str, Any]], report.get("repetitions", []))
    for rep in repetitions:
        for cue in rep["cues"]:
            for item_id in cue["items"]:
                with contextlib.suppress(KeyError):
                    items[item_id] = library.item(item_id)
    return templates.TemplateResponse(
        request,
        "analysis_result.html",
        {
            "library": library,
            "page": "analysis",
            "id": analysis_id,
            "report": report,
            "files": files,
            "items": items,
            "folder": str(folder),
        },
    )


@router.get("/analysis/{analysis_id}/files/{name}")
def analysis_file(
    analysis_id: str, name: str, settings: SettingsDep, patient_id: PatientIdDep
) -> FileResponse:
    folder = analysis_folder(patient_data_dir(settings.data_dir, patient_id), analysis_id)
    if name not in _MEDIA or not (folder / RESULTS / name).is_file():
        raise NotFound("There is no such file in this analysis.")
    return FileResponse(folder / RESULTS / name, media_type=_MEDIA[name])


@router.post("/analysis/{analysis_id}/delete")
def analysis_delete(
    analysis_id: str, settings: SettingsDep, patient_id: PatientIdDep
) -> RedirectResponse:
    delete_analysis(analysis_folder(patient_data_dir(settings.data_dir, patient_id), analysis_id))
    return RedirectResponse("/analysis?deleted=true", status_code=303)
