"""`/api/webhooks`: endpoints a user wants events pushed to, and their deliveries.

An endpoint's secret is in the answer that makes it (create, rotate-secret) and never
again. Another user's endpoint or delivery is a 404, like an unknown id. URLs must be
http(s) and, unless private targets are allowed, resolve to public addresses only:
the crawler's target rules (docs/webhooks.md).
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from seology.api.deps import CurrentUser, SessionDep, SettingsDep
from seology.api.schemas.common import error_responses
from seology.api.schemas.webhooks import (
    DeliveryEnvelope,
    DeliveryList,
    DeliveryOut,
    WebhookCreate,
    WebhookEnvelope,
    WebhookList,
    WebhookOut,
    WebhookUpdate,
    WebhookWithSecret,
)
from seology.core.settings import Settings
from seology.crawler.safety import check_target
from seology.store import webhooks
from seology.store.sites import normalise_url

router = APIRouter(
    prefix="/api/webhooks", tags=["webhooks"], responses=error_responses(401, 403, 422, 503)
)

WebhookId = Annotated[uuid.UUID, Path(description="The webhook's id")]
DeliveryId = Annotated[uuid.UUID, Path(description="The delivery's id")]
ONE = error_responses(404)


async def checked_url(url: str, settings: Settings) -> str:
    """The URL if the crawler would fetch it; 400 `invalid_url` otherwise."""
    normalised = normalise_url(url)
    await check_target(normalised, allow_private=settings.allow_private_targets)
    return normalised


@router.post(
    "", status_code=status.HTTP_201_CREATED, response_model=WebhookWithSecret,
    responses=error_responses(400),
)  # fmt: skip
async def create_webhook(
    body: WebhookCreate, user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> WebhookWithSecret:
    """Add an endpoint for the events listed; the answer holds its secret, once."""
    url = await checked_url(body.url, settings)
    endpoint, secret = webhooks.create_endpoint(
        session, settings, user_id=user.id, url=url, events=list(body.events),
        description=body.description,
    )  # fmt: skip
    return WebhookWithSecret(**WebhookOut.of(endpoint).model_dump(), secret=secret)


@router.get("", response_model=WebhookList)
def list_webhooks(user: CurrentUser, session: SessionDep) -> WebhookList:
    """Your endpoints, oldest first (secrets are never shown again)."""
    rows = webhooks.list_endpoints(session, user_id=user.id)
    return WebhookList(webhooks=[WebhookOut.of(row) for row in rows])


@router.get("/{webhook_id}", response_model=WebhookEnvelope, responses=ONE)
def get_webhook(webhook_id: WebhookId, user: CurrentUser, session: SessionDep) -> WebhookEnvelope:
    """One endpoint; a disabled one says why (`disabledReason`)."""
    row = webhooks.get_endpoint(session, user_id=user.id, endpoint_id=str(webhook_id))
    return WebhookEnvelope(webhook=WebhookOut.of(row))


@router.patch("/{webhook_id}", response_model=WebhookEnvelope, responses=error_responses(400, 404))
async def update_webhook(
    webhook_id: WebhookId,
    body: WebhookUpdate,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
) -> WebhookEnvelope:
    """Change the URL, events, description, or enable a disabled endpoint again."""
    url = await checked_url(body.url, settings) if body.url is not None else None
    row = webhooks.update_endpoint(
        session, user_id=user.id, endpoint_id=str(webhook_id), url=url,
        events=list(body.events) if body.events is not None else None,
        description=body.description, enabled=body.enabled,
    )  # fmt: skip
    return WebhookEnvelope(webhook=WebhookOut.of(row))


@router.delete("/{webhook_id}", status_code=status.HTTP_204_NO_CONTENT, responses=ONE)
def delete_webhook(webhook_id: WebhookId, user: CurrentUser, session: SessionDep) -> Response:
    """Remove the endpoint and its delivery history."""
    webhooks.delete_endpoint(session, user_id=user.id, endpoint_id=str(webhook_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{webhook_id}/rotate-secret", response_model=WebhookWithSecret, responses=ONE)
def rotate_secret(
    webhook_id: WebhookId, user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> WebhookWithSecret:
    """A new secret; deliveries carry a signature with the old one too for 24 h."""
    row, secret = webhooks.rotate_secret(
        session, settings, user_id=user.id, endpoint_id=str(webhook_id)
    )
    return WebhookWithSecret(**WebhookOut.of(row).model_dump(), secret=secret)


@router.post(
    "/{webhook_id}/test", status_code=status.HTTP_202_ACCEPTED, response_model=DeliveryEnvelope,
    responses=ONE,
)  # fmt: skip
def test_webhook(webhook_id: WebhookId, user: CurrentUser, session: SessionDep) -> DeliveryEnvelope:
    """Send a `test` event to this endpoint now; follow it in its deliveries."""
    delivery = webhooks.send_test(session, user_id=user.id, endpoint_id=str(webhook_id))
    return DeliveryEnvelope(delivery=DeliveryOut.of(delivery, "test"))


@router.get("/{webhook_id}/deliveries", response_model=DeliveryList, responses=ONE)
def list_deliveries(
    webhook_id: WebhookId,
    user: CurrentUser,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> DeliveryList:
    """Deliveries newest first, each with every attempt: answer, duration, error, next retry."""
    rows = webhooks.list_deliveries(
        session, user_id=user.id, endpoint_id=str(webhook_id), limit=limit
    )
    return DeliveryList(deliveries=[DeliveryOut.of(d, t, a) for d, t, a in rows])


@router.post(
    "/{webhook_id}/deliveries/{delivery_id}/redeliver", status_code=status.HTTP_202_ACCEPTED,
    response_model=DeliveryEnvelope, responses=ONE,
)  # fmt: skip
def redeliver(
    webhook_id: WebhookId, delivery_id: DeliveryId, user: CurrentUser, session: SessionDep
) -> DeliveryEnvelope:
    """Deliver the same event (same id and body) again, as a new delivery."""
    delivery, event_type = webhooks.redeliver(
        session, user_id=user.id, endpoint_id=str(webhook_id), delivery_id=str(delivery_id)
    )
    return DeliveryEnvelope(delivery=DeliveryOut.of(delivery, event_type))


__all__ = ["router"]
