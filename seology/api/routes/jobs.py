"""Jobs: enqueue crawls and analyses, and read their status (docs/design.md §5).

Handlers talk to Prefect only through `seology.jobs.queue`. A job of another user is
reported as unknown (404), so that job ids cannot be probed.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query, Response
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from seology.api.deps import AdminDep, CallerDep, CurrentUser, SessionDep, SettingsDep, get_engine
from seology.api.schemas.common import JobId, Offset, error_responses
from seology.api.schemas.jobs import (
    AnalysisRequest,
    Cleanup,
    CleanupRequest,
    CrawlRequest,
    EnqueueResponse,
    JobEnvelope,
    JobList,
    JobStats,
)
from seology.core.job_model import JobStatus, status_url
from seology.core.settings import Settings
from seology.core.timing import timed
from seology.jobs import queue
from seology.store import sites, webhooks
from seology.store.models import Site
from seology.store.users import TokenOwner

router = APIRouter(prefix="/api/jobs", tags=["jobs"], responses=error_responses(401, 422, 503))
EngineDep = Annotated[Engine, Depends(get_engine)]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=200,
        description="The same key from the same user returns the same job.",
    ),
]
#: The answers of an operation on one job, besides 200 and the router's.
ONE_JOB = error_responses(404)
CHANGE_JOB = error_responses(404, 409)


#: An enqueue answers 200 instead of 202 when it returns a job that already exists.
ENQUEUE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "model": EnqueueResponse,
        "description": "An existing job: same Idempotency-Key, or a crawl of the site "
        "already pending or running (`deduplicated: true`)",
    },
    **error_responses(400, 403, 404),
}


#: Both enqueue routes: 202 for a new job, 200 (declared in the responses) for a found one.
ENQUEUE_ROUTE: dict[str, Any] = {
    "status_code": 202,
    "response_model": EnqueueResponse,
    "response_model_by_alias": True,
    "response_model_exclude_none": True,
    "responses": ENQUEUE_RESPONSES,
}


async def _own_site(session: Session, user: TokenOwner, site_id: int) -> Site:
    """The caller's site; another user's is 404 before anything is queued.

    The session's connection goes back to the pool before the enqueue awaits Prefect.
    """

    def read() -> Site:
        site = sites.get_site(session=session, user_id=user.id, site_id=site_id)
        session.commit()
        return site

    with timed("site"):
        return await run_in_threadpool(read)


def _enqueued(
    answer: queue.Enqueued, response: Response, callback_secret: str | None = None
) -> EnqueueResponse:
    """202 for a new job; 200 when an existing job is returned instead."""
    if answer.deduplicated:
        response.status_code = 200
    return EnqueueResponse(
        job_id=answer.job_id,
        status_url=status_url(answer.job_id),
        deduplicated=answer.deduplicated,
        callback_secret=callback_secret,
    )


async def _checked(url: str | None, settings: Settings) -> str | None:
    """The callback URL, if the crawler's target rules allow it (else 400), before
    anything is queued."""
    from seology.api.routes.webhooks import checked_url

    return None if url is None else await checked_url(url, settings)


async def _callback(
    session: Session, settings: Settings, user: TokenOwner, job_id: str, url: str | None
) -> str | None:
    """Register the job's callback URL; its secret."""
    if url is None:
        return None

    def add() -> str:
        secret = webhooks.add_callback(session, settings, user_id=user.id, job_id=job_id, url=url)
        session.commit()  # now: a quick job may end before this request returns
        return secret

    return await run_in_threadpool(add)


@router.post("/crawl", **ENQUEUE_ROUTE)
async def enqueue_crawl(
    body: CrawlRequest,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> EnqueueResponse:
    """Queue a crawl of one of your sites; poll `statusUrl`, or pass `callbackUrl`."""
    callback_url = await _checked(body.callback_url, settings)
    site = await _own_site(session, user, body.site_id)
    with timed("prefect"):
        answer = await queue.enqueue_crawl(
            site.id,
            user.id,
            max_pages=body.max_pages,
            priority=body.priority,
            idempotency_key=idempotency_key,
            render=body.render,
            engine=session.get_bind(),
        )
    secret = await _callback(session, settings, user, answer.job_id, callback_url)
    return _enqueued(answer, response, secret)


@router.post("/analysis", **ENQUEUE_ROUTE)
async def enqueue_analysis(
    body: AnalysisRequest,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> EnqueueResponse:
    """Queue an analysis of your site's latest crawl."""
    callback_url = await _checked(body.callback_url, settings)
    site = await _own_site(session, user, body.site_id)
    with timed("prefect"):
        answer = await queue.enqueue_analysis(
            site.id, user.id, priority=body.priority, idempotency_key=idempotency_key
        )
    secret = await _callback(session, settings, user, answer.job_id, callback_url)
    return _enqueued(answer, response, secret)


@router.get("", response_model=JobList)
async def list_jobs(
    caller: CallerDep,
    status: Annotated[JobStatus | None, Query(description="Only jobs in this status.")] = None,
    job_type: Annotated[
        Literal["crawl", "analysis", "daily", "monthly"] | None,
        Query(alias="type", description="Only jobs of this type."),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=queue.MAX_LIST_LIMIT)] = 50,
    offset: Offset = 0,
) -> JobList:
    """Your jobs, newest first (the admin secret lists everyone's)."""
    jobs = await queue.list_jobs(
        user_id=caller.user_id, status=status, job_type=job_type, limit=limit, offset=offset
    )
    return JobList(jobs=jobs)


@router.get("/stats", response_model=JobStats)
async def job_stats(caller: CallerDep) -> JobStats:
    """Counts by status and type, with average durations; global with the admin secret."""
    return JobStats.model_validate(await queue.get_stats(user_id=caller.user_id))


@router.get("/{job_id}/status", response_model=JobEnvelope, responses=ONE_JOB)
async def job_status(job_id: JobId, caller: CallerDep, engine: EngineDep) -> JobEnvelope:
    """The job: status, attempts, progress, and its result or error once it has ended."""
    return JobEnvelope(job=await queue.get_job(job_id, user_id=caller.user_id, engine=engine))


@router.post("/{job_id}/cancel", response_model=JobEnvelope, responses=CHANGE_JOB)
async def cancel_job(job_id: JobId, caller: CallerDep, engine: EngineDep) -> JobEnvelope:
    """Cancel a pending job at once, or stop a running one (409 once it has ended)."""
    return JobEnvelope(job=await queue.cancel_job(job_id, user_id=caller.user_id, engine=engine))


@router.post("/{job_id}/retry", response_model=JobEnvelope, responses=CHANGE_JOB)
async def retry_job(job_id: JobId, caller: CallerDep, engine: EngineDep) -> JobEnvelope:
    """Run a failed or cancelled job again, as the same job (409 otherwise)."""
    return JobEnvelope(job=await queue.retry_job(job_id, user_id=caller.user_id, engine=engine))


@router.post("/cleanup", response_model=Cleanup, responses=error_responses(400, 403))
async def cleanup(body: CleanupRequest, _admin: AdminDep, engine: EngineDep) -> Cleanup:
    """Delete finished jobs older than `daysOld` days and their outputs (admin only)."""
    return Cleanup(deleted=await queue.cleanup(body.days_old, engine=engine))
