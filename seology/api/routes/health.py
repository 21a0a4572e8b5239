"""`GET /api/health`: can the job API reach the Prefect API and the app database?

Answers 200 `{"status": "ok", "prefect": "ok", "database": "ok", "rendering": "ok"}`
when both answer, and 503 with the same shape otherwise: `"status": "degraded"` and,
for each failing component, a one-line reason in place of `"ok"`. `rendering` says
whether this machine can render pages (or how to install Chromium); it is
informative and never makes the status degraded. Load balancers read the status code,
people read the body. Needs no token. Each check is bounded by `CHECK_TIMEOUT_SECONDS`,
so the endpoint answers quickly even when a backend hangs.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from seology.api.schemas.health import Health
from seology.core.settings import get_settings
from seology.crawler.browser import find_chromium
from seology.jobs import queue
from seology.store.engine import ping as ping_database

router = APIRouter(prefix="/api", tags=["health"])
logger = logging.getLogger("seology.api")

CHECK_TIMEOUT_SECONDS = 5.0
MAX_REASON_LENGTH = 300


@router.get(
    "/health",
    response_model=Health,
    responses={503: {"model": Health, "description": "Prefect or the database is unreachable"}},
)
async def health(request: Request) -> JSONResponse:
    """Check the Prefect API and the app database concurrently."""
    prefect, database = await asyncio.gather(
        check("prefect", queue.ping()),
        check("database", run_in_threadpool(ping_database, request.app.state.engine)),
    )
    healthy = prefect == database == "ok"
    found = find_chromium(get_settings().chromium_path)
    body = Health(
        status="ok" if healthy else "degraded",
        prefect=prefect,
        database=database,
        rendering="ok" if found.available else f"unavailable: {found.reason}",
    )
    return JSONResponse(body.model_dump(mode="json"), status_code=200 if healthy else 503)


async def check(component: str, probe: Awaitable[None]) -> str:
    """`"ok"`, or a short reason why `probe` failed or did not finish in time."""
    try:
        await asyncio.wait_for(probe, timeout=CHECK_TIMEOUT_SECONDS)
    except TimeoutError:
        reason = f"no answer within {CHECK_TIMEOUT_SECONDS:g} s"
    except Exception as exc:  # a health check reports every failure, whatever its kind
        reason = str(exc) or type(exc).__name__
    else:
        return "ok"
    logger.warning(f"Health check: {component} is down: {reason}", extra={"action": "health"})
    return reason.splitlines()[0][:MAX_REASON_LENGTH]
