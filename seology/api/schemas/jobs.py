"""`/api/jobs`: enqueue requests and answers, one job, lists and counts, cleanup."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from seology.api.schemas.common import BodyId, RequestModel
from seology.api.schemas.webhooks import HTTP_URL_PATTERN
from seology.core.job_model import Job
from seology.core.models import CamelModel

MAX_PAGES_LIMIT = 10_000


CallbackUrl = Annotated[
    str | None,
    Field(
        max_length=2048,
        pattern=HTTP_URL_PATTERN,
        description="Called once, signed, when the job reaches a final state "
        "(docs/webhooks.md); the answer holds `callbackSecret`.",
    ),
]


class CrawlRequest(RequestModel):
    site_id: BodyId
    max_pages: int = Field(10, ge=1, le=MAX_PAGES_LIMIT)
    priority: int = Field(5, ge=1, le=10)
    callback_url: CallbackUrl = None
    render: Literal["auto", "always", "never"] = Field(
        "auto",
        description="`auto`: render the pages whose HTML looks client-rendered; "
        "`always`: render every page in headless Chromium; `never`: raw HTML only.",
    )


class AnalysisRequest(RequestModel):
    site_id: BodyId
    priority: int = Field(5, ge=1, le=10)
    callback_url: CallbackUrl = None


class EnqueueResponse(CamelModel):
    success: bool = True
    job_id: str
    status_url: str
    deduplicated: bool = False
    callback_secret: str | None = Field(
        None, description="With `callbackUrl` only: the key of its signatures, shown once"
    )


class JobEnvelope(CamelModel):
    """`{"job": {...}}`: one job, as the status, cancel and retry routes answer."""

    job: Job


class JobList(CamelModel):
    jobs: list[Job]


class JobCounts(CamelModel):
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


class CleanupRequest(RequestModel):
    days_old: int = Field(ge=1, le=36_500, description="Delete finished jobs older than this.")


class Cleanup(CamelModel):
    """How many finished jobs `POST /api/jobs/cleanup` deleted."""

    deleted: int
