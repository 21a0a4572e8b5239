"""The audit over HTTP: a site's current issues, and a crawl's full report.

    GET /api/sites/{siteId}/issues?severity=&check=   the latest audited crawl's issues
    GET /api/crawls/{jobId}/report[?format=csv]       one crawl's report (jobId = flow run id)

A user sees their own sites and crawls, the admin secret every one; anything else is a
404, the same as an unknown id, so that ids cannot be probed.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from seology.api.deps import Caller, CallerDep, SessionDep
from seology.api.schemas.audit import CheckCount, CrawlReport, IssueOut, SiteIssues
from seology.api.schemas.common import (
    ERROR_RESPONSES,
    NOT_FOUND,
    JobId,
    Offset,
    SiteId,
    error_responses,
)
from seology.audit.registry import CHECKS
from seology.core.errors import InvalidInput, NotFound
from seology.jobs.queue import parse_job_id
from seology.store import sites
from seology.store.models import Crawl, Issue

router = APIRouter(prefix="/api", tags=["audit"], responses=ERROR_RESPONSES)

SeverityParam = Annotated[
    Literal["error", "warning", "notice"] | None, Query(description="Only this severity")
]
CheckParam = Annotated[str | None, Query(max_length=80, description="Only this check id")]
CSV_COLUMNS = ("check_id", "severity", "url", "detail")
MAX_ISSUES = 50_000


@router.get(
    "/sites/{site_id}/issues",
    response_model=SiteIssues,
    # 400: a check id the registry does not know (the schema cannot list them all).
    responses={**NOT_FOUND, **error_responses(400)},
)
def site_issues(
    site_id: SiteId,
    caller: CallerDep,
    session: SessionDep,
    severity: SeverityParam = None,
    check: CheckParam = None,
    limit: Annotated[int, Query(ge=1, le=MAX_ISSUES)] = 1000,
    offset: Offset = 0,
) -> SiteIssues:
    """Issues of the site's latest completed crawl, filtered by severity and check id."""
    if check is not None and check not in CHECKS:
        raise InvalidInput(f"Unknown check id {check!r}; see docs/audit-checks.md for the ids.")
    _site_of(caller, session, site_id)
    crawl = _latest_crawl(session, site_id)
    query = _issue_query(crawl.id, severity, check)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    found = session.scalars(query.limit(limit).offset(offset))
    return SiteIssues(
        site_id=site_id,
        crawl_id=crawl.id,
        job_id=crawl.flow_run_id,
        finished_at=crawl.finished_at,
        health_score=crawl.health_score,
        total=total,
        issues=[_issue_out(issue) for issue in found],
    )


@router.get(
    "/crawls/{job_id}/report",
    response_model=CrawlReport,
    responses={**NOT_FOUND, 200: {"content": {"text/csv": {}}, "description": "JSON or CSV"}},
)
def crawl_report(
    job_id: JobId,
    caller: CallerDep,
    session: SessionDep,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> CrawlReport | Response:
    """The crawl's audit: score, counts per check, and every issue (JSON or CSV)."""
    crawl = _owned_crawl(caller, session, str(parse_job_id(job_id)))
    issues = list(session.scalars(_issue_query(crawl.id, None, None)))
    if format == "csv":
        return _csv_response(crawl, issues)
    return _report(crawl, issues)


def _site_of(caller: Caller, session: Session, site_id: int) -> None:
    """404 unless the caller owns the site (the admin owns every one)."""
    if caller.user is None:
        sites.get_site_any(session=session, site_id=site_id)
    else:
        sites.get_site(session=session, user_id=caller.user.id, site_id=site_id)


def _latest_crawl(session: Session, site_id: int) -> Crawl:
    crawl = session.scalars(
        select(Crawl)
        .where(Crawl.site_id == site_id, Crawl.status == "completed")
        .order_by(Crawl.finished_at.desc(), Crawl.id.desc())
        .limit(1)
    ).first()
    if crawl is None:
        raise NotFound(f"Site {site_id} has no completed crawl yet.")
    return crawl


def _owned_crawl(caller: Caller, session: Session, flow_run_id: str) -> Crawl:
    crawl = session.scalars(select(Crawl).where(Crawl.flow_run_id == flow_run_id)).first()
    if crawl is None or (caller.user is not None and crawl.user_id != caller.user.id):
        raise NotFound(f"No crawl for job {flow_run_id}.")
    return crawl


def _issue_query(crawl_id: int, severity: str | None, check: str | None) -> Any:
    query = select(Issue).where(Issue.crawl_id == crawl_id)
    if severity is not None:
        query = query.where(Issue.severity == severity)
    if check is not None:
        query = query.where(Issue.check_id == check)
    return query.order_by(Issue.check_id, Issue.url, Issue.id)


def _issue_out(issue: Issue) -> IssueOut:
    return IssueOut(
        check_id=issue.check_id, severity=issue.severity, url=issue.url, detail=issue.detail or {}
    )


def _check_counts(issues: list[Issue]) -> list[CheckCount]:
    """Checks that fired, most issues first."""
    counts: dict[str, int] = {}
    for issue in issues:
        counts[issue.check_id] = counts.get(issue.check_id, 0) + 1
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [_check_count(check_id, count) for check_id, count in ranked]


def _check_count(check_id: str, count: int) -> CheckCount:
    info = CHECKS.get(check_id)
    return CheckCount(
        check_id=check_id,
        severity=info.severity if info else "notice",
        count=count,
        summary=info.summary if info else "",
        fix=info.fix if info else "",
    )


def _report(crawl: Crawl, issues: list[Issue]) -> CrawlReport:
    return CrawlReport(
        job_id=crawl.flow_run_id,
        crawl_id=crawl.id,
        site_id=crawl.site_id,
        start_url=crawl.start_url,
        status=crawl.status,
        started_at=crawl.started_at,
        finished_at=crawl.finished_at,
        health_score=crawl.health_score,
        summary=crawl.summary or {},
        checks=_check_counts(issues),
        issues=[_issue_out(issue) for issue in issues],
    )


def _csv_response(crawl: Crawl, issues: list[Issue]) -> Response:
    """One row per issue; `detail` as compact JSON."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for issue in issues:
        detail = json.dumps(issue.detail or {}, separators=(",", ":"), sort_keys=True)
        writer.writerow((issue.check_id, issue.severity, issue.url, detail))
    filename = f"seo-report-{crawl.flow_run_id}.csv"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    return Response(buffer.getvalue(), media_type="text/csv", headers=headers)
