"""Monitoring over HTTP: what changed between crawls, and the monthly reports.

    GET /api/sites/{siteId}/changes[?crawlId=]   the latest change record (or one crawl's)
    GET /api/sites/{siteId}/reports              the site's monthly reports, newest first
    GET /api/reports/{reportId}                  one report
    GET /api/reports/{reportId}/chart.svg        its chart (image/svg+xml)

Reports in JSON leave out the SVG and link to it (`chartUrl`), so that a list of two
years of reports stays small. A user sees their own sites' records, the admin secret
every one; anything else is a 404, the same as an unknown id, so ids cannot be probed.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from seology.api.deps import Caller, CallerDep, SessionDep
from seology.api.schemas.common import ERROR_RESPONSES, NOT_FOUND, RowId
from seology.api.schemas.reports import ChangesOut, ReportEnvelope, ReportList, ReportOut
from seology.core.errors import NotFound
from seology.store import sites
from seology.store.models import Crawl, CrawlChange, Report

router = APIRouter(prefix="/api", tags=["monitoring"], responses=ERROR_RESPONSES)

SVG_RESPONSE = {200: {"content": {"image/svg+xml": {}}, "description": "The chart"}}
CHART_KEY = "chartSvg"
MAX_REPORTS = 120


@router.get("/sites/{site_id}/changes", response_model=ChangesOut, responses=NOT_FOUND)
def site_changes(
    site_id: RowId,
    caller: CallerDep,
    session: SessionDep,
    crawl_id: Annotated[int | None, Query(alias="crawlId", ge=1, le=2**31 - 1)] = None,
) -> ChangesOut:
    """What the site's latest compared crawl (or crawl `crawlId`) changed since the one before."""
    _check_site(caller, session, site_id)
    query = (
        select(CrawlChange, Crawl)
        .join(Crawl, Crawl.id == CrawlChange.crawl_id)
        .where(CrawlChange.site_id == site_id)
    )
    if crawl_id is not None:
        query = query.where(CrawlChange.crawl_id == crawl_id)
    found = session.execute(
        query.order_by(Crawl.finished_at.desc(), Crawl.id.desc()).limit(1)
    ).first()
    if found is None:
        raise NotFound(_no_changes_message(site_id, crawl_id))
    change, crawl = found
    return ChangesOut(
        site_id=site_id, crawl_id=crawl.id, job_id=crawl.flow_run_id,
        finished_at=crawl.finished_at, previous_crawl_id=change.previous_crawl_id,
        created_at=change.created_at, changes=change.changes,
    )  # fmt: skip


def _no_changes_message(site_id: int, crawl_id: int | None) -> str:
    if crawl_id is not None:
        return f"Site {site_id} has no change record for crawl {crawl_id}."
    return (
        f"Site {site_id} has no change record yet: changes are recorded from its second "
        "completed crawl on."
    )


@router.get("/sites/{site_id}/reports", response_model=ReportList, responses=NOT_FOUND)
def site_reports(
    site_id: RowId,
    caller: CallerDep,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=MAX_REPORTS)] = 24,
) -> ReportList:
    """The site's monthly reports, newest period first, without their charts."""
    _check_site(caller, session, site_id)
    found = session.scalars(
        select(Report).where(Report.site_id == site_id).order_by(Report.period.desc()).limit(limit)
    )
    return ReportList(reports=[_report_out(report) for report in found])


@router.get("/reports/{report_id}", response_model=ReportEnvelope, responses=NOT_FOUND)
def get_report(report_id: RowId, caller: CallerDep, session: SessionDep) -> ReportEnvelope:
    """One monthly report, without its chart."""
    return ReportEnvelope(report=_report_out(_owned_report(caller, session, report_id)))


@router.get(
    "/reports/{report_id}/chart.svg",
    response_class=Response,
    responses={**NOT_FOUND, **SVG_RESPONSE},
)
def report_chart(report_id: RowId, caller: CallerDep, session: SessionDep) -> Response:
    """The report's chart: health score and pages crawled per crawl of the month."""
    svg = _owned_report(caller, session, report_id).data.get(CHART_KEY)
    if not svg:
        raise NotFound(f"Report {report_id} has no chart (it predates charts).")
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "private"})


def _check_site(caller: Caller, session: Session, site_id: int) -> None:
    """404 unless the caller owns the site (the admin owns every one)."""
    if caller.user is None:
        sites.get_site_any(session=session, site_id=site_id)
    else:
        sites.get_site(session=session, user_id=caller.user.id, site_id=site_id)


def _owned_report(caller: Caller, session: Session, report_id: int) -> Report:
    report = session.get(Report, report_id)
    if report is None:
        raise NotFound(f"No report with id {report_id}.")
    try:
        _check_site(caller, session, report.site_id)
    except NotFound as exc:
        raise NotFound(f"No report with id {report_id}.") from exc
    return report


def _report_out(report: Report) -> ReportOut:
    data = {key: value for key, value in report.data.items() if key != CHART_KEY}
    has_chart = bool(report.data.get(CHART_KEY))
    return ReportOut(
        id=report.id,
        site_id=report.site_id,
        period=report.period,
        job_id=report.flow_run_id,
        created_at=report.created_at,
        chart_url=f"/api/reports/{report.id}/chart.svg" if has_chart else None,
        data=data,
    )
