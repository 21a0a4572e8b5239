"""Jobs: enqueue crawls and analyses, and read their status (DESIGN.md §5).

Handlers talk to Prefect only through `seology.queue`. A job of another user is
reported as unknown (404), so that job ids cannot be probed.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Response
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from seology import queue
from seology.api.deps import CallerDep, CurrentUser, SessionDep, get_engine
from seology.jobs import status_url
from seology.services import sites

router = APIRouter(prefix="/api/jobs", tags=["jobs"])
EngineDep = Annotated[Engine, Depends(get_engine)]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=200,
        description="The same key from the same user returns the same job.",
    ),
]
MAX_PAGES_LIMIT = 10_000


class _CamelModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class CrawlRequest(_CamelModel):
    site_id: int = Field(ge=1)
    max_pages: int = Field(10, ge=1, le=MAX_PAGES_LIMIT)
    priority: int = Field(5, ge=1, le=10)


class AnalysisRequest(_CamelModel):
    site_id: int = Field(ge=1)
    priority: int = Field(5, ge=1, le=10)


class EnqueueResponse(_CamelModel):
    success: bool = True
    job_id: str
    status_url: str
    deduplicated: bool = False


def _enqueued(answer: queue.Enqueued, response: Response) -> dict[str, Any]:
    """202 for a new job; 200 when an existing job is returned instead."""
    if answer.deduplicated:
        response.status_code = 200
    body = EnqueueResponse(
        job_id=answer.job_id,
        status_url=status_url(answer.job_id),
        deduplicated=answer.deduplicated,
    )
    return body.model_dump(by_alias=True)


@router.post(
    "/crawl", status_code=202, response_model=EnqueueResponse, response_model_by_alias=True
)
async def enqueue_crawl(
    body: CrawlRequest,
    user: CurrentUser,
    session: SessionDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> dict[str, Any]:
    """Queue a crawl of one of your sites; poll `statusUrl` for its progress."""
    site = await run_in_threadpool(
        sites.get_site, session=session, user_id=user.id, site_id=body.site_id
    )
    answer = await queue.enqueue_crawl(
        site.id,
        user.id,
        max_pages=body.max_pages,
        priority=body.priority,
        idempotency_key=idempotency_key,
    )
    return _enqueued(answer, response)


@router.post(
    "/analysis", status_code=202, response_model=EnqueueResponse, response_model_by_alias=True
)
async def enqueue_analysis(
    body: AnalysisRequest,
    user: CurrentUser,
    session: SessionDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> dict[str, Any]:
    """Queue an analysis of your site's latest crawl."""
    site = await run_in_threadpool(
        sites.get_site, session=session, user_id=user.id, site_id=body.site_id
    )
    answer = await queue.enqueue_analysis(
        site.id, user.id, priority=body.priority, idempotency_key=idempotency_key
    )
    return _enqueued(answer, response)


@router.get("/{job_id}/status")
async def job_status(job_id: str, caller: CallerDep, engine: EngineDep) -> dict[str, Any]:
    """The job: status, attempts, progress, and its result or error once it has ended."""
    job = await queue.get_job(job_id, user_id=caller.user_id, engine=engine)
    return {"job": job.model_dump(by_alias=True, mode="json")}
