"""Signing, verifying, and the retry decisions of webhook deliveries (pure functions)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from seology.core.webhook_policy import RetryPolicy, after_failure, retry_delay
from seology.core.webhook_signing import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    new_secret,
    signature,
    signed_headers,
)
from seology.webhooks import WebhookVerificationError, verify

BODY = json.dumps({"id": "evt_1", "type": "test", "createdAt": "x", "data": {}}).encode()
NOW = 1_800_000_000


class TestVerify:
    def test_accepts_its_own_signature(self) -> None:
        """A body signed with the secret verifies and comes back parsed."""
        secret = new_secret()
        headers = signed_headers(BODY, [secret], event_id="evt_1", event_type="test", timestamp=NOW)
        assert verify(BODY, headers, secret, now=NOW)["id"] == "evt_1"

    def test_signature_is_hmac_over_timestamp_dot_body(self) -> None:
        """The documented recipe: HMAC-SHA256(secret, f"{timestamp}.{body}") in hex."""
        import hashlib
        import hmac

        expected = hmac.new(b"k", f"{NOW}.".encode() + BODY, hashlib.sha256).hexdigest()
        assert signature("k", NOW, BODY) == expected

    def test_headers_in_any_case(self) -> None:
        """Frameworks lowercase header names; verify does not care."""
        headers = signed_headers(BODY, ["s"], event_id="e", event_type="t", timestamp=NOW)
        lowered = {key.lower(): value for key, value in headers.items()}
        assert verify(BODY, lowered, "s", now=NOW)

    @pytest.mark.parametrize(
        ("secret", "body", "now"),
        [
            ("other", BODY, NOW),  # wrong secret
            ("s", BODY + b" ", NOW),  # body changed
            ("s", BODY, NOW + 301),  # too old: a replay
            ("s", BODY, NOW - 301),  # from the future
        ],
    )
    def test_refuses(self, secret: str, body: bytes, now: int) -> None:
        """Anything but the signed body, with its secret, within the tolerance, fails."""
        headers = signed_headers(BODY, ["s"], event_id="e", event_type="t", timestamp=NOW)
        with pytest.raises(WebhookVerificationError):
            verify(body, headers, secret, now=now)

    def test_missing_headers(self) -> None:
        with pytest.raises(WebhookVerificationError, match=TIMESTAMP_HEADER):
            verify(BODY, {}, "s", now=NOW)
        with pytest.raises(WebhookVerificationError, match=SIGNATURE_HEADER):
            verify(BODY, {TIMESTAMP_HEADER: str(NOW)}, "s", now=NOW)

    def test_rotation_signs_with_both(self) -> None:
        """During a rotation either the old or the new secret verifies."""
        headers = signed_headers(BODY, ["new", "old"], event_id="e", event_type="t", timestamp=NOW)
        assert verify(BODY, headers, "old", now=NOW)
        assert verify(BODY, headers, "new", now=NOW)
        assert verify(BODY, headers, ["x", "new"], now=NOW)


POLICY = RetryPolicy(base_delay=10, max_delay=3600, window=86_400, disable_after=3 * 86_400)
T0 = datetime(2026, 1, 1, tzinfo=UTC)


class TestRetryPolicy:
    @pytest.mark.parametrize(
        ("attempt", "rand", "seconds"),
        [
            (1, 1.0, 10),  # the base, no jitter taken off
            (1, 0.0, 5),  # full jitter takes off at most half
            (3, 1.0, 40),  # doubling
            (20, 1.0, 3600),  # capped
        ],
    )
    def test_delay(self, attempt: int, rand: float, seconds: float) -> None:
        assert retry_delay(attempt, POLICY, lambda: rand) == seconds

    def test_retries_inside_the_window(self) -> None:
        decision = after_failure(
            attempt=1, event_created_at=T0, failing_since=T0, now=T0, policy=POLICY
        )
        assert decision.next_attempt_at is not None
        assert not decision.disable_endpoint

    def test_gives_up_past_the_window(self) -> None:
        """The window counts from the event: an attempt near its end is the last."""
        now = T0 + timedelta(seconds=86_399)
        decision = after_failure(
            attempt=30, event_created_at=T0, failing_since=now, now=now, policy=POLICY
        )
        assert decision.next_attempt_at is None
        assert not decision.disable_endpoint

    def test_disables_after_failing_for_days(self) -> None:
        """Three days of nothing but failures disables the endpoint."""
        now = T0 + timedelta(days=3)
        decision = after_failure(
            attempt=2, event_created_at=now, failing_since=T0, now=now, policy=POLICY
        )
        assert decision.disable_endpoint
        assert decision.next_attempt_at is None
