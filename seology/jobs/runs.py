"""One job's run: read it as its owner may see it, cancel it, retry it; and cleanup.

Part of the facade: `seology.jobs.queue` re-exports every public name. Another user's
job is reported as unknown (`JobNotFound`), never revealed; an operation the job's
state forbids is `StateConflict`.
"""

from __future__ import annotations

import functools
import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import anyio

from seology.core.errors import InvalidInput, InvalidJobId, JobNotFound, StateConflict
from seology.core.job_model import TERMINAL_STATE_TYPES, Job, JobStatus, tag_value
from seology.core.timing import timed
from seology.jobs._job_view import status_of, to_job
from seology.jobs._prefect import bulk_delete, forget_runs, job_filter, prefect_client, read_run

if TYPE_CHECKING:
    from prefect.client.orchestration import PrefectClient
    from prefect.client.schemas.objects import FlowRun
    from sqlalchemy import Engine

ACTIVE_STATUSES = (JobStatus.PENDING, JobStatus.PROCESSING)


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
