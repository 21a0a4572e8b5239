"""The Prefect task that raises a site's monitoring events after a crawl."""

from __future__ import annotations

from prefect import task

from seology.core.logs import get_logger
from seology.core.settings import get_settings
from seology.store.engine import flow_engine
from seology.store.site_events import record_after_crawl
from tasks.retries import RETRY_OPTIONS


@task(
    name="notify-site-events", task_run_name="notify-site-events-crawl-{crawl_id}", **RETRY_OPTIONS
)
def notify_site_events(crawl_id: int) -> list[str]:
    """Record `site.*` webhook events for the crawl; the types recorded."""
    points = get_settings().webhook_health_drop_points
    types = record_after_crawl(flow_engine(), crawl_id, drop_points=points)
    if types:
        get_logger().info(
            f"crawl {crawl_id} raised {', '.join(types)} (action=site_events crawl_id={crawl_id})"
        )
    return types


def notify_site(crawl_id: int) -> None:
    """Best effort: a failure to record events (after retries) never fails the crawl."""
    state = notify_site_events(crawl_id, return_state=True)
    if not state.is_completed():
        get_logger().warning(
            f"site events of crawl {crawl_id} not recorded: {state.message} "
            f"(action=site_events crawl_id={crawl_id})"
        )
