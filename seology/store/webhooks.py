"""Webhook endpoints and their deliveries, as their owner manages them.

Every function takes the owner's `user_id` and answers another user's endpoint or
delivery as unknown (`NotFound`, 404), so that ids cannot be probed. Secrets are
returned in the clear only when made (create, rotate, a job's callback) and stored
encrypted (`seology.store.secret_box`). URLs are checked against the crawler's target
rules by the caller before they get here (that check resolves DNS: async).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from seology.core.errors import NotFound
from seology.core.settings import Settings
from seology.core.webhook_policy import JOB_EVENTS
from seology.core.webhook_signing import new_secret
from seology.store.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent
from seology.store.outbox import CALLBACK, ENDPOINT, new_delivery, record_test_event
from seology.store.secret_box import encrypt


def create_endpoint(
    session: Session,
    settings: Settings,
    *,
    user_id: int,
    url: str,
    events: list[str],
    description: str = "",
) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its secret (shown to the owner this once)."""
    secret = new_secret()
    endpoint = WebhookEndpoint(
        id=str(uuid.uuid4()), user_id=user_id, kind=ENDPOINT, url=url,
        events=sorted(set(events)), description=description, secret=encrypt(secret, settings),
        enabled=True, created_at=datetime.now(UTC),
    )  # fmt: skip
    session.add(endpoint)
    session.flush()
    return endpoint, secret


def add_callback(
    session: Session, settings: Settings, *, user_id: int, job_id: str, url: str
) -> str:
    """A one-shot endpoint for the job's final event; its secret."""
    secret = new_secret()
    session.add(
        WebhookEndpoint(
            id=str(uuid.uuid4()), user_id=user_id, kind=CALLBACK, job_id=job_id, url=url,
            events=list(JOB_EVENTS), description=f"callback of job {job_id}",
            secret=encrypt(secret, settings), enabled=True, created_at=datetime.now(UTC),
        )
    )  # fmt: skip
    session.flush()
    return secret


def list_endpoints(session: Session, *, user_id: int) -> list[WebhookEndpoint]:
    return list(
        session.scalars(
            select(WebhookEndpoint)
            .where(WebhookEndpoint.user_id == user_id, WebhookEndpoint.kind == ENDPOINT)
            .order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)
        )
    )


def get_endpoint(session: Session, *, user_id: int, endpoint_id: str) -> WebhookEndpoint:
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.user_id != user_id or endpoint.kind != ENDPOINT:
        raise NotFound(f"No webhook {endpoint_id}.")
    return endpoint


def update_endpoint(
    session: Session,
    *,
    user_id: int,
    endpoint_id: str,
    url: str | None = None,
    events: list[str] | None = None,
    description: str | None = None,
    enabled: bool | None = None,
) -> WebhookEndpoint:
    """Change what is given; enabling a disabled endpoint clears why it was disabled."""
    endpoint = get_endpoint(session, user_id=user_id, endpoint_id=endpoint_id)
    if url is not None:
        endpoint.url = url
    if events is not None:
        endpoint.events = sorted(set(events))
    if description is not None:
        endpoint.description = description
    if enabled is not None and enabled != endpoint.enabled:
        endpoint.enabled = enabled
        endpoint.failing_since = None
        if enabled:
            endpoint.disabled_at = endpoint.disabled_reason = None
        else:
            endpoint.disabled_at = datetime.now(UTC)
            endpoint.disabled_reason = "Disabled by its owner."
    session.flush()
    return endpoint


def delete_endpoint(session: Session, *, user_id: int, endpoint_id: str) -> None:
    endpoint = get_endpoint(session, user_id=user_id, endpoint_id=endpoint_id)
    delivery_ids = select(WebhookDelivery.id).where(WebhookDelivery.endpoint_id == endpoint.id)
    session.execute(delete(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(delivery_ids)))
    session.execute(delete(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id))
    session.delete(endpoint)


def rotate_secret(
    session: Session, settings: Settings, *, user_id: int, endpoint_id: str
) -> tuple[WebhookEndpoint, str]:
    """A new secret; the old one keeps signing too for `webhook_secret_grace` seconds."""
    endpoint = get_endpoint(session, user_id=user_id, endpoint_id=endpoint_id)
    secret = new_secret()
    endpoint.previous_secret = endpoint.secret
    grace = timedelta(seconds=settings.webhook_secret_grace)
    endpoint.previous_secret_until = datetime.now(UTC) + grace
    endpoint.secret = encrypt(secret, settings)
    session.flush()
    return endpoint, secret


def send_test(session: Session, *, user_id: int, endpoint_id: str) -> WebhookDelivery:
    """A `test` event to this endpoint, delivered like any other."""
    endpoint = get_endpoint(session, user_id=user_id, endpoint_id=endpoint_id)
    delivery = session.get(WebhookDelivery, record_test_event(session, endpoint))
    assert delivery is not None
    return delivery


def list_deliveries(
    session: Session, *, user_id: int, endpoint_id: str, limit: int = 50
) -> list[tuple[WebhookDelivery, str, list[WebhookAttempt]]]:
    """The endpoint's deliveries newest first: each with its event type and attempts."""
    endpoint = get_endpoint(session, user_id=user_id, endpoint_id=endpoint_id)
    rows = session.execute(
        select(WebhookDelivery, WebhookEvent.type)
        .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
        .where(WebhookDelivery.endpoint_id == endpoint.id)
        .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id)
        .limit(limit)
    ).all()
    ids = [delivery.id for delivery, _ in rows]
    attempts: dict[str, list[WebhookAttempt]] = {i: [] for i in ids}
    for attempt in session.scalars(
        select(WebhookAttempt)
        .where(WebhookAttempt.delivery_id.in_(ids))
        .order_by(WebhookAttempt.number, WebhookAttempt.id)
    ):
        attempts[attempt.delivery_id].append(attempt)
    return [(delivery, event_type, attempts[delivery.id]) for delivery, event_type in rows]


def redeliver(
    session: Session, *, user_id: int, endpoint_id: str, delivery_id: str
) -> tuple[WebhookDelivery, str]:
    """The same event (same id and body) delivered again, as a new delivery."""
    endpoint = get_endpoint(session, user_id=user_id, endpoint_id=endpoint_id)
    old = session.get(WebhookDelivery, delivery_id)
    if old is None or old.endpoint_id != endpoint.id:
        raise NotFound(f"No delivery {delivery_id} of webhook {endpoint_id}.")
    new_id = new_delivery(
        session, event_id=old.event_id, endpoint_id=endpoint.id, now=datetime.now(UTC)
    )
    event = session.get(WebhookEvent, old.event_id)
    delivery = session.get(WebhookDelivery, new_id)
    assert delivery is not None and event is not None
    return delivery, event.type
