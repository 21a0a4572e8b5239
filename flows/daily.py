"""daily-maintenance: re-crawl monitored sites and clean up, nightly (`daily-maintenance/daily`).

Enqueueing comes first and one site's failure never stops the others: each site is its
own task run, and a failed one is counted, not raised. Housekeeping follows: flow runs
past `JOB_RETENTION_DAYS`, then crawls beyond each site's newest
`tasks.maintenance.KEEP_CRAWLS_PER_SITE`. A retry of the whole flow is harmless: the
queue returns the crawl already pending for a site, and deletions are idempotent.
"""

from __future__ import annotations

from prefect import flow

from seology.core.logs import get_logger
from seology.core.settings import get_settings
from seology.store.crawls import SiteInfo
from tasks.maintenance import (
    delete_old_flow_runs,
    enqueue_monitoring_crawl,
    list_monitored_sites,
    prune_old_crawls,
)

#: Pages per monitoring crawl: enough to catch regressions, light on the sites we visit.
MONITORING_MAX_PAGES = 100
#: Monitoring is background work: the `low` queue (priorities 1–3).
MONITORING_PRIORITY = 2


@flow(
    name="daily-maintenance",
    retries=get_settings().job_max_attempts - 1,
    retry_delay_seconds=30,
    persist_result=False,
)
async def daily_maintenance(max_pages: int = MONITORING_MAX_PAGES) -> dict[str, int]:
    """Queue monitoring crawls, then delete old flow runs and old crawls."""
    sites = list_monitored_sites()
    counts = await enqueue_crawls(sites, max_pages)
    counts["runsDeleted"] = await delete_old_flow_runs(get_settings().job_retention_days)
    counts["crawlsDeleted"] = prune_old_crawls()
    return counts


async def enqueue_crawls(sites: list[SiteInfo], max_pages: int) -> dict[str, int]:
    """One task run per site; failures are counted and logged, never raised."""
    counts = {"crawlsEnqueued": 0, "crawlsAlreadyQueued": 0, "enqueueFailures": 0}
    for site in sites:
        state = await enqueue_monitoring_crawl(
            site.id, site.user_id, max_pages, MONITORING_PRIORITY, return_state=True
        )
        if not state.is_completed():
            counts["enqueueFailures"] += 1
            get_logger().warning(
                f"could not enqueue a crawl of site {site.id}: {state.message} "
                f"(action=enqueue_crawl site_id={site.id})"
            )
            continue
        enqueued = await state.result()
        counts["crawlsAlreadyQueued" if enqueued.deduplicated else "crawlsEnqueued"] += 1
    return counts
