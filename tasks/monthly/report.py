"""A site's report of one period, and the reports of every site for a period.

`SiteReport` is the value the monthly flow passes from task to task (numbers, then job
numbers, then storage and the artifact); building one brings the database reads, the
crawl numbers and the chart together, so that each of those stays ignorant of the others.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tasks.monthly.chart import month_chart
from tasks.monthly.crawls import site_month_numbers
from tasks.monthly.storage import month_frames, report_sites
from tasks.usage import period_bounds

if TYPE_CHECKING:
    from sqlalchemy import Engine


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
