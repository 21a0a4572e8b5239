"""Receiving Seology webhooks: check that a delivery is ours before acting on it.

    from seology.webhooks import verify

    event = verify(request_body, request_headers, secret)   # raises if not genuine
    if event["id"] not in seen: ...                            # at least once: dedupe

The signing rules live in `seology.core.webhook_signing`; docs/webhooks.md has the same
check in a few lines of plain Python for receivers that do not install us.
"""

from __future__ import annotations

from seology.core.webhook_signing import (
    EVENT_ID_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    WebhookVerificationError,
    verify,
)

__all__ = [
    "EVENT_ID_HEADER",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "WebhookVerificationError",
    "verify",
]
