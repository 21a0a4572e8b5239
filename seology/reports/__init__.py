"""The monthly report of each site: its numbers, chart and markdown, from plain frames.

A period is a calendar month, `YYYY-MM`, in the configured timezone (`SEOLOGY_TIMEZONE`):
the monthly cron fires at 00:00 on the 1st in that timezone and reports the month that
just ended. Usage is counted per (user, period) row, so a new month *is* the reset: the
monthly flow opens zeroed rows for the new period and the old rows stay as history.

The report's numbers are computed with pandas by plain functions, tested without a
database or Prefect: from three small frames of the app database (crawls, page counts per
status code, issue counts; read by `seology.store.monthly`), the month's totals and two
per-crawl series (health score and pages; issues by severity); from the site's jobs in the
period, read from the Prefect API through `seology.jobs.queue.site_job_history`, counts,
success rate and durations per job type (docs/internals/monitoring.md).

- crawls.py: the crawl numbers and series of a site's month (`site_month_numbers`).
- jobs.py: the job numbers per job type (`job_numbers`).
- chart.py and charts.py: the month's SVG chart from the crawl frame (`month_chart`).
- report.py: `SiteReport`, the value the monthly flow passes from task to task.
- markdown.py: the report as the markdown artifact of the Prefect UI (`report_markdown`).

The Prefect tasks the monthly-report flow chains are in `tasks.monthly`.
"""

from __future__ import annotations
