"""monthly-report: each site's month, and fresh usage counters (`monthly-report/monthly`).

The cron fires at 00:00 on the 1st in `SEOLOGY_TIMEZONE` and reports the month that just
ended: crawl numbers from the app database, then each site's jobs of the month from the
Prefect API. Pass `period="YYYY-MM"` to report (or re-report) any month: a re-run
overwrites that month's reports. Usage rows are per month, so opening the new month's
zeroed rows is the reset; the reported month's rows stay as history.
"""

from __future__ import annotations

from typing import Any

from prefect import flow
from prefect.runtime import flow_run
from prefect.states import State

from seology.core.errors import InvalidInput
from seology.core.settings import get_settings
from seology.store.usage import current_period, previous_period, validate_period
from tasks.monthly import (
    add_job_numbers,
    compute_monthly_reports,
    open_usage,
    publish_report,
    store_reports,
)
from tasks.retries import fail_without_retry


@flow(
    name="monthly-report",
    retries=get_settings().job_max_attempts - 1,
    retry_delay_seconds=30,
    persist_result=False,
)
def monthly_report(period: str | None = None) -> dict[str, Any] | State:
    """Report `period` (default: last month) for every site, then open this month's usage."""
    tz = get_settings().timezone
    try:
        period = validate_period(period) if period else previous_period(tz)
    except InvalidInput as exc:
        return fail_without_retry(exc.message)
    reports = compute_monthly_reports(period, tz)
    reports = add_job_numbers(reports, period, tz)
    store_reports(str(flow_run.id), reports)
    for report in reports:
        publish_report(report)
    usage_period = current_period(tz)
    opened = open_usage(usage_period)
    return {
        "period": period,
        "sitesReported": len(reports),
        "crawls": sum(report.numbers["crawls"] for report in reports),
        "usagePeriod": usage_period,
        "usageRowsOpened": opened,
    }
