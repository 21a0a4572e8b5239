"""What happens after a failed delivery attempt: a decision returned as data.

Retries back off exponentially with full jitter (a random delay between half and all
of the doubled wait) so that a receiver coming back after an outage is not hit by
every delivery at the same second. A delivery stops being retried once its retry
window (counted from the event) has passed; an endpoint whose every attempt has failed
for `disable_after` seconds is disabled, and its owner is told why.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

JOB_EVENTS = ("job.completed", "job.failed", "job.cancelled")
SITE_EVENTS = ("site.new_errors", "site.health_dropped", "site.unreachable", "site.recovered")
#: Sent on demand (`POST /api/webhooks/{id}/test`), to the one endpoint asked.
TEST_EVENT = "test"
EVENT_TYPES = (*JOB_EVENTS, *SITE_EVENTS)


@dataclass(frozen=True, kw_only=True)
class RetryPolicy:
    """The retry rules, in seconds (settings `SEOLOGY_WEBHOOK_*`)."""

    base_delay: float
    max_delay: float
    window: float
    disable_after: float


@dataclass(frozen=True, kw_only=True)
class FailureDecision:
    """After a failed attempt: when to try again (None: give up), and whether the
    endpoint has now failed long enough to be disabled."""

    next_attempt_at: datetime | None
    disable_endpoint: bool


def retry_delay(
    attempt: int, policy: RetryPolicy, rand: Callable[[], float] = random.random
) -> float:
    """Seconds before attempt `attempt + 1`: base × 2^(attempt-1), capped, jittered to
    between half and all of it."""
    full = min(policy.max_delay, policy.base_delay * 2 ** max(attempt - 1, 0))
    return full * (0.5 + rand() / 2)


def after_failure(
    *,
    attempt: int,
    event_created_at: datetime,
    failing_since: datetime,
    now: datetime,
    policy: RetryPolicy,
    rand: Callable[[], float] = random.random,
) -> FailureDecision:
    """Retry while the next attempt falls inside the window; disable the endpoint once
    it has failed every attempt for `disable_after` seconds."""
    disable = now - failing_since >= timedelta(seconds=policy.disable_after)
    next_at = now + timedelta(seconds=retry_delay(attempt, policy, rand))
    if disable or next_at > event_created_at + timedelta(seconds=policy.window):
        return FailureDecision(next_attempt_at=None, disable_endpoint=disable)
    return FailureDecision(next_attempt_at=next_at, disable_endpoint=False)
