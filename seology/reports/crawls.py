"""A site's month of crawls in numbers: plain pandas over frames of the app database.

Kept apart from the database reads (`seology.store.monthly`) so that the arithmetic is
tested on small hand-made frames, without a database or Prefect. pandas is imported
inside the functions, so that importing the flow module does not import pandas too.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from seology.core.job_model import iso_utc

if TYPE_CHECKING:
    import pandas as pd

STATUS_CLASSES = ("2xx", "3xx", "4xx", "5xx")


def json_number(value: Any, digits: int = 1) -> float | None:
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

    done = completed_crawls(crawls)
    health = pd.to_numeric(done["health_score"], errors="coerce")
    ids = set(done["crawl_id"])
    pages = status_counts[status_counts["crawl_id"].isin(ids)]
    issues = issue_counts[issue_counts["crawl_id"].isin(ids)]
    return {
        "crawls": len(done),
        "failedCrawls": int((crawls["status"] == "failed").sum()),
        "pagesCrawled": int(pd.to_numeric(done["pages_crawled"]).sum()),
        "healthScoreAvg": json_number(health.mean()),
        "healthScoreLast": json_number(health.iloc[-1]) if len(health) else None,
        "crawlDurationMeanSeconds": _mean_duration(done),
        "pagesByStatus": pages_by_status(pages),
        "issuesBySeverity": _counts(issues, "severity", "issues"),
        "issuesByCheck": _counts(issues, "check_id", "issues"),
        "healthTrend": health_trend(done, tz=tz),
        "issuesBySeverityTrend": issues_trend(done, issues, tz=tz),
    }


def completed_crawls(crawls: pd.DataFrame) -> pd.DataFrame:
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
         "healthScore": json_number(score), "pagesCrawled": int(count)}
        for (crawl_id, date, finished), score, count in zip(
            _crawl_moments(done, tz), health, pages, strict=True
        )
    ]  # fmt: skip


def issues_trend(done: pd.DataFrame, issues: pd.DataFrame, *, tz: str) -> list[dict[str, Any]]:
    """Issues of each completed crawl by severity (every known severity, zeros included)."""
    from seology.audit.model import SEVERITIES

    totals = issues.groupby(["crawl_id", "severity"])["issues"].sum()
    found = sorted({str(severity) for _, severity in totals.index} - set(SEVERITIES))
    severities = (*SEVERITIES, *found)
    series = []
    for crawl_id, date, _ in _crawl_moments(done, tz):
        counts = {name: int(totals.get((crawl_id, name), 0)) for name in severities}
        series.append({"crawlId": crawl_id, "date": date, "issues": sum(counts.values()),
                       "bySeverity": counts})  # fmt: skip
    return series


def _mean_duration(crawls: pd.DataFrame) -> float | None:
    import pandas as pd

    seconds = (
        pd.to_datetime(crawls["finished_at"], utc=True)
        - pd.to_datetime(crawls["started_at"], utc=True)
    ).dt.total_seconds()
    return json_number(seconds.mean(), 3)


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
