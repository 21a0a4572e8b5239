"""How Prefect flow runs become jobs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from seology.core.job_model import JobStatus, iso_utc, job_status, job_tags, tag_value


@pytest.mark.parametrize(
    ("state_type", "status"),
    [
        ("SCHEDULED", JobStatus.PENDING),  # includes Late
        ("PENDING", JobStatus.PENDING),
        ("RUNNING", JobStatus.PROCESSING),
        ("CANCELLING", JobStatus.PROCESSING),  # still running until the worker stops it
        ("PAUSED", JobStatus.PROCESSING),
        ("COMPLETED", JobStatus.COMPLETED),
        ("FAILED", JobStatus.FAILED),
        ("CRASHED", JobStatus.FAILED),  # the worker died: a failure to the user
        ("CANCELLED", JobStatus.CANCELLED),
        (None, JobStatus.PENDING),  # a run not yet given a state
    ],
)
def test_state_types_map_to_statuses(state_type, status):
    """Every Prefect state type has the job status of docs/design.md §4."""
    assert job_status(state_type) is status


def test_tags_carry_owner_and_kind():
    """The tags a job is enqueued with give back its owner, site, type and priority."""
    tags = job_tags(job_type="crawl", user_id=7, site_id=3, priority=9)
    assert tag_value(tags, "user") == "7"
    assert tag_value(tags, "site") == "3"
    assert tag_value(tags, "type") == "crawl"
    assert tag_value(tags, "priority") == "9"
    assert tag_value(tags, "missing") is None


def test_times_are_utc_with_z():
    """API times are ISO 8601 in UTC with a Z, whatever zone they came in."""
    from datetime import timedelta, timezone

    paris = timezone(timedelta(hours=1))
    assert iso_utc(datetime(2026, 1, 1, 13, 0, tzinfo=paris)) == "2026-01-01T12:00:00.000Z"
    assert iso_utc(datetime(2026, 1, 1, tzinfo=UTC)) == "2026-01-01T00:00:00.000Z"
    assert iso_utc(None) is None
