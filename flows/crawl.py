"""crawl-site: crawl one site and store what it finds (deployment `crawl-site/crawl`)."""

from __future__ import annotations

from typing import Any

from prefect import flow
from prefect.runtime import flow_run
from prefect.states import State

from seology.core.errors import InvalidInput, NotFound, RenderingUnavailable, SiteUnreachable
from seology.core.settings import get_settings
from seology.crawler.records import RenderMode
from seology.jobs.retries import flow_run_age_seconds
from tasks.artifacts import publish_crawl_summary
from tasks.audit import audit_crawl
from tasks.changes import detect_changes
from tasks.crawl import (
    begin_crawl,
    crawl_pages,
    finish_crawl,
    load_site,
    record_changes,
    record_failure,
    record_job_end,
    retry_dead_site,
)
from tasks.retries import fail_and_retry_in, fail_without_retry
from tasks.site_events import notify_site

MAX_ATTEMPTS = get_settings().job_max_attempts


@flow(
    name="crawl-site",
    retries=MAX_ATTEMPTS - 1,
    retry_delay_seconds=5,
    persist_result=False,
    on_cancellation=[record_job_end],
    on_crashed=[record_job_end],
    on_failure=[record_job_end],
)
async def crawl_site(
    site_id: int, user_id: int, max_pages: int = 10, render: RenderMode = "auto"
) -> dict[str, Any] | State:
    """Load the site, crawl it (rendering pages as `render` says), store the pages, audit
    them, compare with the previous crawl, raise the site's monitoring events, and publish
    the summary."""
    try:
        site = load_site(site_id, user_id)
    except (InvalidInput, NotFound) as exc:
        return fail_without_retry(exc.message)  # the same input fails the same way
    crawl_id = begin_crawl(str(flow_run.id), site, max_pages, flow_run.run_count, render)
    try:
        outcome = await crawl_pages(crawl_id, site.url, max_pages, render)
    except (InvalidInput, RenderingUnavailable) as exc:
        record_failure(crawl_id, exc.message)
        return fail_without_retry(exc.message)
    except SiteUnreachable as exc:
        record_failure(crawl_id, exc.message)
        return site_down(crawl_id, exc.message)
    except Exception as exc:
        record_failure(crawl_id, f"{type(exc).__name__}: {exc}")
        raise
    # The crawl's summary lives in its row: each step adds its part there, and the
    # last one returns the whole, which is the job's result.
    finish_crawl(crawl_id, outcome)
    audit_crawl(crawl_id, outcome)
    summary = record_changes(crawl_id, compare_with_previous(crawl_id))
    notify_site(crawl_id)
    publish_crawl_summary(site, summary)
    return summary


def site_down(crawl_id: int, message: str) -> State:
    """Fail this attempt; try again minutes later only if that fits the dead-site budget."""
    settings = get_settings()
    retry = retry_dead_site(
        elapsed=flow_run_age_seconds(str(flow_run.id)),
        attempt=flow_run.run_count,
        max_attempts=settings.job_max_attempts,
        settings=settings,
    )
    if not retry:
        notify_site(crawl_id)  # the job fails for good: the site is down
    return fail_and_retry_in(message, delay=settings.crawl_unreachable_retry_delay, retry=retry)


def compare_with_previous(crawl_id: int) -> dict[str, Any]:
    """What changed since the site's previous crawl; a failed comparison (after its
    retries) is reported in the summary rather than failing a crawl that succeeded."""
    state = detect_changes(crawl_id, return_state=True)
    if state.is_completed():
        return state.result(_sync=True)  # a plain call: this helper is not a coroutine
    return {"error": state.message or "change detection failed"}
