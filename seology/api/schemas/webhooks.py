"""`/api/webhooks`: endpoints, their deliveries and each delivery's attempts."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field

from seology.api.schemas.common import RequestModel, Timestamp
from seology.core.models import CamelModel
from seology.store.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

MAX_URL_LENGTH = 2048
#: What a JSON schema can say of a receiver's URL: http(s), a host, an optional port
#: and path. The target rules (no private address, DNS) are checked on top (400).
_PORT = r"(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4})"
HTTP_URL_PATTERN = rf"^https?://[A-Za-z0-9.-]+(:{_PORT})?(/[!-~]*)?$"

EventType = Literal[
    "job.completed", "job.failed", "job.cancelled",
    "site.new_errors", "site.health_dropped", "site.unreachable", "site.recovered",
]  # fmt: skip


class WebhookCreate(RequestModel):
    model_config = ConfigDict(strict=True)

    url: str = Field(
        max_length=MAX_URL_LENGTH,
        pattern=HTTP_URL_PATTERN,
        examples=["https://example.com/hooks/seology"],
    )
    events: list[EventType] = Field(min_length=1, max_length=20)
    description: str = Field("", max_length=500)


class WebhookUpdate(RequestModel):
    model_config = ConfigDict(strict=True)

    url: str | None = Field(None, max_length=MAX_URL_LENGTH, pattern=HTTP_URL_PATTERN)
    events: list[EventType] | None = Field(None, min_length=1, max_length=20)
    description: str | None = Field(None, max_length=500)
    enabled: bool | None = None


class WebhookOut(CamelModel):
    id: str
    url: str
    events: list[str]
    description: str
    enabled: bool
    disabled_at: Timestamp | None
    disabled_reason: str | None = Field(description="Why it was disabled, when it is")
    failing_since: Timestamp | None = Field(description="First failed attempt since a success")
    previous_secret_valid_until: Timestamp | None
    created_at: Timestamp

    @classmethod
    def of(cls, row: WebhookEndpoint) -> WebhookOut:
        return cls(
            id=row.id, url=row.url, events=list(row.events), description=row.description,
            enabled=row.enabled, disabled_at=row.disabled_at, disabled_reason=row.disabled_reason,
            failing_since=row.failing_since, previous_secret_valid_until=row.previous_secret_until,
            created_at=row.created_at,
        )  # fmt: skip


class WebhookWithSecret(WebhookOut):
    secret: str = Field(description="Shown once: keep it to verify signatures")


class WebhookEnvelope(CamelModel):
    webhook: WebhookOut


class WebhookList(CamelModel):
    webhooks: list[WebhookOut]


class AttemptOut(CamelModel):
    number: int
    started_at: Timestamp
    duration_ms: float | None
    status_code: int | None
    error: str | None
    next_retry_at: Timestamp | None

    @classmethod
    def of(cls, row: WebhookAttempt) -> AttemptOut:
        return cls(
            number=row.number, started_at=row.started_at, duration_ms=row.duration_ms,
            status_code=row.status_code, error=row.error, next_retry_at=row.next_retry_at,
        )  # fmt: skip


class DeliveryOut(CamelModel):
    id: str
    event_id: str
    event_type: str
    status: Literal["pending", "delivering", "succeeded", "failed"]
    attempts: int
    created_at: Timestamp
    delivered_at: Timestamp | None
    next_retry_at: Timestamp | None
    last_status_code: int | None
    last_error: str | None
    attempt_log: list[AttemptOut]

    @classmethod
    def of(
        cls, row: WebhookDelivery, event_type: str, attempts: list[WebhookAttempt] | None = None
    ) -> DeliveryOut:
        waiting = row.status == "pending"
        return cls(
            id=row.id, event_id=row.event_id, event_type=event_type, status=row.status,  # type: ignore[arg-type]
            attempts=row.attempts, created_at=row.created_at, delivered_at=row.delivered_at,
            next_retry_at=row.next_attempt_at if waiting else None,
            last_status_code=row.last_status_code, last_error=row.last_error,
            attempt_log=[AttemptOut.of(a) for a in attempts or []],
        )  # fmt: skip


class DeliveryEnvelope(CamelModel):
    delivery: DeliveryOut


class DeliveryList(CamelModel):
    deliveries: list[DeliveryOut]
