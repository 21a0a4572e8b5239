"""The month's chart from a site's crawl frame.

The drawing itself (`seology.reports.charts.month_chart_svg`) knows nothing of pandas or crawls;
this is where the frame becomes its labels and series, with the same completed crawls
in the same order as the numbers (`seology.reports.crawls`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from seology.reports.charts import month_chart_svg
from seology.reports.crawls import completed_crawls, json_number

if TYPE_CHECKING:
    import pandas as pd


def month_chart(crawls: pd.DataFrame, *, tz: str, title: str) -> str:
    """The SVG chart of the month's completed crawls: health score and pages per crawl."""
    import pandas as pd

    done = completed_crawls(crawls)
    finished = pd.to_datetime(done["finished_at"], utc=True).dt.tz_convert(tz)
    health = pd.to_numeric(done["health_score"], errors="coerce")
    return month_chart_svg(
        [moment.strftime("%b %d") for moment in finished],
        [json_number(score) for score in health],
        [int(pages) for pages in pd.to_numeric(done["pages_crawled"])],
        title=title,
    )
