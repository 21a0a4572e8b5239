"""The Prefect task of one webhook delivery attempt, so that each shows in the UI.

Each attempt is its own task run (`webhook job.completed #2 → <endpoint>`), failed with
the receiver's answer or the timeout when it fails; the retry schedule itself lives in
the outbox (`seology.store.outbox`), not in the task's memory, so that it survives the
process. The task holds no data but what it sends.
"""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE

from seology.jobs.webhook_sender import Delivered, send


@task(
    name="deliver-webhook",
    task_run_name="webhook {event_type} #{attempt} → {endpoint_id}",
    retries=0,
    cache_policy=NO_CACHE,
    persist_result=False,
    log_prints=False,
)
async def deliver_webhook(
    *,
    url: str,
    body: bytes,
    headers: dict[str, str],
    timeout_seconds: float,
    allow_private: bool,
    event_type: str,
    endpoint_id: str,
    attempt: int,
) -> Delivered:
    """POST one signed delivery; raises `DeliveryFailed` unless the receiver took it."""
    return await send(
        url, body, headers, timeout_seconds=timeout_seconds, allow_private=allow_private
    )
