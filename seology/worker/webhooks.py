"""`seology webhooks serve`: the webhook worker. Records job ends, delivers the outbox.

Two loops in one process:
- `JobEndFollower` (seology.jobs.webhook_events) turns Prefect's final-state events into outbox
  events;
- `Dispatcher` takes due deliveries from the outbox (any process may have recorded
  them: this one, a crawl's change detection, a test request in the job API), signs
  them, and runs each attempt as the Prefect task `deliver-webhook`, so that every
  attempt is a task run in the UI. A failed attempt is scheduled again in the outbox
  (`seology.core.webhook_policy`), not in memory: a worker killed mid-delivery leaves its
  row `delivering` until its lease ends, and then this or another worker takes it
  again (delivery is at least once; receivers dedupe on the event id).

Any number of these workers may run: claims are compare-and-set on the row.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import anyio
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from seology.core.errors import SeologyError
from seology.core.settings import Settings
from seology.core.webhook_policy import FailureDecision, RetryPolicy, after_failure
from seology.core.webhook_signing import signed_headers
from seology.jobs.webhook_events import JobEndFollower
from seology.jobs.webhook_sender import Delivered, DeliveryFailed
from seology.store.engine import make_engine, session_scope
from seology.store.models import WebhookDelivery, WebhookEndpoint
from seology.store.outbox import (
    CALLBACK,
    DELIVERING,
    Claimed,
    add_attempt,
    claim,
    claimed,
    disable_endpoint,
    due,
    endpoint_secrets,
    failed,
    iso_utc,
    lease_end,
    succeeded,
)
from seology.store.secret_box import decrypt

logger = logging.getLogger("seology.webhooks")


def retry_policy(settings: Settings) -> RetryPolicy:
    return RetryPolicy(
        base_delay=settings.webhook_retry_base_delay,
        max_delay=settings.webhook_retry_max_delay,
        window=settings.webhook_retry_window,
        disable_after=settings.webhook_disable_after,
    )


class Dispatcher:
    """Claims due deliveries and attempts them, `webhook_concurrency` at a time."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings
        self.policy = retry_policy(settings)
        self.wake = asyncio.Event()
        self.in_flight: set[asyncio.Task[None]] = set()

    def nudge(self) -> None:
        """Something was recorded: look at the outbox now, not at the next poll."""
        self.wake.set()

    async def run(self) -> None:
        while True:
            free = self.settings.webhook_concurrency - len(self.in_flight)
            jobs: list[Claimed] = []
            if free > 0:
                try:
                    jobs = await anyio.to_thread.run_sync(self._claim_due, free)
                except SeologyError as exc:  # the database is down: try again shortly
                    logger.warning("Cannot read the webhook outbox: %s", exc.message)
            for job in jobs:
                task = asyncio.create_task(self.attempt(job))
                self.in_flight.add(task)
                task.add_done_callback(self._done)
            if len(jobs) < free or free <= 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.wake.wait(), self.settings.webhook_poll_interval)
                self.wake.clear()

    def _done(self, task: asyncio.Task[None]) -> None:
        self.in_flight.discard(task)
        self.wake.set()  # a slot is free

    def _claim_due(self, limit: int) -> list[Claimed]:
        now = datetime.now(UTC)
        taken = []
        with session_scope(self.engine) as session:
            for delivery_id, status, next_at in due(session, now=now, limit=limit):
                lease = lease_end(now, self.settings.webhook_timeout)
                if not claim(session, delivery_id, status, next_at, lease_until=lease):
                    continue
                taken.append((delivery_id, status == DELIVERING))
            session.commit()
            return [self._load(session, d, took_over, now) for d, took_over in taken]

    def _load(self, session: Session, delivery_id: str, took_over: bool, now: datetime) -> Claimed:
        delivery = session.get(WebhookDelivery, delivery_id)
        assert delivery is not None
        endpoint = session.get(WebhookEndpoint, delivery.endpoint_id)
        assert endpoint is not None
        try:
            keys = tuple(decrypt(s, self.settings) for s in endpoint_secrets(endpoint, now))
        except SeologyError as exc:
            logger.error("Webhook %s: %s", endpoint.id, exc.message)
            keys = ()
        return claimed(session, delivery_id, took_over=took_over, secrets=keys)

    async def attempt(self, job: Claimed) -> None:
        """One attempt of `job`, recorded whatever happens."""
        started = datetime.now(UTC)
        try:
            if not job.endpoint_enabled:
                raise DeliveryFailed("The endpoint is disabled.")
            if not job.secrets:
                raise DeliveryFailed("The endpoint's secret cannot be read; rotate it.")
            outcome = await self._send(job)
        except DeliveryFailed as exc:
            await self._record(self._failed, job, started, exc)
        except Exception as exc:  # a bug or an outage: recorded as a failed attempt
            logger.exception("Webhook delivery %s failed unexpectedly", job.delivery_id)
            await self._record(
                self._failed, job, started, DeliveryFailed(f"{type(exc).__name__}: {exc}")
            )
        else:
            await self._record(self._succeeded, job, started, outcome)

    async def _send(self, job: Claimed) -> Delivered:
        from tasks.webhooks import deliver_webhook

        headers = signed_headers(
            job.body, job.secrets, event_id=job.event_id, event_type=job.event_type
        )
        return await deliver_webhook(
            url=job.url, body=job.body, headers=headers,
            timeout_seconds=self.settings.webhook_timeout,
            allow_private=self.settings.allow_private_targets,
            event_type=job.event_type, endpoint_id=job.endpoint_id, attempt=job.attempt,
        )  # fmt: skip

    async def _record(
        self, how: Callable[[Claimed, datetime, Any], None], job: Claimed, started: datetime,
        outcome: Delivered | DeliveryFailed,
    ) -> None:  # fmt: skip
        record = functools.partial(how, job, started, outcome)
        for delay in (0.5, 2.0, 5.0, None):
            try:
                await anyio.to_thread.run_sync(record)
                return
            except SeologyError as exc:  # the database is down: the lease keeps the row
                if delay is None:
                    logger.error("Could not record webhook attempt %s: %s", job.delivery_id, exc)
                    return
                await asyncio.sleep(delay)

    def _succeeded(self, job: Claimed, started: datetime, outcome: Delivered) -> None:
        now = datetime.now(UTC)
        with session_scope(self.engine) as session:
            _lost_attempt(session, job, started)
            add_attempt(
                session, job, started_at=started, duration_ms=outcome.duration_ms,
                status_code=outcome.status_code, error=None, next_retry_at=None,
            )  # fmt: skip
            succeeded(session, job, now=now, status_code=outcome.status_code)
        logger.info(
            "Delivered %s %s to %s (attempt %d)", job.event_type, job.event_id, job.endpoint_id,
            job.attempt, extra={"action": "webhook_delivered"},
        )  # fmt: skip

    def _failed(self, job: Claimed, started: datetime, error: DeliveryFailed) -> None:
        now = datetime.now(UTC)
        decision = after_failure(
            attempt=job.attempt, event_created_at=job.event_created_at,
            failing_since=job.failing_since or now, now=now, policy=self.policy,
        )  # fmt: skip
        if not job.endpoint_enabled:  # nothing to retry until its owner enables it
            decision = FailureDecision(next_attempt_at=None, disable_endpoint=False)
        disable = decision.disable_endpoint and job.endpoint_kind != CALLBACK
        with session_scope(self.engine) as session:
            _lost_attempt(session, job, started)
            add_attempt(
                session, job, started_at=started, duration_ms=error.duration_ms,
                status_code=error.status_code, error=error.message,
                next_retry_at=decision.next_attempt_at,
            )  # fmt: skip
            failed(
                session, job, now=now, status_code=error.status_code, error=error.message,
                next_attempt_at=decision.next_attempt_at,
            )  # fmt: skip
            if disable and job.endpoint_enabled:
                since = iso_utc(job.failing_since or now)
                reason = (
                    f"Every delivery failed since {since}; the last one: {error.message}. "
                    "Fix the receiver, then re-enable the endpoint (PATCH enabled=true)."
                )
                disable_endpoint(session, job.endpoint_id, now=now, reason=reason)
        logger.info(
            "Webhook %s %s to %s failed (attempt %d): %s", job.event_type, job.event_id,
            job.endpoint_id, job.attempt, error.message, extra={"action": "webhook_failed"},
        )  # fmt: skip


def _lost_attempt(session: Session, job: Claimed, started: datetime) -> None:
    """The attempt before this one was cut short by its worker's death: say so."""
    if job.took_over and job.attempt > 1:
        add_attempt(
            session, job, started_at=started, duration_ms=None, status_code=None,
            error="The worker delivering it stopped mid-delivery; tried again.",
            next_retry_at=started, number=job.attempt - 1,
        )  # fmt: skip


async def serve(settings: Settings) -> None:
    """Follow job ends and deliver, until cancelled."""
    engine = make_engine(settings.resolved_database_url)
    dispatcher = Dispatcher(engine, settings)
    follower = JobEndFollower(engine, dispatcher.nudge)
    try:
        await asyncio.gather(dispatcher.run(), follower.run())
    finally:
        engine.dispose()
