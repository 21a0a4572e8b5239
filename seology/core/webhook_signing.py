"""Signing webhook deliveries, and checking a signature on the receiving side.

Pure functions of bytes and strings, with no I/O: the sender (our delivery task) and
any receiver (`seology.webhooks.verify`, or the snippet in docs/webhooks.md) share
them. A delivery carries three headers:

- `Seology-Event-Id`: the event's id, the same on every attempt and redelivery, for
  the receiver to drop duplicates (delivery is at least once);
- `Seology-Timestamp`: Unix seconds when this attempt was signed;
- `Seology-Signature`: `v1=<hex>` per secret in use, comma-separated, where `<hex>` is
  HMAC-SHA256 over `<timestamp>.<body>` keyed with the endpoint's secret. While a
  rotated secret is still valid both signatures are sent, so either secret verifies.

Signing the timestamp with the body lets a receiver refuse a replay of an old
delivery (`tolerance`); comparing in constant time keeps the signature from leaking.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Iterable, Mapping
from typing import Any

EVENT_ID_HEADER = "Seology-Event-Id"
EVENT_TYPE_HEADER = "Seology-Event"
TIMESTAMP_HEADER = "Seology-Timestamp"
SIGNATURE_HEADER = "Seology-Signature"
SIGNATURE_SCHEME = "v1"
SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, not a secret
#: Seconds a signed timestamp may differ from the receiver's clock (replay window).
DEFAULT_TOLERANCE_SECONDS = 300


class WebhookVerificationError(ValueError):
    """The delivery's signature is missing, malformed, too old, or does not match."""


def new_secret() -> str:
    """A fresh signing secret: `whsec_` and 32 random bytes, URL-safe base64."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """HMAC-SHA256 of `<timestamp>.<body>` keyed with the secret's UTF-8 bytes, in hex."""
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signed_headers(
    body: bytes,
    secrets_in_use: Iterable[str],
    *,
    event_id: str,
    event_type: str,
    timestamp: int | None = None,
) -> dict[str, str]:
    """The headers of one delivery attempt: one `v1=` signature per secret in use."""
    stamp = int(time.time()) if timestamp is None else timestamp
    signatures = ", ".join(
        f"{SIGNATURE_SCHEME}={signature(secret, stamp, body)}" for secret in secrets_in_use
    )
    return {
        "Content-Type": "application/json",
        EVENT_ID_HEADER: event_id,
        EVENT_TYPE_HEADER: event_type,
        TIMESTAMP_HEADER: str(stamp),
        SIGNATURE_HEADER: signatures,
    }


def verify(
    body: bytes | str,
    headers: Mapping[str, str],
    secret: str | Iterable[str],
    *,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> dict[str, Any]:
    """Check a delivery's signature and return its parsed JSON body.

    `headers` as received (any letter case); `secret` one secret, or several (yours,
    during a rotation). Raises `WebhookVerificationError` unless one `v1` signature
    matches one secret and the timestamp is within `tolerance` seconds of `now`.
    Pass the body exactly as received: re-serialised JSON would not match.
    """
    raw = body.encode() if isinstance(body, str) else body
    lowered = {key.lower(): value for key, value in headers.items()}
    timestamp = _timestamp(lowered.get(TIMESTAMP_HEADER.lower()))
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        raise WebhookVerificationError(
            f"The timestamp {timestamp} is more than {tolerance} s from now: a replay?"
        )
    candidates = _signatures(lowered.get(SIGNATURE_HEADER.lower()))
    keys = [secret] if isinstance(secret, str) else list(secret)
    expected = [signature(key, timestamp, raw) for key in keys]
    if not any(hmac.compare_digest(e, c) for e in expected for c in candidates):
        raise WebhookVerificationError("No signature matches the secret.")
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise WebhookVerificationError(f"The body is not JSON: {exc}") from exc


def _timestamp(value: str | None) -> int:
    if not value:
        raise WebhookVerificationError(f"No {TIMESTAMP_HEADER} header.")
    try:
        return int(value)
    except ValueError as exc:
        raise WebhookVerificationError(f"{TIMESTAMP_HEADER} is not an integer.") from exc


def _signatures(value: str | None) -> list[str]:
    if not value:
        raise WebhookVerificationError(f"No {SIGNATURE_HEADER} header.")
    found = []
    for part in value.split(","):
        scheme, _, digest = part.strip().partition("=")
        if scheme == SIGNATURE_SCHEME and digest:
            found.append(digest)
    if not found:
        raise WebhookVerificationError(f"No {SIGNATURE_SCHEME}= signature in {SIGNATURE_HEADER}.")
    return found
