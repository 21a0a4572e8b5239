"""The monthly report of each site, and the opening of a new usage period.

A period is a calendar month, `YYYY-MM`, in the configured timezone (`SEOLOGY_TIMEZONE`):
the monthly cron fires at 00:00 on the 1st in that timezone and reports the month that
just ended. Usage is counted per (user, period) row, so a new month *is* the reset: the
monthly flow opens zeroed rows for the new period and the old rows stay as history.

The report's numbers are computed with pandas by plain functions, tested without a
database or Prefect: from three small frames of the app database (crawls, page counts per
status code, issue counts), the month's totals and two per-crawl series (health score and
pages; issues by severity); from the site's jobs in the period, read from the Prefect API
through `seology.queue.site_job_history`, counts, success rate and durations per job type
(docs/internals/monitoring.md).

- crawls.py: the crawl numbers and series of a site's month (`site_month_numbers`).
- jobs.py: the job numbers per job type (`job_numbers`).
- chart.py: the month's SVG chart from the crawl frame (`month_chart`).
- storage.py: the frames read from the app database, and the upsert of the reports.
- report.py: `SiteReport`, and the reports of every site for a period (`monthly_reports`).
- markdown.py: the report as the markdown artifact of the Prefect UI (`report_markdown`).
- prefect_tasks.py: the Prefect tasks the monthly-report flow chains.

Every public name of the modules is importable from `tasks.monthly` itself.
"""

from __future__ import annotations

from tasks.monthly.chart import month_chart
from tasks.monthly.crawls import (
    STATUS_CLASSES,
    health_trend,
    issues_trend,
    pages_by_status,
    site_month_numbers,
    status_class,
)
from tasks.monthly.jobs import JOB_COLUMNS, REPORT_JOB_TYPES, job_numbers, jobs_frame
from tasks.monthly.markdown import (
    MAX_TREND_ROWS,
    crawls_markdown,
    jobs_markdown,
    report_markdown,
)
from tasks.monthly.prefect_tasks import (
    add_job_numbers,
    compute_monthly_reports,
    open_usage,
    publish_report,
    store_reports,
)
from tasks.monthly.report import SiteReport, monthly_reports
from tasks.monthly.storage import month_frames, report_sites, save_reports

__all__ = [
    "JOB_COLUMNS",
    "MAX_TREND_ROWS",
    "REPORT_JOB_TYPES",
    "STATUS_CLASSES",
    "SiteReport",
    "add_job_numbers",
    "compute_monthly_reports",
    "crawls_markdown",
    "health_trend",
    "issues_trend",
    "job_numbers",
    "jobs_frame",
    "jobs_markdown",
    "month_chart",
    "month_frames",
    "monthly_reports",
    "open_usage",
    "pages_by_status",
    "publish_report",
    "report_markdown",
    "report_sites",
    "save_reports",
    "site_month_numbers",
    "status_class",
    "store_reports",
]
