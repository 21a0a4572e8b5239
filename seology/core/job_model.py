"""The public shape of a job, and how a Prefect flow run becomes one.

A job is a flow run of one of our deployments. Its status is the flow run's state type
mapped onto the five statuses of the original system (docs/design.md §4); who owns it and
what it is are read from the run's tags (`user:<id>`, `site:<id>`, `type:<kind>`,
`priority:<n>`), which the queue sets when it enqueues.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import Field, field_serializer

from seology.core.models import CamelModel


class JobStatus(StrEnum):
    PENDING = "PENDING"
    PROCESSING = "PROCESSING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


#: Prefect state type → job status (docs/design.md §4).
STATUS_BY_STATE_TYPE: dict[str, JobStatus] = {
    "SCHEDULED": JobStatus.PENDING,
    "PENDING": JobStatus.PENDING,
    "RUNNING": JobStatus.PROCESSING,
    "CANCELLING": JobStatus.PROCESSING,
    "PAUSED": JobStatus.PROCESSING,
    "COMPLETED": JobStatus.COMPLETED,
    "FAILED": JobStatus.FAILED,
    "CRASHED": JobStatus.FAILED,
    "CANCELLED": JobStatus.CANCELLED,
}

#: The state types of each job status, for filtering runs by status.
STATE_TYPES_BY_STATUS: dict[JobStatus, tuple[str, ...]] = {
    status: tuple(t for t, s in STATUS_BY_STATE_TYPE.items() if s is status) for status in JobStatus
}

TERMINAL_STATUSES = frozenset({JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED})
#: The Prefect state types of an ended job (COMPLETED, FAILED, CRASHED, CANCELLED).
TERMINAL_STATE_TYPES: tuple[str, ...] = tuple(
    t for t, status in STATUS_BY_STATE_TYPE.items() if status in TERMINAL_STATUSES
)
WORKER_LOST = "worker lost"


def job_status(state_type: str | None) -> JobStatus:
    """The job status of a Prefect state type; a run without a state is still pending."""
    if state_type is None:
        return JobStatus.PENDING
    return STATUS_BY_STATE_TYPE[state_type.upper()]


def tag_value(tags: list[str], key: str) -> str | None:
    """The value of the `key:<value>` tag, if the run has one."""
    prefix = f"{key}:"
    for tag in tags:
        if tag.startswith(prefix):
            return tag[len(prefix) :]
    return None


def job_tags(*, job_type: str, user_id: int, site_id: int, priority: int) -> list[str]:
    return [
        "seology",
        f"type:{job_type}",
        f"user:{user_id}",
        f"site:{site_id}",
        f"priority:{priority}",
    ]


class Job(CamelModel):
    """A job as the API and the CLI show it (camelCase JSON, as in the original system)."""

    id: str
    type: str
    status: JobStatus
    state_name: str | None = None
    priority: int | None = None
    attempts: int = 0
    site_id: int | None = None
    user_id: int | None = None
    created_at: datetime | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None
    duration_seconds: float | None = None
    progress: float | None = Field(None, ge=0, le=100)
    result: dict[str, Any] | None = None
    error: str | None = None
    status_url: str

    @field_serializer("created_at", "started_at", "completed_at")
    def _utc_z(self, value: datetime | None) -> str | None:
        return iso_utc(value)


def iso_utc(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with a `Z`, the one time format of the API."""
    if value is None:
        return None
    from datetime import UTC

    text = value.astimezone(UTC).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


def status_url(job_id: str) -> str:
    return f"/api/jobs/{job_id}/status"


@dataclass(frozen=True, kw_only=True)
class RecoveryDecision:
    action: Literal["reschedule", "fail", "ignore"]
    message: str


def recovery_decision(
    *, state_type: str | None, run_count: int, max_attempts: int, is_job: bool
) -> RecoveryDecision:
    """What to do with a run reported crashed (plain logic: tested without Prefect)."""
    if not is_job:
        return RecoveryDecision(action="ignore", message="not a Seology job")
    if state_type != "CRASHED":
        return RecoveryDecision(action="ignore", message=f"the run is {state_type}, not CRASHED")
    if run_count < max_attempts:
        return RecoveryDecision(
            action="reschedule",
            message=f"{WORKER_LOST}: attempt {run_count} of {max_attempts} crashed; running again",
        )
    return RecoveryDecision(
        action="fail", message=f"{WORKER_LOST}: {run_count} of {max_attempts} attempts crashed"
    )
