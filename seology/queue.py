"""The one facade over the Prefect API: every job operation of the job API and the CLI.

A job is a flow run of one of our deployments; nothing here stores job state of its own.
The HTTP layer and the CLI import this module, never `prefect.client`. Every function
maps Prefect's failures onto our errors: an unreachable server is `PrefectUnavailable`
(503), an unknown or foreign run is `JobNotFound` (404).
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import anyio
import httpx
from prefect.client.orchestration import get_client
from prefect.exceptions import ObjectNotFound

from deployments.pool import queue_for_priority
from deployments.specs import ANALYSIS, CRAWL, DeploymentSpec
from seology.errors import (
    InvalidInput,
    InvalidJobId,
    JobNotFound,
    PrefectUnavailable,
)
from seology.jobs import (
    STATE_TYPES_BY_STATUS,
    Job,
    JobStatus,
    job_status,
    job_tags,
    status_url,
    tag_value,
)

if TYPE_CHECKING:
    from prefect.client.orchestration import PrefectClient
    from prefect.client.schemas.objects import FlowRun
    from sqlalchemy import Engine

#: Inside one queue, each step of priority starts this much earlier (docs/internals/priority.md).
PRIORITY_STEP = timedelta(seconds=30)
ACTIVE_STATUSES = (JobStatus.PENDING, JobStatus.PROCESSING)


@dataclass(frozen=True, kw_only=True)
class Enqueued:
    """The answer to an enqueue: the job, and whether it already existed."""

    job_id: str
    deduplicated: bool = False


@asynccontextmanager
async def _prefect() -> AsyncIterator[PrefectClient]:
    """A Prefect client whose connection failures become `PrefectUnavailable`.

    Without `PREFECT_API_URL`, Prefect would start a temporary in-process server: a job
    queued there would never run, so that is refused instead.
    """
    from prefect.settings import PREFECT_API_URL

    if not PREFECT_API_URL.value():
        raise PrefectUnavailable(
            "PREFECT_API_URL is not set: point it at the Prefect server "
            "(for example http://127.0.0.1:4200/api), or use `seology up`."
        )
    try:
        async with get_client() as client:
            yield client
    except (httpx.TransportError, OSError) as exc:
        raise PrefectUnavailable(
            f"The Prefect API is unreachable ({type(exc).__name__}: {exc}); "
            "check that the Prefect server is running and PREFECT_API_URL points at it."
        ) from exc
    except httpx.HTTPStatusError as exc:
        if exc.response.status_code >= 500:
            raise PrefectUnavailable(
                f"The Prefect API answered {exc.response.status_code}; try again shortly."
            ) from exc
        raise


async def ping() -> None:
    """Raise `PrefectUnavailable` unless the Prefect API answers its health check."""
    async with _prefect() as client:
        failure = await client.api_healthcheck()
    if failure is not None:
        raise PrefectUnavailable(
            f"The Prefect API at {client.api_url} is unreachable: {failure}"
        ) from failure


def scheduled_time_for(priority: int, now: datetime | None = None) -> datetime:
    """Higher priority inside a queue = an earlier scheduled time, by a bounded offset."""
    queue = queue_for_priority(priority)
    now = now or datetime.now(UTC)
    return now - PRIORITY_STEP * (priority - queue.min_job_priority)


def _validate_priority(priority: int) -> None:
    if not 1 <= priority <= 10:
        raise InvalidInput(f"priority must be between 1 and 10, got {priority}")


async def enqueue_crawl(
    site_id: int,
    user_id: int,
    max_pages: int = 10,
    priority: int = 5,
    idempotency_key: str | None = None,
) -> Enqueued:
    """Queue a crawl of `site_id`; a crawl already pending or running for it is returned."""
    _validate_priority(priority)
    if max_pages < 1:
        raise InvalidInput(f"maxPages must be at least 1, got {max_pages}")
    async with _prefect() as client:
        active = await _active_job(client, CRAWL, site_id=site_id, user_id=user_id)
        if active is not None and idempotency_key is None:
            return Enqueued(job_id=str(active.id), deduplicated=True)
        parameters = {"site_id": site_id, "user_id": user_id, "max_pages": max_pages}
        return await _enqueue(
            client, CRAWL, parameters, user_id=user_id, site_id=site_id, priority=priority,
            idempotency_key=idempotency_key,
        )  # fmt: skip


async def enqueue_analysis(
    site_id: int,
    user_id: int,
    priority: int = 5,
    idempotency_key: str | None = None,
) -> Enqueued:
    """Queue an analysis of `site_id`'s latest crawl."""
    _validate_priority(priority)
    async with _prefect() as client:
        parameters = {"site_id": site_id, "user_id": user_id}
        return await _enqueue(
            client, ANALYSIS, parameters, user_id=user_id, site_id=site_id, priority=priority,
            idempotency_key=idempotency_key,
        )  # fmt: skip


async def _enqueue(
    client: PrefectClient,
    spec: DeploymentSpec,
    parameters: dict[str, Any],
    *,
    user_id: int,
    site_id: int,
    priority: int,
    idempotency_key: str | None,
) -> Enqueued:
    from prefect.deployments import run_deployment

    key = f"{spec.full_name}:{user_id}:{idempotency_key}" if idempotency_key else None
    if key is not None:
        existing = await _run_with_idempotency_key(client, key)
        if existing is not None:
            return Enqueued(job_id=str(existing.id), deduplicated=True)
    flow_run = await run_deployment(
        spec.full_name,
        client=client,
        parameters=parameters,
        scheduled_time=scheduled_time_for(priority),
        timeout=0,
        tags=job_tags(job_type=spec.name, user_id=user_id, site_id=site_id, priority=priority),
        idempotency_key=key,
        work_queue_name=queue_for_priority(priority).name,
        as_subflow=False,
    )
    return Enqueued(job_id=str(flow_run.id))


async def _run_with_idempotency_key(client: PrefectClient, key: str) -> FlowRun | None:
    """Prefect would return the same run for the same key; asking first tells us it did."""
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterIdempotencyKey

    runs = await client.read_flow_runs(
        flow_run_filter=FlowRunFilter(idempotency_key=FlowRunFilterIdempotencyKey(any_=[key])),
        limit=1,
    )
    return runs[0] if runs else None


async def _active_job(
    client: PrefectClient, spec: DeploymentSpec, *, site_id: int, user_id: int
) -> FlowRun | None:
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
        FlowRunFilterTags,
    )
    from prefect.client.schemas.objects import StateType

    state_types = [
        StateType(t) for status in ACTIVE_STATUSES for t in STATE_TYPES_BY_STATUS[status]
    ]
    runs = await client.read_flow_runs(
        flow_run_filter=FlowRunFilter(
            tags=FlowRunFilterTags(
                all_=[f"type:{spec.name}", f"site:{site_id}", f"user:{user_id}"]
            ),
            state=FlowRunFilterState(type=FlowRunFilterStateType(any_=state_types)),
        ),
        limit=1,
    )
    return runs[0] if runs else None


def parse_job_id(job_id: str) -> uuid.UUID:
    """A job id is a flow run UUID; anything else is refused before Prefect is asked."""
    try:
        return uuid.UUID(str(job_id))
    except ValueError as exc:
        raise InvalidJobId(f"{job_id!r} is not a job id (a UUID)") from exc


async def get_job(job_id: str, *, user_id: int | None, engine: Engine | None = None) -> Job:
    """The job `job_id` as its owner sees it; `user_id=None` is the admin's view of any job.

    With `engine`, the job's result and progress are read from the app database.
    """
    run_id = parse_job_id(job_id)
    async with _prefect() as client:
        try:
            flow_run = await client.read_flow_run(run_id)
        except ObjectNotFound as exc:
            raise JobNotFound(f"No job {job_id}.") from exc
    _check_owner(flow_run, user_id, job_id)
    return await anyio.to_thread.run_sync(functools.partial(to_job, flow_run, engine=engine))


def _check_owner(flow_run: FlowRun, user_id: int | None, job_id: str) -> None:
    """Another user's job is reported as unknown: its existence is not revealed."""
    job_type = tag_value(flow_run.tags, "type")
    if job_type is None:
        raise JobNotFound(f"No job {job_id}.")
    if user_id is not None and tag_value(flow_run.tags, "user") != str(user_id):
        raise JobNotFound(f"No job {job_id}.")


def _int_tag(tags: list[str], key: str) -> int | None:
    value = tag_value(tags, key)
    return int(value) if value is not None and value.isdigit() else None


def to_job(flow_run: FlowRun, *, engine: Engine | None = None) -> Job:
    """The public job shape of a flow run."""
    from seology.job_outputs import read_outputs

    status = job_status(flow_run.state_type.value if flow_run.state_type else None)
    job_type = tag_value(flow_run.tags, "type") or "unknown"
    outputs = read_outputs(engine, job_type, str(flow_run.id)) if engine is not None else None
    return Job(
        id=str(flow_run.id),
        type=job_type,
        status=status,
        state_name=flow_run.state_name,
        priority=_int_tag(flow_run.tags, "priority"),
        attempts=flow_run.run_count,
        site_id=_int_tag(flow_run.tags, "site"),
        user_id=_int_tag(flow_run.tags, "user"),
        created_at=flow_run.created,
        started_at=flow_run.start_time,
        completed_at=flow_run.end_time if status in _ENDED else None,
        duration_seconds=_duration(flow_run, status),
        progress=_progress(status, outputs),
        result=outputs.result if outputs and status is JobStatus.COMPLETED else None,
        error=_error(flow_run, status),
        status_url=status_url(str(flow_run.id)),
    )


_ENDED = (JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED)


def _duration(flow_run: FlowRun, status: JobStatus) -> float | None:
    if flow_run.start_time is None:
        return None
    if status in _ENDED and flow_run.end_time is not None:
        return round((flow_run.end_time - flow_run.start_time).total_seconds(), 3)
    return round(flow_run.total_run_time.total_seconds(), 3) or None


def _progress(status: JobStatus, outputs: Any) -> float | None:
    if status is JobStatus.COMPLETED:
        return 100.0
    if outputs is None or outputs.progress is None:
        return 0.0 if status is JobStatus.PENDING else None
    return round(outputs.progress, 1)


def _error(flow_run: FlowRun, status: JobStatus) -> str | None:
    if status not in (JobStatus.FAILED, JobStatus.CANCELLED):
        return None
    message = flow_run.state.message if flow_run.state else None
    return message or f"The job ended {status.value.lower()}."
