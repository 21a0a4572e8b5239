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


def facts(status: str = "completed", score: float | None = 90.0, error: str | None = None):
    from seology.store.site_events import CrawlFacts

    return CrawlFacts(crawl_id=1, job_id="j", status=status, health_score=score, error=error)


DOWN = "SiteUnreachable: http://x/ could not be fetched: ConnectError"


class TestSiteEvents:
    def test_new_errors_only_error_level(self) -> None:
        """Warnings and notices do not count; errors are counted by check, with examples."""
        from seology.store.site_events import decide_after_completed

        issues = [
            {"checkId": "http.5xx", "severity": "error", "url": "/a"},
            {"checkId": "title.missing", "severity": "error", "url": "/b"},
            {"checkId": "title.too_long", "severity": "warning", "url": "/c"},
        ]
        [(kind, data)] = decide_after_completed(facts(), facts(), issues, drop_points=10)
        assert kind == "site.new_errors"
        assert data["count"] == 2
        assert data["byCheck"] == {"http.5xx": 1, "title.missing": 1}

    @pytest.mark.parametrize(
        ("before", "after", "raised"),
        [
            (90.0, 80.0, True),  # exactly the setting's points
            (90.0, 80.5, False),  # less
            (None, 50.0, False),  # no previous score
        ],
    )
    def test_health_drop(self, before: float | None, after: float, raised: bool) -> None:
        from seology.store.site_events import decide_after_completed

        found = decide_after_completed(facts(score=after), facts(score=before), [], drop_points=10)
        assert ("site.health_dropped" in dict(found)) is raised

    def test_unreachable_once_then_recovered(self) -> None:
        """Down after up: unreachable; down after down: nothing; up after down: recovered."""
        from seology.store.site_events import decide_after_completed, decide_after_failed

        down = facts("failed", None, DOWN)
        assert decide_after_failed(down, facts())
        assert not decide_after_failed(down, down)
        assert not decide_after_failed(facts("failed", None, "ValueError: boom"), facts())
        found = decide_after_completed(facts(), down, [], drop_points=10)
        assert [kind for kind, _ in found] == ["site.recovered"]
