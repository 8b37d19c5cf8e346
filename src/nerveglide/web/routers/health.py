"""``/healthz`` (the process answers) and ``/readyz`` (it can serve: the database answers
and is at the migration this version needs; else 503), for load balancers and the
cluster's scripts (:mod:`nerveglide.services.health`)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from nerveglide.services.health import readiness
from nerveglide.web.request_log import RETRY_AFTER_S

router = APIRouter(include_in_schema=False)


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    state = await run_in_threadpool(readiness, request.app.state.engine)
    if state.ready:
        return JSONResponse(state.as_dict())
    return JSONResponse(
        state.as_dict(), status_code=503, headers={"Retry-After": str(RETRY_AFTER_S)}
    )
