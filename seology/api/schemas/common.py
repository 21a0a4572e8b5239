"""What every area's schemas share: times, ids, the error shape and its OpenAPI entries.

Every model is a `CamelModel` (camelCase on the wire, snake_case in Python; both accepted
on input). Times are ISO 8601 in UTC with a `Z` and millisecond precision, as
JavaScript's `Date.toJSON()` writes them, so that clients of the original system parse
them unchanged.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Path, Query
from pydantic import ConfigDict, Field, PlainSerializer, model_validator

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
MAX_ID = 2**31 - 1
SiteId = Annotated[int, Path(ge=1, le=MAX_ID, description="The site's id")]
RowId = Annotated[int, Path(ge=1, le=MAX_ID)]
#: A body's id field: the same bound as in a path.
BodyId = Annotated[int, Field(ge=1, le=MAX_ID)]
#: Where a listing starts; bounded like an id (databases and Prefect refuse 2^63 with a 500).
Offset = Annotated[int, Query(ge=0, le=MAX_ID, description="Items to skip")]


class RequestModel(CamelModel):
    """Base of every request body: strict, closed, and storable.

    - A field we do not know is refused, not ignored (PATCH included).
    - Strict types: `true` is not 1 and `"10"` is not 10 (lax pydantic took both); a
      JSON number with no fraction (`1.0`) is the integer it is, as JSON Schema says.
    - Every string must encode as UTF-8: JSON can spell a lone UTF-16 surrogate
      (`"\\ud800"`), which Python keeps and no database or JSON encoder takes.
    """

    model_config = ConfigDict(extra="forbid", strict=True)

    @model_validator(mode="before")
    @classmethod
    def _integral_numbers(cls, data: object) -> object:
        """`1.0` is the integer 1 in JSON (and in JSON Schema); `1.5` is not, nor `true`."""
        if not isinstance(data, dict):
            return data
        return {
            key: int(value) if type(value) is float and value.is_integer() else value
            for key, value in data.items()
        }

    @model_validator(mode="after")
    def _encodable(self) -> RequestModel:
        for name, value in self:
            if isinstance(value, str) and not _encodable(value):
                msg = f"{name} is not valid Unicode text (it holds a lone surrogate)"
                raise ValueError(msg)
        return self


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


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
    413: "The request body is larger than the API takes (SEOLOGY_API_MAX_BODY_BYTES)",
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
