"""Monthly periods, usage rows, and the monthly report of each site.

A period is a calendar month, `YYYY-MM`, in the configured timezone (`SEOLOGY_TIMEZONE`):
the monthly cron fires at 00:00 on the 1st in that timezone and reports the month that
just ended. Usage is counted per (user, period) row, so a new month *is* the reset: the
monthly flow opens zeroed rows for the new period and the old rows stay as history.

The report's numbers are computed with pandas from three small frames (crawls, page
counts per status code, issue counts) by plain functions, tested without a database.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from prefect import task
from prefect.artifacts import create_markdown_artifact
from sqlalchemy import Engine, func, or_, select

from seology.db.engine import flow_engine, session_scope
from seology.db.models import Crawl, Issue, Page, Report, Site
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
    crawls: pd.DataFrame, status_counts: pd.DataFrame, issue_counts: pd.DataFrame
) -> dict[str, Any]:
    """One site's month from its frames.

    `crawls`: crawl_id, status, started_at, finished_at, pages_crawled, health_score;
    `status_counts`: crawl_id, status_code, pages; `issue_counts`: crawl_id, severity,
    check_id, issues. Only completed crawls count; failed ones are reported as a number.
    """
    import pandas as pd

    done = crawls[crawls["status"] == "completed"].sort_values("finished_at")
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

    done = crawls[crawls["status"] == "completed"].sort_values("finished_at")
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
        numbers = site_month_numbers(site_crawls, frames["status_counts"], frames["issue_counts"])
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


def _table(header: tuple[str, str], rows: list[tuple[str, Any]]) -> str:
    """A two-column markdown table, written by hand (`to_markdown` needs tabulate)."""
    lines = [f"| {header[0]} | {header[1]} |", "|---|---:|"]
    lines += [f"| {_cell(name)} | {_cell(value)} |" for name, value in rows]
    return "\n".join(lines)


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
        f"{_table(('figure', 'value'), figures)}\n\n## Issues by severity\n\n"
        f"{_table(('severity', 'issues'), severity)}\n\n## Issues by check\n\n"
        f"{_table(('check', 'issues'), checks)}\n{_chart_markdown(n.get('chartSvg'))}"
    )


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
