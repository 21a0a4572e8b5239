"""The one facade over the Prefect API: every job operation of the job API and the CLI.

A job is a flow run of one of our deployments; nothing here stores job state of its own.
The HTTP layer and the CLI import this module, never `prefect.client`. Every function
maps Prefect's failures onto our errors: an unreachable server is `PrefectUnavailable`
(503), an unknown or foreign run is `JobNotFound` (404), an operation the job's state
forbids is `StateConflict` (409).

`user_id=None` means the admin: every job, whoever owns it.
"""

from __future__ import annotations

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
    PrefectUnavailable,
)
from seology.core.job_model import (
    job_tags,
    tag_value,
)
from seology.jobs._job_view import status_of
from seology.jobs._prefect import (
    keep_client,
    prefect_client,
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
from seology.jobs.runs import (
    ACTIVE_STATUSES,
    cancel_job,
    cleanup,
    delete_finished_jobs,
    get_job,
    parse_job_id,
    retry_job,
)
from seology.jobs.specs import ANALYSIS, CRAWL, DeploymentSpec

if TYPE_CHECKING:
    from prefect.client.orchestration import PrefectClient
    from prefect.client.schemas.objects import FlowRun
    from sqlalchemy import Engine

#: Inside one queue, each step of priority starts this much earlier (docs/internals/priority.md).
PRIORITY_STEP = timedelta(seconds=30)
#: The furthest back a job is scheduled: a step for each priority above its queue's lowest.
PRIORITY_BACKDATING = PRIORITY_STEP * max(q.max_job_priority - q.min_job_priority for q in QUEUES)
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


__all__ = [
    "ACTIVE_STATUSES",
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
