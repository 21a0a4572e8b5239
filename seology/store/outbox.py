"""The webhook outbox: events recorded durably, then delivered at least once.

Whatever produces an event (the job-end follower, a crawl's change detection, a test
request) writes the event and one delivery row per subscribed endpoint in one
transaction; the delivery worker then takes due rows (`claim`), attempts them and
records each attempt. Nothing lives only in a process's memory, so a worker or a
Prefect server that restarts mid-delivery loses nothing: a row a dead worker held is
taken again once its lease ends. An event id is stable (a job event's is its final
Prefect state's id), so recording the same event twice is a no-op and a receiver can
drop a repeated delivery by its id.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from seology.core.webhook_policy import TEST_EVENT
from seology.store.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent

PENDING, DELIVERING, SUCCEEDED, FAILED = "pending", "delivering", "succeeded", "failed"
ENDPOINT, CALLBACK = "endpoint", "callback"


def iso_utc(value: datetime) -> str:
    """`2026-01-31T23:59:59.123Z`, as the job API writes times."""
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def event_body(event: WebhookEvent) -> bytes:
    """The JSON every attempt of `event` sends, byte for byte the same each time."""
    body = {
        "id": event.id,
        "type": event.type,
        "createdAt": iso_utc(event.created_at),
        "data": event.data,
    }
    return json.dumps(body, separators=(",", ":"), sort_keys=True).encode()


def _insert(session: Session) -> Any:
    """The `insert` of the session's backend, which can skip a row already there."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


# --- recording -------------------------------------------------------------------------


def subscribers(
    session: Session, *, user_id: int, event_type: str, job_id: str | None = None
) -> list[WebhookEndpoint]:
    """The user's enabled endpoints that want `event_type`, and the job's callbacks."""
    rows = session.scalars(
        select(WebhookEndpoint).where(
            WebhookEndpoint.user_id == user_id, WebhookEndpoint.enabled.is_(True)
        )
    ).all()
    return [
        row
        for row in rows
        if (row.kind == ENDPOINT and event_type in row.events)
        or (row.kind == CALLBACK and row.job_id == job_id and not _has_delivery(session, row.id))
    ]


def _has_delivery(session: Session, endpoint_id: str) -> bool:
    """A callback is called once: at the job's first final state, not after a retry."""
    found = select(WebhookDelivery.id).where(WebhookDelivery.endpoint_id == endpoint_id)
    return session.scalar(found.limit(1)) is not None


def event_exists(session: Session, event_id: str) -> bool:
    return session.get(WebhookEvent, event_id) is not None


def record_event(
    session: Session,
    *,
    event_id: str,
    user_id: int,
    event_type: str,
    data: dict[str, Any],
    endpoints: Sequence[WebhookEndpoint],
    created_at: datetime | None = None,
) -> list[str]:
    """Record the event and a delivery per endpoint; ids of the deliveries made.

    An event recorded before (the same id) is left as it is and makes no deliveries:
    two followers of the same event stream, or a replayed stream, record it once.
    """
    now = datetime.now(UTC)
    row = {
        "id": event_id, "user_id": user_id, "type": event_type, "data": data,
        "created_at": created_at or now,
    }  # fmt: skip
    inserted = session.execute(
        _insert(session)(WebhookEvent).values(row).on_conflict_do_nothing()
    ).rowcount
    if not inserted:
        return []
    return [new_delivery(session, event_id=event_id, endpoint_id=e.id, now=now) for e in endpoints]


def new_delivery(session: Session, *, event_id: str, endpoint_id: str, now: datetime) -> str:
    """A delivery of the event to the endpoint, due at once."""
    delivery = WebhookDelivery(
        id=str(uuid.uuid4()), event_id=event_id, endpoint_id=endpoint_id,
        status=PENDING, attempts=0, next_attempt_at=now, created_at=now,
    )  # fmt: skip
    session.add(delivery)
    session.flush()
    return delivery.id


def record_test_event(session: Session, endpoint: WebhookEndpoint) -> str:
    """A `test` event for this endpoint only; the delivery's id."""
    event_id = f"evt_{uuid.uuid4().hex}"
    data = {"message": "A test event from Seology.", "webhookId": endpoint.id}
    deliveries = record_event(
        session, event_id=event_id, user_id=endpoint.user_id, event_type=TEST_EVENT,
        data=data, endpoints=[endpoint],
    )  # fmt: skip
    return deliveries[0]


# --- delivering ------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Claimed:
    """A delivery this worker now holds until `lease_until`, with what it needs to send."""

    delivery_id: str
    attempt: int
    url: str
    endpoint_id: str
    endpoint_kind: str
    endpoint_enabled: bool
    secrets: tuple[str, ...]
    event_id: str
    event_type: str
    event_created_at: datetime
    body: bytes
    failing_since: datetime | None
    #: The previous attempt's holder died (the row was `delivering` past its lease).
    took_over: bool


def due(session: Session, *, now: datetime, limit: int) -> list[tuple[str, str, datetime]]:
    """(id, status, next_attempt_at) of deliveries due now, oldest due first."""
    rows = session.execute(
        select(WebhookDelivery.id, WebhookDelivery.status, WebhookDelivery.next_attempt_at)
        .where(
            WebhookDelivery.status.in_((PENDING, DELIVERING)),
            WebhookDelivery.next_attempt_at <= now,
        )
        .order_by(WebhookDelivery.next_attempt_at)
        .limit(limit)
    ).all()
    return [(row[0], row[1], row[2]) for row in rows]


def claim(
    session: Session, delivery_id: str, status: str, next_at: datetime, *, lease_until: datetime
) -> bool:
    """Take the delivery if nobody else did since it was read (compare and set)."""
    result = session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.id == delivery_id,
            WebhookDelivery.status == status,
            WebhookDelivery.next_attempt_at == next_at,
        )
        .values(
            status=DELIVERING,
            next_attempt_at=lease_until,
            attempts=WebhookDelivery.attempts + 1,
        )
    )
    return result.rowcount == 1


def claimed(
    session: Session, delivery_id: str, *, took_over: bool, secrets: tuple[str, ...]
) -> Claimed:
    """What a claimed delivery sends; `secrets` are the endpoint's, already decrypted."""
    delivery = session.get(WebhookDelivery, delivery_id)
    assert delivery is not None
    endpoint = session.get(WebhookEndpoint, delivery.endpoint_id)
    event = session.get(WebhookEvent, delivery.event_id)
    assert endpoint is not None and event is not None
    return Claimed(
        delivery_id=delivery.id, attempt=delivery.attempts, url=endpoint.url,
        endpoint_id=endpoint.id, endpoint_kind=endpoint.kind, endpoint_enabled=endpoint.enabled,
        secrets=secrets, event_id=event.id, event_type=event.type,
        event_created_at=event.created_at, body=event_body(event),
        failing_since=endpoint.failing_since, took_over=took_over,
    )  # fmt: skip


def endpoint_secrets(endpoint: WebhookEndpoint, now: datetime) -> tuple[str, ...]:
    """The stored (encrypted) secrets to sign with: the current one, and the previous
    one while its grace period lasts."""
    keep_old = endpoint.previous_secret and endpoint.previous_secret_until
    if keep_old and endpoint.previous_secret_until > now:  # type: ignore[operator]
        return (endpoint.secret, endpoint.previous_secret)  # type: ignore[return-value]
    return (endpoint.secret,)


def add_attempt(
    session: Session,
    job: Claimed,
    *,
    started_at: datetime,
    duration_ms: float | None,
    status_code: int | None,
    error: str | None,
    next_retry_at: datetime | None,
    number: int | None = None,
) -> None:
    session.add(
        WebhookAttempt(
            delivery_id=job.delivery_id, number=number or job.attempt, started_at=started_at,
            duration_ms=duration_ms, status_code=status_code, error=error,
            next_retry_at=next_retry_at,
        )
    )  # fmt: skip


def succeeded(session: Session, job: Claimed, *, now: datetime, status_code: int) -> None:
    """Delivered: the row is done and the endpoint's failing streak ends."""
    session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == job.delivery_id)
        .values(
            status=SUCCEEDED, delivered_at=now, next_attempt_at=None,
            last_status_code=status_code, last_error=None,
        )
    )  # fmt: skip
    session.execute(
        update(WebhookEndpoint)
        .where(WebhookEndpoint.id == job.endpoint_id)
        .values(failing_since=None)
    )


def failed(
    session: Session,
    job: Claimed,
    *,
    now: datetime,
    status_code: int | None,
    error: str,
    next_attempt_at: datetime | None,
) -> None:
    """A failed attempt: due again at `next_attempt_at`, or failed for good (None)."""
    session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == job.delivery_id)
        .values(
            status=PENDING if next_attempt_at else FAILED, next_attempt_at=next_attempt_at,
            last_status_code=status_code, last_error=error,
        )
    )  # fmt: skip
    if job.failing_since is None:
        session.execute(
            update(WebhookEndpoint)
            .where(WebhookEndpoint.id == job.endpoint_id, WebhookEndpoint.failing_since.is_(None))
            .values(failing_since=now)
        )


def disable_endpoint(session: Session, endpoint_id: str, *, now: datetime, reason: str) -> None:
    """Stop delivering to the endpoint: its due deliveries fail with the reason."""
    session.execute(
        update(WebhookEndpoint)
        .where(WebhookEndpoint.id == endpoint_id)
        .values(enabled=False, disabled_at=now, disabled_reason=reason)
    )
    give_up_pending(
        session, endpoint_id, reason=f"Not delivered: the endpoint was disabled. {reason}"
    )


def give_up_pending(session: Session, endpoint_id: str, *, reason: str) -> None:
    session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == endpoint_id, WebhookDelivery.status == PENDING)
        .values(status=FAILED, next_attempt_at=None, last_error=reason)
    )


def lease_end(now: datetime, timeout: float) -> datetime:
    """How long a claim holds: the attempt's timeout and a margin for recording it."""
    return now + timedelta(seconds=timeout + 5)
