"""The report as a markdown page, the artifact operators read in the Prefect UI.

Plain string functions over the stored numbers, so that a page can be re-rendered from
any stored report, including one computed before a section existed (it is left out).
Tables are written by hand: pandas' `to_markdown` needs tabulate.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from seology.reports.charts import svg_data_uri

if TYPE_CHECKING:
    from seology.reports.report import SiteReport

#: The markdown page lists at most this many crawls (the stored series has every one).
MAX_TREND_ROWS = 62


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
