"""Reports shown in the Prefect UI as artifacts, keyed per site so the UI keeps their history."""

from __future__ import annotations

from typing import Any

from prefect import task
from prefect.artifacts import create_markdown_artifact

from seology.store.crawls import SiteInfo


def crawl_summary_markdown(site: SiteInfo, summary: dict[str, Any]) -> str:
    """A short markdown page of a crawl's summary (plain function: tested without Prefect)."""
    codes = summary.get("statusCodes", {})
    code_rows = "\n".join(f"| {code} | {count} |" for code, count in sorted(codes.items()))
    return (
        f"# Crawl of {site.name}\n\n"
        f"Start URL: {summary['startUrl']}\n\n"
        f"| figure | value |\n|---|---:|\n"
        f"| pages crawled | {summary['pagesCrawled']} |\n"
        f"| HTML pages | {summary['htmlPages']} |\n"
        f"| fetch errors | {summary['errors']} |\n"
        f"| URLs discovered | {summary['urlsDiscovered']} |\n"
        f"| blocked by robots.txt | {summary['blockedByRobots']} |\n"
        f"| duration (s) | {summary['durationSeconds']} |\n"
        f"| stopped by | {summary['stoppedBy']} |\n\n"
        f"| HTTP status | pages |\n|---|---:|\n{code_rows}\n"
    )


def artifact_key(kind: str, site_id: int) -> str:
    """Artifact keys allow lowercase letters, digits and dashes only."""
    return f"{kind}-site-{site_id}"


@task(name="publish-crawl-summary", retries=2, retry_delay_seconds=2)
def publish_crawl_summary(site: SiteInfo, summary: dict[str, Any]) -> None:
    create_markdown_artifact(
        key=artifact_key("crawl-summary", site.id),
        markdown=crawl_summary_markdown(site, summary),
        description=f"Crawl summary of {site.url}",
    )
