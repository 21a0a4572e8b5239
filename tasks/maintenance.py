"""The nightly work of daily-maintenance: re-crawl monitored sites, and clean up.

Three jobs, each a task with its own retries and its own row in the UI:
- enqueue a crawl of every monitored site through `seology.jobs.queue` (which returns the
  pending or running crawl of a site instead of queueing a second one);
- delete our terminal flow runs older than `JOB_RETENTION_DAYS` through the Prefect API,
  with the same filter as Prefect's own db-vacuum service, restricted to runs tagged
  `seology` so that other projects sharing the server are never touched;
- delete crawls beyond each site's `KEEP_CRAWLS_PER_SITE` newest, with their pages,
  links, issues and change records.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from prefect import task
from sqlalchemy import Engine, func, select

from seology.core.logs import get_logger
from seology.store.crawls import SiteInfo
from seology.store.engine import flow_engine, session_scope
from seology.store.job_outputs import delete_crawls
from seology.store.models import Crawl, Site
from tasks.retries import RETRY_OPTIONS

if TYPE_CHECKING:
    from seology.jobs.queue import Enqueued

#: How many crawls of each site are kept, newest first by start time. Older crawls only
#: feed history views; ten cover ten days of monitoring or a quarter of weekly crawls.
KEEP_CRAWLS_PER_SITE = 10


# --- monitoring ------------------------------------------------------------------------


def monitored_sites(engine: Engine) -> list[SiteInfo]:
    """Every site with monitoring on, oldest first."""
    with session_scope(engine) as session:
        sites = session.scalars(
            select(Site).where(Site.monitoring_enabled.is_(True)).order_by(Site.id)
        )
        return [SiteInfo(id=s.id, user_id=s.user_id, url=s.url, name=s.name) for s in sites]


@task(name="list-monitored-sites", retries=2, retry_delay_seconds=5)
def list_monitored_sites() -> list[SiteInfo]:
    return monitored_sites(flow_engine())


@task(name="enqueue-crawl", task_run_name="enqueue-crawl-site-{site_id}", **RETRY_OPTIONS)
async def enqueue_monitoring_crawl(
    site_id: int, user_id: int, max_pages: int, priority: int
) -> Enqueued:
    """Queue the site's crawl; its pending or running crawl is returned instead."""
    from seology.jobs.queue import enqueue_crawl
    from seology.store.crawls import last_render_mode

    render = last_render_mode(flow_engine(), site_id=site_id)  # the site's last choice
    enqueued = await enqueue_crawl(
        site_id,
        user_id,
        max_pages=max_pages,
        priority=priority,
        render=render,
        engine=flow_engine(),
    )
    verb = "found queued" if enqueued.deduplicated else "enqueued"
    get_logger().info(
        f"{verb} crawl {enqueued.job_id} (action=enqueue_crawl site_id={site_id} "
        f"deduplicated={enqueued.deduplicated})"
    )
    return enqueued


# --- flow run retention ----------------------------------------------------------------


@task(name="delete-old-flow-runs", retries=2, retry_delay_seconds=10)
async def delete_old_flow_runs(retention_days: int) -> int:
    from seology.jobs.queue import delete_finished_jobs

    cutoff = datetime.now(UTC) - timedelta(days=retention_days)
    deleted = len(await delete_finished_jobs(cutoff))
    get_logger().info(
        f"deleted {deleted} flow runs that ended before {cutoff:%Y-%m-%d %H:%M} UTC "
        f"(action=delete_flow_runs retention_days={retention_days})"
    )
    return deleted


# --- crawl retention -------------------------------------------------------------------


def crawls_beyond(engine: Engine, *, keep: int) -> list[int]:
    """Ids of the crawls older than each site's `keep` newest (by start time).

    A crawl still marked running there is stale: `keep` crawls of its site started after it.
    """
    rank = func.row_number().over(
        partition_by=Crawl.site_id, order_by=(Crawl.started_at.desc(), Crawl.id.desc())
    )
    ranked = select(Crawl.id, rank.label("rank")).subquery()
    with session_scope(engine) as session:
        return list(session.scalars(select(ranked.c.id).where(ranked.c.rank > keep)))


@task(name="prune-old-crawls", retries=2, retry_delay_seconds=5)
def prune_old_crawls(keep: int = KEEP_CRAWLS_PER_SITE) -> int:
    engine = flow_engine()
    deleted = delete_crawls(engine, crawls_beyond(engine, keep=keep))
    get_logger().info(f"deleted {deleted} old crawls (action=prune_crawls keep={keep})")
    return deleted
