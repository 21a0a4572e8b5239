"""crawl-site: crawl one site and store what it finds (deployment `crawl-site/crawl`)."""

from __future__ import annotations

from typing import Any

from prefect import flow
from prefect.runtime import flow_run
from prefect.states import State

from seology.errors import InvalidInput, NotFound
from seology.settings import get_settings
from tasks.auditing import audit_crawl
from tasks.crawling import begin_crawl, crawl_pages, finish_crawl, load_site, record_failure
from tasks.reports import publish_crawl_summary
from tasks.retries import fail_without_retry


@flow(
    name="crawl-site",
    retries=get_settings().job_max_attempts - 1,
    retry_delay_seconds=5,
    persist_result=False,
)
async def crawl_site(site_id: int, user_id: int, max_pages: int = 10) -> dict[str, Any] | State:
    """Load the site, crawl it, store the pages, audit them, and publish the summary."""
    try:
        site = load_site(site_id, user_id)
    except (InvalidInput, NotFound) as exc:
        return fail_without_retry(exc.message)  # the same input fails the same way
    crawl_id = begin_crawl(str(flow_run.id), site, max_pages, flow_run.run_count)
    try:
        outcome = await crawl_pages(crawl_id, site.url, max_pages)
    except InvalidInput as exc:
        record_failure(crawl_id, exc.message)
        return fail_without_retry(exc.message)
    except Exception as exc:
        record_failure(crawl_id, f"{type(exc).__name__}: {exc}")
        raise
    summary = finish_crawl(crawl_id, outcome)
    summary |= audit_crawl(crawl_id, outcome)
    publish_crawl_summary(site, summary)
    return summary
