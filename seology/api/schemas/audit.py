"""The audit over HTTP: a site's current issues and a crawl's full report."""

from __future__ import annotations

from typing import Any

from seology.api.schemas.common import Timestamp
from seology.core.models import CamelModel


class IssueOut(CamelModel):
    check_id: str
    severity: str
    url: str
    detail: dict[str, Any]


class CheckCount(CamelModel):
    check_id: str
    severity: str
    count: int
    summary: str
    fix: str


class SiteIssues(CamelModel):
    site_id: int
    crawl_id: int
    job_id: str
    finished_at: Timestamp | None
    health_score: float | None
    total: int
    issues: list[IssueOut]


class CrawlReport(CamelModel):
    job_id: str
    crawl_id: int
    site_id: int
    start_url: str
    status: str
    started_at: Timestamp
    finished_at: Timestamp | None
    health_score: float | None
    summary: dict[str, Any]
    checks: list[CheckCount]
    issues: list[IssueOut]
