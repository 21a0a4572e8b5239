"""Following Prefect's flow-run events, to tell a `RunCache` which runs changed.

Runs for as long as the job API does. Any failure (the server down or restarting,
the stream switched off, a message we cannot read) marks the cache not live, so
that status reads go to Prefect, and the subscription is tried again with backoff.
"""

from __future__ import annotations

import asyncio
import logging
import uuid

from seology.jobs._run_cache import RunCache

logger = logging.getLogger("seology.api.events")

RUN_RESOURCE_PREFIX = "prefect.flow-run."
#: Seconds between attempts to subscribe, doubling from the first to the last.
RETRY_SECONDS = (0.5, 30.0)


async def follow_run_events(cache: RunCache, api_url: str) -> None:
    """Subscribe, feed `cache`, and subscribe again after any failure; until cancelled."""
    delay = RETRY_SECONDS[0]
    warned = False
    while True:
        try:
            await _follow_once(cache, api_url)
            failure = "the stream ended"
        except asyncio.CancelledError:
            cache.stream_lost()
            raise
        except Exception as exc:  # any failure: read Prefect until the stream is back
            failure = f"{type(exc).__name__}: {exc}"
        was_live = cache.live
        cache.stream_lost()
        if was_live or not warned:  # once per outage, not at every attempt
            logger.warning(
                "No event stream from Prefect (%s); status reads go to Prefect until it is back.",
                failure,
            )
            warned = True
        delay = RETRY_SECONDS[0] if was_live else min(delay * 2, RETRY_SECONDS[1])
        logger.debug("Subscribing to Prefect's events again in %.1f s", delay)
        await asyncio.sleep(delay)


async def _follow_once(cache: RunCache, api_url: str) -> None:
    from prefect.events.clients import PrefectEventSubscriber
    from prefect.events.filters import EventFilter, EventNameFilter, EventResourceFilter

    runs_only = EventFilter(
        event=EventNameFilter(prefix=[RUN_RESOURCE_PREFIX]),
        resource=EventResourceFilter(id_prefix=[RUN_RESOURCE_PREFIX]),
    )
    # No reconnecting inside the subscriber: a reconnect we do not see could hide a
    # gap in which events were missed.
    async with PrefectEventSubscriber(
        api_url=api_url, filter=runs_only, reconnection_attempts=0
    ) as subscriber:
        cache.stream_live()
        async for event in subscriber:
            run_id = _run_id(event.resource.id)
            if run_id is not None:
                cache.changed(run_id)


def _run_id(resource_id: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(resource_id.removeprefix(RUN_RESOURCE_PREFIX))
    except ValueError:
        return None
