"""Reads of many jobs: lists, a site's history for its monthly report, and counts.

Part of the facade: `seology.jobs.queue` re-exports every public name, so callers keep
one import. Prefect counts runs but does not average them; the mean run time of a type
is computed here from its latest completed runs.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import TYPE_CHECKING, Any

from seology.core.errors import InvalidInput
from seology.core.job_model import STATE_TYPES_BY_STATUS, Job, JobStatus, iso_utc
from seology.jobs._job_view import to_job
from seology.jobs._prefect import all_flow_runs, job_filter, prefect_client

if TYPE_CHECKING:
    from prefect.client.orchestration import PrefectClient
    from prefect.client.schemas.objects import FlowRun

JOB_TYPES = ("crawl", "analysis", "daily", "monthly")
#: Prefect refuses `limit` above 200 on reads.
MAX_LIST_LIMIT = 200
#: Average durations are taken over this many most recent completed jobs of a type.
DURATION_SAMPLE = 200


def _list_tags(user_id: int | None, job_type: str | None) -> list[str]:
    tags = [] if user_id is None else [f"user:{user_id}"]
    if job_type is not None:
        if job_type not in JOB_TYPES:
            raise InvalidInput(f"type must be one of {', '.join(JOB_TYPES)}, got {job_type!r}")
        tags.append(f"type:{job_type}")
    return tags


async def list_jobs(
    *,
    user_id: int | None,
    status: JobStatus | None = None,
    job_type: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[Job]:
    """Jobs newest first (by scheduled start), filtered by status and type."""
    from prefect.client.schemas.sorting import FlowRunSort

    if not 1 <= limit <= MAX_LIST_LIMIT:
        raise InvalidInput(f"limit must be between 1 and {MAX_LIST_LIMIT}, got {limit}")
    if offset < 0:
        raise InvalidInput(f"offset must be 0 or more, got {offset}")
    state_types = STATE_TYPES_BY_STATUS[status] if status is not None else None
    flow_runs = job_filter(tags=_list_tags(user_id, job_type), state_types=state_types)
    async with prefect_client() as client:
        runs = await client.read_flow_runs(
            flow_run_filter=flow_runs,
            sort=FlowRunSort.EXPECTED_START_TIME_DESC,
            limit=limit,
            offset=offset,
        )
    return [to_job(run) for run in runs]


async def site_job_history(site_id: int, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """The site's jobs expected to start in [start, end), oldest first, as JSON records.

    For the monthly report: a job belongs to the period it was scheduled in (its
    expected start time, which the queue sets), since a run cancelled while queued has
    no start or end time at all. A record is the job's public shape (`Job`, snake_case)
    plus `expected_start_time`. Pages of `MAX_LIST_LIMIT` are read by id, a stable
    order; Prefect's time bounds are inclusive, so a run at exactly `end` is left to the
    next period here.
    """
    flow_runs = job_filter(
        tags=[f"site:{site_id}"], expected_after=start, expected_before=end, top_level_only=True
    )
    runs: dict[str, FlowRun] = {}
    async with prefect_client() as client:
        async for run in all_flow_runs(client, flow_runs, page_size=MAX_LIST_LIMIT):
            runs[str(run.id)] = run
    in_period = sorted(
        (run for run in runs.values() if run.expected_start_time and run.expected_start_time < end),
        key=lambda run: (run.expected_start_time, str(run.id)),
    )
    return [
        {
            **to_job(run).model_dump(mode="json"),
            "expected_start_time": iso_utc(run.expected_start_time),
        }
        for run in in_period
    ]


async def get_stats(*, user_id: int | None) -> dict[str, Any]:
    """Counts by status, overall and by type, counted by the Prefect API.

    `avgDurationSeconds` of a type is the mean run time of its latest completed jobs
    (up to `DURATION_SAMPLE`): Prefect counts runs but does not average them.
    """
    types = JOB_TYPES if user_id is None else ("crawl", "analysis")
    async with prefect_client() as client:
        by_type = dict(
            zip(
                types,
                await asyncio.gather(*(_type_stats(client, user_id, t) for t in types)),
                strict=True,
            )
        )
    totals = {key: sum(stats[key] for stats in by_type.values()) for key in _COUNT_KEYS}
    return {**totals, "byType": by_type}


_COUNT_KEYS = ("pending", "processing", "completed", "failed", "cancelled", "total")


async def _type_stats(client: PrefectClient, user_id: int | None, job_type: str) -> dict[str, Any]:
    tags = _list_tags(user_id, job_type)
    counts = await asyncio.gather(
        *(
            client.count_flow_runs(
                flow_run_filter=job_filter(tags=tags, state_types=STATE_TYPES_BY_STATUS[status])
            )
            for status in JobStatus
        )
    )
    stats: dict[str, Any] = {
        status.value.lower(): count for status, count in zip(JobStatus, counts, strict=True)
    }
    stats["total"] = sum(counts)
    stats["avgDurationSeconds"] = await _average_duration(client, tags)
    return stats


async def _average_duration(client: PrefectClient, tags: list[str]) -> float | None:
    from prefect.client.schemas.sorting import FlowRunSort

    runs = await client.read_flow_runs(
        flow_run_filter=job_filter(tags=tags, state_types=["COMPLETED"]),
        sort=FlowRunSort.END_TIME_DESC,
        limit=DURATION_SAMPLE,
    )
    durations = [run.total_run_time.total_seconds() for run in runs]
    return round(sum(durations) / len(durations), 3) if durations else None
