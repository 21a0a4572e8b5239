"""The monthly report's reads from and writes to the app database, and the reports of a period.

The reads return plain frames and rows, so that the numbers (`seology.reports.crawls`)
are computed without a database; the write is an upsert, so that re-running a month
replaces its reports instead of adding a second set.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import Engine, func, or_, select

from seology.reports.chart import month_chart
from seology.reports.crawls import site_month_numbers
from seology.reports.report import SiteReport
from seology.store.engine import session_scope
from seology.store.models import Crawl, Issue, Page, Report, Site
from seology.store.usage import dialect_insert, period_bounds

if TYPE_CHECKING:
    import pandas as pd


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
