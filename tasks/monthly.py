"""The Prefect tasks of the monthly-report flow (flows/monthly.py).

Each wraps one step that does I/O (the app database, the Prefect API, an artifact) so
that it is retried on its own and has its own row in the UI; the work itself is in the
plain functions of the other modules. The task names are what the UI and the run
history know them by: keep them.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from prefect import task
from prefect.artifacts import create_markdown_artifact

from seology.core.logs import get_logger
from seology.reports.jobs import job_numbers, jobs_frame
from seology.reports.markdown import report_markdown
from seology.reports.report import SiteReport
from seology.store.engine import flow_engine
from seology.store.monthly import monthly_reports, save_reports
from seology.store.usage import open_usage_period, period_bounds
from tasks.artifacts import artifact_key

if TYPE_CHECKING:
    from datetime import datetime


@task(name="compute-monthly-reports", retries=2, retry_delay_seconds=5)
def compute_monthly_reports(period: str, tz: str) -> list[SiteReport]:
    reports = monthly_reports(flow_engine(), period=period, tz=tz)
    get_logger().info(
        f"computed {len(reports)} site reports (action=compute_reports period={period})"
    )
    return reports


@task(name="count-monthly-jobs", retries=2, retry_delay_seconds=5)
def add_job_numbers(reports: list[SiteReport], period: str, tz: str) -> list[SiteReport]:
    """Each report plus its site's jobs of the period, read through the job facade."""
    start, end = period_bounds(period, tz)
    histories = asyncio.run(_job_histories([report.site_id for report in reports], start, end))
    get_logger().info(
        f"read {sum(map(len, histories.values()))} jobs of {len(histories)} sites "
        f"(action=count_jobs period={period})"
    )
    return [
        replace(r, numbers={**r.numbers, "jobs": job_numbers(jobs_frame(histories[r.site_id]))})
        for r in reports
    ]


async def _job_histories(
    site_ids: list[int], start: datetime, end: datetime
) -> dict[int, list[dict[str, Any]]]:
    """One site after another: a month's read is small, and SQLite servers prefer calm."""
    from seology.jobs.queue import site_job_history

    return {site_id: await site_job_history(site_id, start, end) for site_id in site_ids}


@task(name="store-monthly-reports", retries=2, retry_delay_seconds=5)
def store_reports(flow_run_id: str, reports: list[SiteReport]) -> None:
    save_reports(flow_engine(), flow_run_id=flow_run_id, reports=reports)


@task(name="publish-monthly-report", retries=2, retry_delay_seconds=2)
def publish_report(report: SiteReport) -> None:
    create_markdown_artifact(
        key=artifact_key("monthly-report", report.site_id),
        markdown=report_markdown(report),
        description=f"Monthly report {report.period} of {report.site_url}",
    )


@task(name="open-usage-period", retries=2, retry_delay_seconds=5)
def open_usage(period: str) -> int:
    """Start the period's usage counters at zero; earlier periods are kept as history."""
    created = open_usage_period(flow_engine(), period=period)
    get_logger().info(f"opened {created} usage rows (action=open_usage period={period})")
    return created
