"""What every area's schemas share: times, ids, the error shape and its OpenAPI entries.

Every model is a `CamelModel` (camelCase on the wire, snake_case in Python; both accepted
on input). Times are ISO 8601 in UTC with a `Z` and millisecond precision, as
JavaScript's `Date.toJSON()` writes them, so that clients of the original system parse
them unchanged.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Path
from pydantic import ConfigDict, Field, PlainSerializer

from seology.core.models import CamelModel


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


# Our ids are 32-bit integers (PostgreSQL `integer`): anything else is malformed (422).
SiteId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The site's id")]
RowId = Annotated[int, Path(ge=1, le=2**31 - 1)]


class RequestModel(CamelModel):
    """Base of every request body: a field we do not know is refused, not ignored."""

    model_config = ConfigDict(extra="forbid")


class ErrorDetail(CamelModel):
    code: str = Field(examples=["not_found"])
    message: str = Field(examples=["No site with id 42."])


class ErrorBody(CamelModel):
    """Every error response: `{"error": {"code", "message"}}`."""

    error: ErrorDetail


# The error responses every route may give, for the OpenAPI document.
ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    401: {"model": ErrorBody, "description": "No token, or a token we do not know"},
    422: {"model": ErrorBody, "description": "The request does not validate"},
}

#: What each error status means in this API (docs/design.md §5), for `error_responses`.
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


NOT_FOUND = {404: {"model": ErrorBody, "description": "Unknown, or another user's"}}
