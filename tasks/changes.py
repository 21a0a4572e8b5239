"""The Prefect task of change detection, run by the crawl flow after its audit step.

The comparison is `seology.audit.changes`; the reads and writes `seology.store.changes`.
"""

from __future__ import annotations

from typing import Any

from prefect import task

from seology.core.logs import get_logger
from seology.store.changes import crawl_changes
from seology.store.engine import flow_engine
from tasks.retries import RETRY_OPTIONS


@task(name="detect-changes", task_run_name="detect-changes-crawl-{crawl_id}", **RETRY_OPTIONS)
def detect_changes(crawl_id: int) -> dict[str, Any]:
    """Store what changed since the site's previous crawl; return the counts."""
    previous_id, changes = crawl_changes(flow_engine(), crawl_id)
    if changes is None:
        get_logger().info(f"crawl {crawl_id} is the site's first (action=detect_changes)")
        return {"previousCrawlId": None}
    counts = changes.counts
    get_logger().info(
        f"crawl {crawl_id} vs {previous_id}: {counts['newIssues']} new issues, "
        f"{counts['fixedIssues']} fixed, {counts['pagesAppeared']} pages appeared, "
        f"{counts['pagesDisappeared']} disappeared "
        f"(action=detect_changes crawl_id={crawl_id} previous_crawl_id={previous_id})"
    )
    return {"previousCrawlId": previous_id, **counts}
