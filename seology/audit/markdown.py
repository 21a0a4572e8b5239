"""The audit as the Prefect UI shows it: a markdown summary and a table by check."""

from __future__ import annotations

from typing import Any

from seology.audit.model import AuditResult
from seology.audit.registry import CHECKS
from seology.crawler.records import CrawlOutcome

#: Checks listed in the summary, most frequent first.
TOP_CHECKS = 10


def summary_markdown(crawl: dict[str, Any], result: AuditResult, outcome: CrawlOutcome) -> str:
    """The audit summary shown in the Prefect UI (plain function: tested without Prefect)."""
    score = "n/a" if result.health_score is None else f"{result.health_score:g} / 100"
    severity = " · ".join(f"{k}: {v}" for k, v in result.by_severity.items())
    rows = "\n".join(
        f"| `{check_id}` | {CHECKS[check_id].severity} | {count} | {CHECKS[check_id].summary} |"
        for check_id, count in list(result.by_check.items())[:TOP_CHECKS]
    )
    return (
        f"# SEO audit of {outcome.start_url}\n\n"
        f"**Health score: {score}** ({result.html_pages} HTML pages, "
        f"{result.pages_with_errors} with errors)\n\n"
        f"Pages crawled: {outcome.pages_crawled} · duration: {outcome.duration_seconds:.1f} s · "
        f"crawl id {crawl['crawlId']}\n\nIssues: {len(result.issues)} ({severity})\n\n"
        f"## Top issues\n\n| check | severity | issues | what it means |\n|---|---|---:|---|\n"
        f"{rows or '| none | | 0 | |'}\n"
    )


def issues_table(result: AuditResult) -> list[dict[str, Any]]:
    """One row per check that fired, for the table artifact."""
    return [
        {
            "check": check_id,
            "severity": CHECKS[check_id].severity,
            "issues": count,
            "explanation": CHECKS[check_id].summary,
            "fix": CHECKS[check_id].fix,
        }
        for check_id, count in result.by_check.items()
    ]
