"""Talking to the Prefect API: one client context and the run filters our jobs need.

Private to `seology.queue`: the job API and the CLI never import this module.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import TYPE_CHECKING

import httpx

from seology.errors import PrefectUnavailable

if TYPE_CHECKING:
    from prefect.client.orchestration import PrefectClient
    from prefect.client.schemas.filters import FlowRunFilter

#: Every run of our deployments carries it (prefect.yaml, `seology.jobs.job_tags`).
JOB_TAG = "seology"
TERMINAL_STATE_TYPES = ("COMPLETED", "FAILED", "CRASHED", "CANCELLED")


@asynccontextmanager
async def prefect_client() -> AsyncIterator[PrefectClient]:
    """A Prefect client whose connection failures become `PrefectUnavailable`.

    Without `PREFECT_API_URL`, Prefect would start a temporary in-process server: a job
    queued there would never run, so that is refused instead.
    """
    from prefect.client.orchestration import get_client
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


def job_filter(
    *,
    tags: Iterable[str] = (),
    state_types: Iterable[str] | None = None,
    ended_before: datetime | None = None,
    idempotency_key: str | None = None,
    top_level_only: bool = False,
    expected_after: datetime | None = None,
    expected_before: datetime | None = None,
) -> FlowRunFilter:
    """A filter on our runs (tagged `seology`), narrowed by the given criteria.

    `expected_after` / `expected_before` bound the expected start time (the scheduled
    time of a queued run) and, as in Prefect, both are inclusive.
    """
    from prefect.client.schemas import filters as f
    from prefect.client.schemas.objects import StateType

    criteria: dict[str, object] = {"tags": f.FlowRunFilterTags(all_=[JOB_TAG, *tags])}
    if state_types is not None:
        types = [StateType(t) for t in state_types]
        criteria["state"] = f.FlowRunFilterState(type=f.FlowRunFilterStateType(any_=types))
    if ended_before is not None:
        criteria["end_time"] = f.FlowRunFilterEndTime(before_=ended_before)
    if idempotency_key is not None:
        criteria["idempotency_key"] = f.FlowRunFilterIdempotencyKey(any_=[idempotency_key])
    if top_level_only:
        criteria["parent_task_run_id"] = f.FlowRunFilterParentTaskRunId(is_null_=True)
    if expected_after is not None or expected_before is not None:
        criteria["expected_start_time"] = f.FlowRunFilterExpectedStartTime(
            after_=expected_after, before_=expected_before
        )
    return f.FlowRunFilter(**criteria)


async def bulk_delete(
    client: PrefectClient, flow_runs: FlowRunFilter, batch: int = 50
) -> list[str]:
    """Delete every run matching `flow_runs`, `batch` at a time; return their ids.

    The server deletes at most 50 a call (`POST /flow_runs/bulk_delete`). Each call
    deletes the first batch matching *now*, so the loop never skips runs the way offset
    paging over a shrinking set would.
    """
    body = {"flow_runs": flow_runs.model_dump(mode="json", exclude_unset=True), "limit": batch}
    deleted: list[str] = []
    while True:
        response = await client.request("POST", "/flow_runs/bulk_delete", json=body)  # type: ignore[arg-type]
        ids = [str(run_id) for run_id in response.json().get("deleted", [])]
        deleted.extend(ids)
        if len(ids) < batch:
            return deleted
