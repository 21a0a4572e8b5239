"""Monthly periods, usage rows, and the monthly report of each site.

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
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from prefect import task
from prefect.artifacts import create_markdown_artifact
from sqlalchemy import Engine, func, or_, select

from seology.db.engine import flow_engine, session_scope
from seology.db.models import Crawl, Issue, Page, Report, Site
from seology.jobs import JobStatus, iso_utc
from seology.logs import get_logger
from tasks.charts import month_chart_svg, svg_data_uri
from tasks.reports import artifact_key
from tasks.usage import (
    dialect_insert,
    open_usage_period,
    period_bounds,
)

if TYPE_CHECKING:
    import pandas as pd

STATUS_CLASSES = ("2xx", "3xx", "4xx", "5xx")
#: Job types always in a report's `jobs`, run or not, so that reports line up.
REPORT_JOB_TYPES = ("crawl", "analysis")
#: Columns of a site's job records (`seology.queue.site_job_history`) the numbers use.
JOB_COLUMNS = ("id", "type", "status", "expected_start_time", "duration_seconds")
#: The markdown page lists at most this many crawls (the stored series has every one).
MAX_TREND_ROWS = 62

# --- the numbers (plain pandas) --------------------------------------------------------


def _number(value: Any, digits: int = 1) -> float | None:
    """A JSON-safe float: NaN (no data) becomes None."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return round(float(value), digits)


def status_class(code: float | None) -> str:
    """`404` → "4xx"; no answer at all → "none"."""
    if code is None or (isinstance(code, float) and math.isnan(code)):
        return "none"
    return f"{int(code) // 100}xx"


def site_month_numbers(
    crawls: pd.DataFrame,
    status_counts: pd.DataFrame,
    issue_counts: pd.DataFrame,
    *,
    tz: str = "UTC",
) -> dict[str, Any]:
    """One site's month from its frames; `tz` dates the per-crawl series.

    `crawls`: crawl_id, status, started_at, finished_at, pages_crawled, health_score;
    `status_counts`: crawl_id, status_code, pages; `issue_counts`: crawl_id, severity,
    check_id, issues. Only completed crawls count; failed ones are reported as a number.
    """
    import pandas as pd

    done = _completed(crawls)
    health = pd.to_numeric(done["health_score"], errors="coerce")
    ids = set(done["crawl_id"])
    pages = status_counts[status_counts["crawl_id"].isin(ids)]
    issues = issue_counts[issue_counts["crawl_id"].isin(ids)]
    return {
        "crawls": len(done),
        "failedCrawls": int((crawls["status"] == "failed").sum()),
        "pagesCrawled": int(pd.to_numeric(done["pages_crawled"]).sum()),
        "healthScoreAvg": _number(health.mean()),
        "healthScoreLast": _number(health.iloc[-1]) if len(health) else None,
        "crawlDurationMeanSeconds": _mean_duration(done),
        "pagesByStatus": pages_by_status(pages),
        "issuesBySeverity": _counts(issues, "severity", "issues"),
        "issuesByCheck": _counts(issues, "check_id", "issues"),
        "healthTrend": health_trend(done, tz=tz),
        "issuesBySeverityTrend": issues_trend(done, issues, tz=tz),
    }


def _completed(crawls: pd.DataFrame) -> pd.DataFrame:
    """The completed crawls in finish order (crawl id breaks ties, so order is stable)."""
    done = crawls[crawls["status"] == "completed"]
    return done.sort_values(["finished_at", "crawl_id"], kind="stable")


def _crawl_moments(done: pd.DataFrame, tz: str) -> list[tuple[int, str, str | None]]:
    """(crawl id, finish date in `tz`, finish time in ISO UTC) of each crawl, in order."""
    import pandas as pd

    finished = pd.to_datetime(done["finished_at"], utc=True)
    return [
        (int(crawl_id), moment.tz_convert(tz).strftime("%Y-%m-%d"), iso_utc(moment))
        for crawl_id, moment in zip(done["crawl_id"], finished, strict=True)
    ]


def health_trend(done: pd.DataFrame, *, tz: str) -> list[dict[str, Any]]:
    """Health score and pages of each completed crawl, oldest first: the month's trend."""
    import pandas as pd

    health = pd.to_numeric(done["health_score"], errors="coerce")
    pages = pd.to_numeric(done["pages_crawled"])
    return [
        {"crawlId": crawl_id, "date": date, "finishedAt": finished,
         "healthScore": _number(score), "pagesCrawled": int(count)}
        for (crawl_id, date, finished), score, count in zip(
            _crawl_moments(done, tz), health, pages, strict=True
        )
    ]  # fmt: skip


def issues_trend(done: pd.DataFrame, issues: pd.DataFrame, *, tz: str) -> list[dict[str, Any]]:
    """Issues of each completed crawl by severity (every known severity, zeros included)."""
    from tasks.audit.model import SEVERITIES

    totals = issues.groupby(["crawl_id", "severity"])["issues"].sum()
    found = sorted({str(severity) for _, severity in totals.index} - set(SEVERITIES))
    severities = (*SEVERITIES, *found)
    series = []
    for crawl_id, date, _ in _crawl_moments(done, tz):
        counts = {name: int(totals.get((crawl_id, name), 0)) for name in severities}
        series.append({"crawlId": crawl_id, "date": date, "issues": sum(counts.values()),
                       "bySeverity": counts})  # fmt: skip
    return series


def jobs_frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    """A site's job records (`seology.queue.site_job_history`) as a frame of `JOB_COLUMNS`."""
    import pandas as pd

    return pd.DataFrame(records, columns=list(JOB_COLUMNS))


def job_numbers(jobs: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Per job type: jobs in the period, how they ended, success rate and durations.

    `jobs`: type, status (a job status: PENDING … CANCELLED), duration_seconds. Crawl
    and analysis always appear; any other type found is added after them.
    """
    found = sorted(str(kind) for kind in jobs["type"].dropna().unique())
    kinds = dict.fromkeys([*REPORT_JOB_TYPES, *found])
    return {kind: _type_numbers(jobs[jobs["type"] == kind]) for kind in kinds}


def _type_numbers(jobs: pd.DataFrame) -> dict[str, Any]:
    """Success rate = completed / finished (completed, failed or cancelled); durations
    are of completed jobs, p95 interpolated linearly (pandas' default)."""
    import pandas as pd

    statuses = jobs["status"].value_counts()
    counts = {status.value.lower(): int(statuses.get(status.value, 0)) for status in JobStatus}
    finished = counts["completed"] + counts["failed"] + counts["cancelled"]
    completed = jobs[jobs["status"] == JobStatus.COMPLETED.value]
    seconds = pd.to_numeric(completed["duration_seconds"], errors="coerce").dropna()
    return {
        "total": len(jobs),
        **counts,
        "successRate": round(counts["completed"] / finished, 4) if finished else None,
        "durationMeanSeconds": _number(seconds.mean(), 3),
        "durationP95Seconds": _number(seconds.quantile(0.95), 3),
    }


def _mean_duration(crawls: pd.DataFrame) -> float | None:
    import pandas as pd

    seconds = (
        pd.to_datetime(crawls["finished_at"], utc=True)
        - pd.to_datetime(crawls["started_at"], utc=True)
    ).dt.total_seconds()
    return _number(seconds.mean(), 3)


def pages_by_status(status_counts: pd.DataFrame) -> dict[str, int]:
    """Pages per status class; every class present, so reports line up month to month."""
    classes = status_counts["status_code"].map(status_class)
    totals = status_counts.groupby(classes)["pages"].sum()
    counts = {name: int(totals.get(name, 0)) for name in STATUS_CLASSES}
    other = int(totals.sum()) - sum(counts.values())
    return {**counts, "other": other} if other else counts


def _counts(frame: pd.DataFrame, by: str, value: str) -> dict[str, int]:
    totals = frame.groupby(by)[value].sum().sort_values(ascending=False)
    return {str(key): int(count) for key, count in totals.items()}


def month_chart(crawls: pd.DataFrame, *, tz: str, title: str) -> str:
    """The SVG chart of the month's completed crawls: health score and pages per crawl."""
    import pandas as pd

    done = _completed(crawls)
    finished = pd.to_datetime(done["finished_at"], utc=True).dt.tz_convert(tz)
    health = pd.to_numeric(done["health_score"], errors="coerce")
    return month_chart_svg(
        [moment.strftime("%b %d") for moment in finished],
        [_number(score) for score in health],
        [int(pages) for pages in pd.to_numeric(done["pages_crawled"])],
        title=title,
    )


# --- reading the month -----------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class SiteReport:
    """One site's report of one period, as stored and as shown."""

    site_id: int
    site_name: str
    site_url: str
    period: str
    numbers: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"siteId": self.site_id, "siteUrl": self.site_url, "period": self.period,
                **self.numbers}  # fmt: skip


def month_frames(engine: Engine, *, start: datetime, end: datetime) -> dict[str, pd.DataFrame]:
    """The crawls that finished in [start, end), their page and issue counts, as frames."""
    import pandas as pd

    in_month = select(Crawl.id).where(Crawl.finished_at >= start, Crawl.finished_at < end)
    queries = {
        "crawls": select(
            Crawl.id.label("crawl_id"), Crawl.site_id, Crawl.status, Crawl.started_at,
            Crawl.finished_at, Crawl.pages_crawled, Crawl.health_score,
        ).where(Crawl.id.in_(in_month)),
        "status_counts": select(
            Page.crawl_id, Page.status_code, func.count().label("pages")
        ).where(Page.crawl_id.in_(in_month)).group_by(Page.crawl_id, Page.status_code),
        "issue_counts": select(
            Issue.crawl_id, Issue.severity, Issue.check_id, func.count().label("issues")
        ).where(Issue.crawl_id.in_(in_month)).group_by(
            Issue.crawl_id, Issue.severity, Issue.check_id
        ),
    }  # fmt: skip
    with session_scope(engine) as session:
        return {
            name: pd.DataFrame(
                [tuple(row) for row in session.execute(query)],
                columns=list(query.selected_columns.keys()),
            )
            for name, query in queries.items()
        }


def report_sites(engine: Engine, *, end: datetime, crawled: list[int]) -> list[Site]:
    """Sites that existed when the period ended (crawled or not), and any crawled in it."""
    condition = or_(Site.created_at < end, Site.id.in_(crawled))
    with session_scope(engine) as session:
        return list(session.scalars(select(Site).where(condition).order_by(Site.id)))


def monthly_reports(engine: Engine, *, period: str, tz: str) -> list[SiteReport]:
    """The report of every site for `period`."""
    start, end = period_bounds(period, tz)
    frames = month_frames(engine, start=start, end=end)
    crawls = frames["crawls"]
    reports = []
    crawled = [int(site_id) for site_id in crawls["site_id"].unique()]
    for site in report_sites(engine, end=end, crawled=crawled):
        site_crawls = crawls[crawls["site_id"] == site.id]
        numbers = site_month_numbers(
            site_crawls, frames["status_counts"], frames["issue_counts"], tz=tz
        )
        numbers["chartSvg"] = month_chart(site_crawls, tz=tz, title=f"{site.name}: {period}")
        reports.append(
            SiteReport(
                site_id=site.id,
                site_name=site.name,
                site_url=site.url,
                period=period,
                numbers=numbers,
            )
        )
    return reports


# --- writing ---------------------------------------------------------------------------


def save_reports(engine: Engine, *, flow_run_id: str, reports: list[SiteReport]) -> None:
    """Upsert one row per (site, period): a re-run of the month overwrites its report."""
    if not reports:
        return
    with session_scope(engine) as session:
        insert = dialect_insert(session)
        rows = [
            {"site_id": r.site_id, "period": r.period, "flow_run_id": flow_run_id,
             "data": r.to_json(), "created_at": datetime.now(UTC)}
            for r in reports
        ]  # fmt: skip
        statement = insert(Report).values(rows)
        statement = statement.on_conflict_do_update(
            index_elements=["site_id", "period"],
            set_={name: statement.excluded[name] for name in ("flow_run_id", "data", "created_at")},
        )
        session.execute(statement)


def _cell(value: Any) -> str:
    text = "—" if value is None else str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def _table(header: tuple[str, ...], rows: list[tuple[Any, ...]]) -> str:
    """A markdown table, written by hand (`to_markdown` needs tabulate): the first column
    names the row, the others are figures, right-aligned."""
    lines = ["| " + " | ".join(header) + " |", "|---|" + "---:|" * (len(header) - 1)]
    lines += ["| " + " | ".join(_cell(value) for value in row) + " |" for row in rows]
    return "\n".join(lines)


def _percent(rate: float | None) -> str | None:
    return None if rate is None else f"{rate * 100:.1f} %"


def crawls_markdown(numbers: dict[str, Any]) -> str:
    """Per crawl: date, health score, pages, issues by severity (latest `MAX_TREND_ROWS`)."""
    trend = list(zip(numbers["healthTrend"], numbers["issuesBySeverityTrend"], strict=True))
    if not trend:
        return "No completed crawls this month."
    severities = tuple(trend[0][1]["bySeverity"])
    header = ("finished", "health score", "pages", *(f"{name}s" for name in severities))
    rows = [
        (health["date"], health["healthScore"], health["pagesCrawled"],
         *(issues["bySeverity"][name] for name in severities))
        for health, issues in trend[-MAX_TREND_ROWS:]
    ]  # fmt: skip
    shown = "" if len(trend) <= MAX_TREND_ROWS else f"\n\nThe latest {MAX_TREND_ROWS} of "
    shown += f"{len(trend)} crawls." if shown else ""
    return _table(header, rows) + shown


def jobs_markdown(jobs: dict[str, dict[str, Any]]) -> str:
    """Per job type: jobs, how they ended, success rate, mean and p95 duration."""
    header = ("type", "jobs", "completed", "failed", "cancelled", "unfinished",
              "success rate", "mean (s)", "p95 (s)")  # fmt: skip
    rows = [
        (kind, n["total"], n["completed"], n["failed"], n["cancelled"],
         n["pending"] + n["processing"], _percent(n["successRate"]),
         n["durationMeanSeconds"], n["durationP95Seconds"])
        for kind, n in jobs.items()
    ]  # fmt: skip
    return _table(header, rows)


def report_markdown(report: SiteReport) -> str:
    """The report as a markdown page for the Prefect UI (plain function)."""
    n = report.numbers
    figures = [
        ("completed crawls", n["crawls"]), ("failed crawls", n["failedCrawls"]),
        ("pages crawled", n["pagesCrawled"]), ("health score, average", n["healthScoreAvg"]),
        ("health score, last crawl", n["healthScoreLast"]),
        ("crawl duration, mean (s)", n["crawlDurationMeanSeconds"]),
        *((f"pages {name}", count) for name, count in n["pagesByStatus"].items()),
    ]  # fmt: skip
    severity = list(n["issuesBySeverity"].items()) or [("none", 0)]
    checks = list(n["issuesByCheck"].items())[:15] or [("none", 0)]
    return (
        f"# {_cell(report.site_name)}: {report.period}\n\n{report.site_url}\n\n"
        f"{_table(('figure', 'value'), figures)}\n\n{_crawls_section(n)}"
        f"{_jobs_section(n.get('jobs'))}## Issues by severity\n\n"
        f"{_table(('severity', 'issues'), severity)}\n\n## Issues by check\n\n"
        f"{_table(('check', 'issues'), checks)}\n{_chart_markdown(n.get('chartSvg'))}"
    )


def _crawls_section(numbers: dict[str, Any]) -> str:
    """Numbers without the series (a report computed before they existed) have none."""
    if "healthTrend" not in numbers or "issuesBySeverityTrend" not in numbers:
        return ""
    return f"## Crawls\n\n{crawls_markdown(numbers)}\n\n"


def _jobs_section(jobs: dict[str, dict[str, Any]] | None) -> str:
    return f"## Jobs\n\n{jobs_markdown(jobs)}\n\n" if jobs else ""


def _chart_markdown(svg: str | None) -> str:
    """The chart as an inline image: the Prefect UI renders markdown images by URL only."""
    if not svg:
        return ""
    return f"\n## Health score and pages per crawl\n\n![chart]({svg_data_uri(svg)})\n"


# --- the Prefect tasks -----------------------------------------------------------------


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
    from seology.queue import site_job_history

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
