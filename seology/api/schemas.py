"""The JSON shapes of the job API: camelCase on the wire, snake_case in Python.

Every model accepts both spellings on input (`monitoringEnabled` or
`monitoring_enabled`) and writes camelCase. Times are ISO 8601 in UTC with a `Z` and
millisecond precision, as JavaScript's `Date.toJSON()` writes them, so that clients of
the original system parse them unchanged.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field, PlainSerializer
from pydantic.alias_generators import to_camel

from seology.core.job_model import Job
from seology.store.models import Site


def iso_utc(value: datetime) -> str:
    """`2026-01-31T23:59:59.123Z`: UTC, `Z` suffix, milliseconds."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


Timestamp = Annotated[datetime, PlainSerializer(iso_utc, return_type=str, when_used="json")]

# A str, validated by `seology.jobs.queue.parse_job_id` (422 `invalid_job_id`, the same answer
# as the job routes give); the format tells clients (and schemathesis) that anything but
# a UUID is malformed.
JobId = Annotated[
    str,
    Path(
        description="The job's id: its Prefect flow run UUID.", json_schema_extra={"format": "uuid"}
    ),
]


class ApiModel(BaseModel):
    """Base of every request and response body."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class ErrorDetail(ApiModel):
    code: str = Field(examples=["not_found"])
    message: str = Field(examples=["No site with id 42."])


class ErrorBody(ApiModel):
    """Every error response: `{"error": {"code", "message"}}`."""

    error: ErrorDetail


class SiteCreate(ApiModel):
    url: str = Field(examples=["https://example.com/"])
    name: str | None = Field(None, examples=["Example"])


class SiteUpdate(ApiModel):
    # Strict: lax pydantic took `0`, `"no"` or `"off"` for a boolean the schema
    # declares as `true`/`false` (found by schemathesis).
    monitoring_enabled: bool = Field(strict=True)


class SiteOut(ApiModel):
    id: int
    url: str
    name: str
    monitoring_enabled: bool
    created_at: Timestamp

    @classmethod
    def of(cls, site: Site) -> SiteOut:
        """The public view of a `Site` row (`user_id` stays internal)."""
        return cls(
            id=site.id,
            url=site.url,
            name=site.name,
            monitoring_enabled=site.monitoring_enabled,
            created_at=site.created_at,
        )


class SiteEnvelope(ApiModel):
    site: SiteOut


class SiteList(ApiModel):
    sites: list[SiteOut]


class Health(ApiModel):
    """Each component is `"ok"` or what went wrong with it."""

    status: Literal["ok", "degraded"]
    prefect: str
    database: str


class JobEnvelope(ApiModel):
    """`{"job": {...}}`: one job, as the status, cancel and retry routes answer."""

    job: Job


class JobList(ApiModel):
    jobs: list[Job]


class JobCounts(ApiModel):
    pending: int
    processing: int
    completed: int
    failed: int
    cancelled: int
    total: int


class TypeStats(JobCounts):
    avg_duration_seconds: float | None = Field(
        description="Mean run time of the latest completed jobs of this type"
    )


class JobStats(JobCounts):
    """Counts by status, overall and per job type (`GET /api/jobs/stats`)."""

    by_type: dict[str, TypeStats]


# The error responses every route may give, for the OpenAPI document.
ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    401: {"model": ErrorBody, "description": "No token, or a token we do not know"},
    422: {"model": ErrorBody, "description": "The request does not validate"},
}

#: What each error status means in this API (DESIGN.md §5), for `error_responses`.
ERROR_DESCRIPTIONS: dict[int, str] = {
    400: "A body that is not JSON, or input the schema cannot express",
    401: "No token, or a token we do not know",
    403: "Not allowed for this caller (admin-only, or the admin where a user is needed)",
    404: "Unknown id, or another user's",
    409: "The job's state forbids the operation",
    422: "The request does not validate",
    503: "The Prefect API or the app database is unreachable; try again shortly",
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, object]]:
    """OpenAPI `responses=` entries in the error shape for `statuses`.

    Declaring every status a route can answer keeps the document honest: clients
    generated from it (and schemathesis, tests/e2e/test_api_schema.py) expect no others.
    """
    return {
        status: {"model": ErrorBody, "description": ERROR_DESCRIPTIONS[status]}
        for status in statuses
    }
