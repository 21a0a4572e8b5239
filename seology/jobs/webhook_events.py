"""Job-end webhook events, from Prefect's own event stream.

A job ends when its flow run enters a final state; Prefect publishes that as an event
(`prefect.flow-run.Completed`, `…Failed`, `…Cancelled`) whose id is the new state's
id. The webhook worker follows those events (the same websocket the job API's run
cache and the UI follow) and records a `job.*` event in the outbox for the job's owner,
when the owner has an endpoint that wants it or the job has a callback URL. The event
id is `evt_<state id>`: the stream, its replay after a reconnect, and the sweep below
all name the same end the same way, so it is recorded once.

What keeps an end from being missed:
- Prefect replays the last minutes of events to a new subscriber (backfill), so a
  short disconnect loses nothing;
- at every (re)connect, `sweep` reads the runs that ended since the stream was last
  known live, from the Prefect API, and records those not recorded yet: events that
  were never persisted (a server killed mid-batch) or older than the replay.

A `Failed` state is final only after the job's last attempt: while retries remain,
Prefect moves a failed attempt to `AwaitingRetry`, and a crashed run is retried or
failed by the recovery automation, so `Crashed` is not an end either.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import anyio

from seology.core.job_model import tag_value
from seology.jobs._job_view import to_job
from seology.jobs._prefect import JOB_TAG, all_flow_runs, job_filter, prefect_client
from seology.store.engine import session_scope
from seology.store.outbox import event_exists, record_event, subscribers

if TYPE_CHECKING:
    from prefect.client.schemas.objects import FlowRun
    from sqlalchemy import Engine

logger = logging.getLogger("seology.webhooks.events")

#: Prefect's final-state events → our event types.
JOB_END_EVENTS = {
    "prefect.flow-run.Completed": "job.completed",
    "prefect.flow-run.Failed": "job.failed",
    "prefect.flow-run.Cancelled": "job.cancelled",
}
STATE_TYPE_EVENTS = {
    "COMPLETED": "job.completed",
    "FAILED": "job.failed",
    "CANCELLED": "job.cancelled",
}
RUN_PREFIX = "prefect.flow-run."
#: Seconds between attempts to subscribe, doubling from the first to the last.
RETRY_SECONDS = (0.5, 30.0)
#: A sweep starts this long before the stream was last known live (clock skew, commits
#: that landed just before the stream saw them).
SWEEP_MARGIN = timedelta(seconds=60)
#: A first sweep, with nothing known, looks back as far as Prefect's replay does.
FIRST_SWEEP = timedelta(minutes=15)
SWEEP_PAGE = 200
#: Ends recorded at once by one follower.
CONCURRENT_RECORDINGS = 16


def event_id_of(state_id: uuid.UUID | str) -> str:
    return f"evt_{state_id}"


def record_job_end(engine: Engine, flow_run: FlowRun, event_type: str) -> list[str]:
    """Record the run's end for its owner's subscribers; the deliveries made."""
    user = tag_value(flow_run.tags, "user")
    if flow_run.state is None or user is None or not user.isdigit():
        return []
    event_id = event_id_of(flow_run.state.id)
    job_id = str(flow_run.id)
    with session_scope(engine) as session:
        if event_exists(session, event_id):
            return []
        endpoints = subscribers(session, user_id=int(user), event_type=event_type, job_id=job_id)
        if not endpoints:
            return []
    data = to_job(flow_run, engine=engine).model_dump(by_alias=True, mode="json")
    with session_scope(engine) as session:
        endpoints = subscribers(session, user_id=int(user), event_type=event_type, job_id=job_id)
        return record_event(
            session, event_id=event_id, user_id=int(user), event_type=event_type, data=data,
            endpoints=endpoints, created_at=flow_run.state.timestamp,
        )  # fmt: skip


def wants(engine: Engine, user_id: int, event_type: str, job_id: str, state_id: str) -> bool:
    """Whether an end is worth reading the run for: subscribed to, not yet recorded."""
    with session_scope(engine) as session:
        if event_exists(session, event_id_of(state_id)):
            return False
        return bool(subscribers(session, user_id=user_id, event_type=event_type, job_id=job_id))


class JobEndFollower:
    """Follows Prefect's final-state events and records them; calls `recorded` after
    each recording that made deliveries (to wake the dispatcher)."""

    def __init__(self, engine: Engine, recorded: Callable[[], None]) -> None:
        self.engine = engine
        self.recorded = recorded
        self.live_until: datetime | None = None
        #: Ends being recorded: several at once, since each waits on a run read and the
        #: database, and jobs end in bursts.
        self.recording: set[asyncio.Task[None]] = set()
        self.slots = asyncio.Semaphore(CONCURRENT_RECORDINGS)

    async def run(self) -> None:
        """Subscribe, record, and subscribe again after any failure; until cancelled."""
        delay = RETRY_SECONDS[0]
        while True:
            try:
                await self._follow_once()
                failure = "the stream ended"
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # any failure: the next connect sweeps the gap
                failure = f"{type(exc).__name__}: {exc}"
            logger.warning("No event stream from Prefect (%s); subscribing again.", failure)
            await asyncio.sleep(delay)
            delay = min(delay * 2, RETRY_SECONDS[1])

    async def _follow_once(self) -> None:
        from prefect.events.clients import PrefectEventSubscriber
        from prefect.events.filters import (
            EventFilter,
            EventNameFilter,
            EventRelatedFilter,
            EventResourceFilter,
        )
        from prefect.settings import PREFECT_API_URL

        ends = EventFilter(
            event=EventNameFilter(name=list(JOB_END_EVENTS)),
            resource=EventResourceFilter(id_prefix=[RUN_PREFIX]),
            related=EventRelatedFilter(id=[f"prefect.tag.{JOB_TAG}"]),
        )
        api_url = str(PREFECT_API_URL.value()).rstrip("/")
        async with PrefectEventSubscriber(
            api_url=api_url, filter=ends, reconnection_attempts=0
        ) as subscriber:
            connected = datetime.now(UTC)
            await self.sweep(self.live_until)  # a failed sweep is done again next time
            self.live_until = connected
            async for event in subscriber:
                self.live_until = datetime.now(UTC)
                task = asyncio.create_task(self._record_event(event))
                self.recording.add(task)
                task.add_done_callback(self.recording.discard)

    async def _record_event(self, event: Any) -> None:
        """Record one end; if that fails, sweep from its time until a sweep succeeds."""
        async with self.slots:
            try:
                await self._on_event(event)
                return
            except Exception as exc:  # Prefect or the database failed: the sweep catches up
                logger.warning("Recording %s failed (%s); sweeping for it.", event.id, exc)
        delay = RETRY_SECONDS[0]
        while True:
            try:
                await self.sweep(event.occurred)
                return
            except Exception as exc:  # still failing: again, later
                logger.warning("Sweep failed (%s); again in %.1f s.", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_SECONDS[1])

    async def _on_event(self, event: Any) -> None:
        event_type = JOB_END_EVENTS.get(event.event)
        user = _related_tag(event, "user")
        run_id = event.resource.id.removeprefix(RUN_PREFIX)
        if event_type is None or user is None:
            return
        check = functools.partial(wants, self.engine, user, event_type, run_id, str(event.id))
        if not await anyio.to_thread.run_sync(check):
            return
        async with prefect_client() as client:
            flow_run = await client.read_flow_run(uuid.UUID(run_id))
        if flow_run.state is None or str(flow_run.state.id) != str(event.id):
            # The run moved on (a manual retry): its state now is not this end.
            return
        await self._record(flow_run, event_type)

    async def _record(self, flow_run: FlowRun, event_type: str) -> None:
        record = functools.partial(record_job_end, self.engine, flow_run, event_type)
        if await anyio.to_thread.run_sync(record):
            self.recorded()

    async def sweep(self, since: datetime | None) -> int:
        """Record the ends of runs that ended since `since` (minus a margin); the count
        of runs looked at. Ends already recorded are skipped by their id."""
        start = (since - SWEEP_MARGIN) if since else datetime.now(UTC) - FIRST_SWEEP
        flow_runs = job_filter(state_types=list(STATE_TYPE_EVENTS), ended_after=start)
        seen = 0
        async with prefect_client() as client:
            async for flow_run in all_flow_runs(client, flow_runs, page_size=SWEEP_PAGE):
                state_type = flow_run.state_type.value if flow_run.state_type else ""
                await self._record(flow_run, STATE_TYPE_EVENTS[state_type])
                seen += 1
        return seen


def _related_tag(event: Any, key: str) -> int | None:
    prefix = f"prefect.tag.{key}:"
    for related in event.related:
        if related.id.startswith(prefix):
            value = related.id.removeprefix(prefix)
            return int(value) if value.isdigit() else None
    return None
