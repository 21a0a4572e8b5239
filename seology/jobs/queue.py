"""The one facade over the Prefect API: every job operation of the job API and the CLI.

A job is a flow run of one of our deployments; nothing here stores job state of its own.
The HTTP layer and the CLI import this module, never `prefect.client`. Every function
maps Prefect's failures onto our errors: an unreachable server is `PrefectUnavailable`
(503), an unknown or foreign run is `JobNotFound` (404), an operation the job's state
forbids is `StateConflict` (409).

`user_id=None` means the admin: every job, whoever owns it.
"""

from __future__ import annotations

import functools
import uuid
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import anyio
import httpx

from seology.core.errors import (
    IdempotencyConflict,
    InvalidInput,
    InvalidJobId,
    JobNotFound,
    PrefectUnavailable,
    StateConflict,
)
from seology.core.job_model import (
    TERMINAL_STATE_TYPES,
    Job,
    JobStatus,
    job_tags,
    tag_value,
)
from seology.core.timing import timed
from seology.jobs._job_view import status_of, to_job
from seology.jobs._prefect import (
    bulk_delete,
    forget_runs,
    job_filter,
    keep_client,
    prefect_client,
    read_run,
)
from seology.jobs.history import (
    DURATION_SAMPLE,
    JOB_TYPES,
    MAX_LIST_LIMIT,
    get_stats,
    list_jobs,
    site_job_history,
)
from seology.jobs.pool import QUEUES, queue_for_priority
from seology.jobs.specs import ANALYSIS, CRAWL, DeploymentSpec

if TYPE_CHECKING:
    from prefect.client.orchestration import PrefectClient
    from prefect.client.schemas.objects import FlowRun
    from sqlalchemy import Engine

#: Inside one queue, each step of priority starts this much earlier (docs/internals/priority.md).
PRIORITY_STEP = timedelta(seconds=30)
#: The furthest back a job is scheduled: a step for each priority above its queue's lowest.
PRIORITY_BACKDATING = PRIORITY_STEP * max(q.max_job_priority - q.min_job_priority for q in QUEUES)
ACTIVE_STATUSES = (JobStatus.PENDING, JobStatus.PROCESSING)
RENDER_MODES = ("auto", "always", "never")


@dataclass(frozen=True, kw_only=True)
class Enqueued:
    """The answer to an enqueue: the job, and whether it already existed."""

    job_id: str
    deduplicated: bool = False


def prefect_connection() -> AbstractAsyncContextManager[None]:
    """While entered, every call of this module on this event loop shares one client.

    For long-lived processes that call Prefect on every request (the job API's
    lifespan); see `seology.jobs._prefect.keep_client` for the cost it saves.
    """
    return keep_client()


async def ping() -> None:
    """Raise `PrefectUnavailable` unless the Prefect API answers its health check."""
    async with prefect_client() as client:
        failure = await client.api_healthcheck()
    if failure is not None:
        raise PrefectUnavailable(
            f"The Prefect API at {client.api_url} is unreachable: {failure}"
        ) from failure


# --- enqueue ---------------------------------------------------------------------------


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
    render: str = "auto",
    *,
    engine: Engine | None = None,
) -> Enqueued:
    """Queue a crawl of `site_id`; the crawl already pending or running for it is returned.

    One crawl per site is atomic (`_crawl_in_slot`): N concurrent calls give one job.
    With an `idempotency_key`, the key names the job it got the first time (the
    site's crawl then, new or not); the same key with other parameters is refused
    (`IdempotencyConflict`). `engine`: the app database (default: the settings' one).

    `render`: `auto` (render the pages that look client-rendered), `always` or `never`.
    """
    _validate_priority(priority)
    if max_pages < 1:
        raise InvalidInput(f"maxPages must be at least 1, got {max_pages}")
    if render not in RENDER_MODES:
        raise InvalidInput(f"render must be one of {', '.join(RENDER_MODES)}, got {render!r}")
    if engine is None:
        from seology.store.engine import app_engine

        engine = app_engine()
    parameters = {
        "site_id": site_id,
        "user_id": user_id,
        "max_pages": max_pages,
        "render": render,
    }
    if idempotency_key is None:
        return await _crawl_in_slot(engine, parameters, priority=priority)
    return await _keyed_crawl(engine, parameters, priority=priority, key=idempotency_key)


async def _keyed_crawl(
    engine: Engine, parameters: dict[str, Any], *, priority: int, key: str
) -> Enqueued:
    """The job a client's key named, or the site's crawl, named by the key from now on."""
    from seology.store import crawl_slots

    full_key = f"{CRAWL.full_name}:{parameters['user_id']}:{key}"
    digest = crawl_slots.request_hash({**parameters, "priority": priority})
    found = await anyio.to_thread.run_sync(crawl_slots.find_key, engine, full_key)
    if found is None:
        enqueued = await _crawl_in_slot(engine, parameters, priority=priority)
        found = await anyio.to_thread.run_sync(
            crawl_slots.remember_key, engine, full_key, enqueued.job_id, digest
        )
        if found[0] == enqueued.job_id and found[1] == digest:
            return enqueued
    job_id, first_digest = found
    if first_digest != digest:
        raise IdempotencyConflict(
            f"Idempotency-Key {key!r} was used with another request (job {job_id})."
        )
    return Enqueued(job_id=job_id, deduplicated=True)


#: Generations a racing enqueue may see end under it before it gives up (never in practice).
MAX_SLOT_TRIES = 5


async def _crawl_in_slot(engine: Engine, parameters: dict[str, Any], *, priority: int) -> Enqueued:
    """The site's crawl: created with the key of the slot's generation, so one per site.

    Concurrent callers read the same generation and so send the same Prefect key:
    Prefect's create makes one run and hands it to all of them. A key whose run has
    ended moves the generation on (compare-and-set: one caller wins, all re-read).
    """
    from seology.store import crawl_slots

    site_id, user_id = parameters["site_id"], parameters["user_id"]
    generation = await anyio.to_thread.run_sync(crawl_slots.slot_generation, engine, site_id)
    async with prefect_client() as client:
        for _ in range(MAX_SLOT_TRIES):
            key = f"{CRAWL.full_name}:site:{site_id}:{generation}"
            enqueued, flow_run = await _enqueue(
                client, CRAWL, parameters, user_id=user_id, site_id=site_id,
                priority=priority, prefect_key=key,
            )  # fmt: skip
            if not enqueued.deduplicated or status_of(flow_run) in ACTIVE_STATUSES:
                return enqueued
            generation = await anyio.to_thread.run_sync(
                crawl_slots.advance_slot, engine, site_id, generation
            )
    raise PrefectUnavailable(f"Site {site_id}'s crawls kept ending while one was queued.")


async def enqueue_analysis(
    site_id: int,
    user_id: int,
    priority: int = 5,
    idempotency_key: str | None = None,
) -> Enqueued:
    """Queue an analysis of `site_id`'s latest crawl.

    The same `idempotency_key` returns the same job; with other parameters it is
    refused (`IdempotencyConflict`).
    """
    _validate_priority(priority)
    parameters = {"site_id": site_id, "user_id": user_id}
    key = f"{ANALYSIS.full_name}:{user_id}:{idempotency_key}" if idempotency_key else None
    async with prefect_client() as client:
        enqueued, flow_run = await _enqueue(
            client, ANALYSIS, parameters, user_id=user_id, site_id=site_id, priority=priority,
            prefect_key=key,
        )  # fmt: skip
    if enqueued.deduplicated and (
        flow_run.parameters != parameters or tag_value(flow_run.tags, "priority") != str(priority)
    ):
        raise IdempotencyConflict(
            f"Idempotency-Key {idempotency_key!r} was used with another request "
            f"(job {enqueued.job_id})."
        )
    return enqueued


async def _enqueue(
    client: PrefectClient,
    spec: DeploymentSpec,
    parameters: dict[str, Any],
    *,
    user_id: int,
    site_id: int,
    priority: int,
    prefect_key: str | None,
) -> tuple[Enqueued, FlowRun]:
    """One Prefect call: the create itself answers whether the key already had a run.

    Prefect's create is idempotent by key (an insert that does nothing on a conflict,
    then a read) and answers 201 for a new run, 200 for the run the key already had, so
    no read before it is needed: each one costs the Prefect server a request's CPU.
    """
    from prefect.client.schemas.objects import FlowRun
    from prefect.exceptions import ObjectNotFound
    from prefect.states import Scheduled, to_state_create

    key = prefect_key
    body = {
        "parameters": parameters,
        "state": to_state_create(Scheduled(scheduled_time=scheduled_time_for(priority))).model_dump(
            mode="json", exclude_unset=True
        ),
        "tags": job_tags(job_type=spec.name, user_id=user_id, site_id=site_id, priority=priority),
        "idempotency_key": key,
        "work_queue_name": queue_for_priority(priority).name,
        # Our parameters are typed ints checked at the edge; Prefect's JSON-schema
        # check of them costs its server more than the rest of the create.
        "enforce_parameter_schema": False,
    }

    async def create(deployment_id: uuid.UUID) -> httpx.Response:
        return await client.request(
            "POST",
            "/deployments/{id}/create_flow_run",
            path_params={"id": deployment_id},
            json=body,
        )

    try:
        response = await create(await _deployment_id(client, spec))
    except (ObjectNotFound, httpx.HTTPStatusError) as exc:
        if isinstance(exc, httpx.HTTPStatusError) and exc.response.status_code != 404:
            raise
        # The cached id is stale: the deployment was deleted and deployed again.
        response = await create(await _deployment_id(client, spec, fresh=True))
    deduplicated = response.status_code != httpx.codes.CREATED
    flow_run = FlowRun.model_validate(response.json())
    return Enqueued(job_id=str(flow_run.id), deduplicated=deduplicated), flow_run


#: Deployment ids by full name, read once per process: an enqueue is one Prefect call
#: fewer (Prefect's `run_deployment` reads the deployment by name every time).
_deployment_ids: dict[str, uuid.UUID] = {}


async def _deployment_id(
    client: PrefectClient, spec: DeploymentSpec, *, fresh: bool = False
) -> uuid.UUID:
    """The id of `spec`'s deployment; `PrefectUnavailable` if it was never deployed."""
    from prefect.exceptions import ObjectNotFound

    if fresh or spec.full_name not in _deployment_ids:
        try:
            deployment = await client.read_deployment_by_name(spec.full_name)
        except ObjectNotFound as exc:
            raise PrefectUnavailable(
                f"The deployment {spec.full_name} is not on the Prefect server; "
                "run `seology deploy` (or `seology up`)."
            ) from exc
        _deployment_ids[spec.full_name] = deployment.id
    return _deployment_ids[spec.full_name]


# --- read ------------------------------------------------------------------------------


def parse_job_id(job_id: str) -> uuid.UUID:
    """A job id is a flow run UUID; anything else is refused before Prefect is asked."""
    try:
        return uuid.UUID(str(job_id))
    except ValueError as exc:
        raise InvalidJobId(f"{job_id!r} is not a job id (a UUID)") from exc


async def _owned_run(
    client: PrefectClient | None, job_id: str, user_id: int | None, *, cached: bool = False
) -> FlowRun:
    """The run of `job_id`; another user's job is reported as unknown, never revealed."""
    flow_run = await read_run(parse_job_id(job_id), client, cached=cached)
    if flow_run is None:
        raise JobNotFound(f"No job {job_id}.")
    owner = tag_value(flow_run.tags, "user")
    if tag_value(flow_run.tags, "type") is None or (user_id is not None and owner != str(user_id)):
        raise JobNotFound(f"No job {job_id}.")
    return flow_run


async def _view(flow_run: FlowRun, engine: Engine | None) -> Job:
    """The job shape; the database read of its outputs runs off the event loop."""
    return await anyio.to_thread.run_sync(functools.partial(to_job, flow_run, engine=engine))


async def get_job(job_id: str, *, user_id: int | None, engine: Engine | None = None) -> Job:
    """The job `job_id` as its owner sees it; with `engine`, with its result and progress."""
    # In the job API: batched, and answered from the kept run until an event names it.
    with timed("run"):
        flow_run = await _owned_run(None, job_id, user_id, cached=True)
    with timed("outputs"):
        return await _view(flow_run, engine)


# --- cancel and retry ------------------------------------------------------------------


async def cancel_job(job_id: str, *, user_id: int | None, engine: Engine | None = None) -> Job:
    """PENDING → CANCELLED at once; PROCESSING → stopped by its worker, then CANCELLED."""
    from prefect.states import Cancelled, Cancelling

    async with prefect_client() as client:
        flow_run = await _owned_run(client, job_id, user_id)
        state_type = flow_run.state_type.value if flow_run.state_type else None
        status = status_of(flow_run)
        if status not in ACTIVE_STATUSES:
            raise StateConflict(f"Job {job_id} is {status.value}: only a pending or "
                                "running job can be cancelled.")  # fmt: skip
        if state_type != "CANCELLING":
            # A scheduled (or crashed) run has no process to stop: Prefect refuses
            # Cancelling for it.
            waiting = state_type in ("SCHEDULED", "CRASHED")
            state = Cancelled if waiting else Cancelling
            await client.set_flow_run_state(flow_run.id, state(message="Cancelled by the user"))
            forget_runs([flow_run.id])
            if waiting and engine is not None:  # no process left to run the flow's hook
                await _record_end(engine, str(flow_run.id), "cancelled", "Cancelled by the user")
        flow_run = await client.read_flow_run(flow_run.id)
    return await _view(flow_run, engine)


async def _record_end(engine: Engine, flow_run_id: str, status: str, message: str) -> None:
    from seology.store.job_outputs import end_crawl

    await anyio.to_thread.run_sync(
        functools.partial(end_crawl, engine, flow_run_id=flow_run_id, status=status, error=message)
    )


async def retry_job(job_id: str, *, user_id: int | None, engine: Engine | None = None) -> Job:
    """Run a FAILED or CANCELLED job again, as the same run (`attempts` grows).

    This is Prefect's own manual retry (`prefect flow-run retry`): the run is forced
    back to Scheduled, and a worker picks it up again.
    """
    from prefect.states import Scheduled

    async with prefect_client() as client:
        flow_run = await _owned_run(client, job_id, user_id)
        status = status_of(flow_run)
        if status not in (JobStatus.FAILED, JobStatus.CANCELLED):
            raise StateConflict(f"Job {job_id} is {status.value}: only a failed or "
                                "cancelled job can be retried.")  # fmt: skip
        await client.set_flow_run_state(
            flow_run.id, Scheduled(message="Retried by the user"), force=True
        )
        forget_runs([flow_run.id])
        flow_run = await client.read_flow_run(flow_run.id)
    return await _view(flow_run, engine)


# --- cleanup ---------------------------------------------------------------------------


async def delete_finished_jobs(ended_before: datetime) -> list[str]:
    """Delete our top-level finished runs that ended before `ended_before`; return ids.

    The same selection as Prefect's db-vacuum service, restricted to runs tagged
    `seology`, so that other projects sharing the server are never touched.
    """
    flow_runs = job_filter(
        state_types=TERMINAL_STATE_TYPES, ended_before=ended_before, top_level_only=True
    )
    async with prefect_client() as client:
        deleted = await bulk_delete(client, flow_runs)
    forget_runs(deleted)
    return deleted


async def cleanup(days_old: int, *, engine: Engine | None = None) -> int:
    """Delete finished jobs older than `days_old` days, and the outputs nobody needs now.

    Outputs of deleted jobs go too, except each site's latest crawl (its pages and issues
    are what the site's reports and analyses read). Returns the number of jobs deleted.
    """
    if days_old < 1:
        raise InvalidInput(f"daysOld must be at least 1, got {days_old}")
    deleted = await delete_finished_jobs(datetime.now(UTC) - timedelta(days=days_old))
    if engine is not None and deleted:
        from seology.store.job_outputs import delete_outputs

        await anyio.to_thread.run_sync(functools.partial(delete_outputs, engine, deleted))
    return len(deleted)


__all__ = [
    "DURATION_SAMPLE",
    "JOB_TYPES",
    "MAX_LIST_LIMIT",
    "Enqueued",
    "cancel_job",
    "cleanup",
    "delete_finished_jobs",
    "enqueue_analysis",
    "enqueue_crawl",
    "get_job",
    "get_stats",
    "list_jobs",
    "parse_job_id",
    "ping",
    "prefect_connection",
    "retry_job",
    "scheduled_time_for",
    "site_job_history",
]
