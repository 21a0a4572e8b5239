"""The Prefect tasks of the crawl flow: each a step with its own retries and row in the UI.

The crawl itself is plain code in `seology.crawler`; these wrappers add what Prefect is for:
retries with backoff and jitter, run logs, and a live progress artifact.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import anyio
from prefect import task
from prefect.artifacts import create_progress_artifact, update_progress_artifact

from seology.core.errors import SiteUnreachable
from seology.core.logs import get_logger
from seology.core.settings import get_settings
from seology.crawler.records import CrawlOutcome, PageRecord, RenderMode, ResourceRecord
from seology.store import crawls as storage
from seology.store.engine import flow_engine
from seology.store.job_outputs import end_crawl
from tasks.retries import RETRY_OPTIONS, retry_unless_permanent_or_down

PROGRESS_INTERVAL_SECONDS = 1.0


@task(name="load-site", **RETRY_OPTIONS)
def load_site(site_id: int, user_id: int) -> storage.SiteInfo:
    return storage.load_site(flow_engine(), site_id=site_id, user_id=user_id)


@task(name="begin-crawl", **RETRY_OPTIONS)
def begin_crawl(
    flow_run_id: str, site: storage.SiteInfo, max_pages: int, attempt: int, render: str = "auto"
) -> int:
    """Create the crawl row, or clear what a failed attempt of this run wrote."""
    return storage.begin_crawl(
        flow_engine(),
        flow_run_id=flow_run_id,
        site=site,
        max_pages=max_pages,
        attempt=attempt,
        render=render,
    )


class _ProgressReporter:
    """Writes the crawl's progress to the database and the UI at most once a second."""

    def __init__(self, *, crawl_id: int, max_pages: int) -> None:
        self.crawl_id = crawl_id
        self.max_pages = max_pages
        self.artifact_id = _best_effort(
            create_progress_artifact,
            progress=0.0,
            description=f"Pages crawled of {max_pages}",
            _sync=True,
        )
        self._last_report = 0.0

    async def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self._last_report < PROGRESS_INTERVAL_SECONDS and done < total:
            return
        self._last_report = now
        await self.report(done)

    async def report(self, done: int) -> None:
        percent = min(100.0, 100.0 * done / max(self.max_pages, 1))
        await anyio.to_thread.run_sync(self._write, done, percent)

    def _write(self, done: int, percent: float) -> None:
        storage.record_progress(flow_engine(), crawl_id=self.crawl_id, pages_crawled=done)
        if self.artifact_id is not None:
            _best_effort(update_progress_artifact, self.artifact_id, progress=percent, _sync=True)


def _best_effort(call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """The UI's progress bar is a nicety: failing to draw it must not fail the crawl."""
    try:
        return call(*args, **kwargs)
    except Exception as exc:  # any API hiccup; the database progress is the real one
        get_logger().warning(f"progress artifact not updated: {exc} (action=progress_artifact)")
        return None


@task(name="crawl-pages", **{**RETRY_OPTIONS, "retry_condition_fn": retry_unless_permanent_or_down})
async def crawl_pages(
    crawl_id: int, start_url: str, max_pages: int, render: RenderMode = "auto"
) -> CrawlOutcome:
    """Fetch, parse (and render, as `render` says) the site, streaming page records to
    the database in batches."""
    from seology.crawler.config import CrawlConfig
    from seology.crawler.engine import crawl

    logger = get_logger()
    engine = flow_engine()
    await anyio.to_thread.run_sync(_reset_pages, engine, crawl_id)
    config = CrawlConfig.from_settings(
        get_settings(), start_url=start_url, max_pages=max_pages, render=render
    )
    progress = _ProgressReporter(crawl_id=crawl_id, max_pages=max_pages)

    async def store_batch(records: list[PageRecord]) -> None:
        await anyio.to_thread.run_sync(_store, engine, crawl_id, records)
        logger.info(f"stored {len(records)} pages (action=store_pages crawl_id={crawl_id})")

    async def store_resources(records: list[ResourceRecord]) -> None:
        await anyio.to_thread.run_sync(_store_resources, engine, crawl_id, records)

    outcome = await crawl(
        config, on_batch=store_batch, on_progress=progress, on_resources=store_resources
    )
    await progress.report(outcome.pages_crawled)
    unreachable = outcome.unreachable or await anyio.to_thread.run_sync(
        _unreachable, engine, crawl_id
    )
    if unreachable is not None:
        raise SiteUnreachable(f"{start_url} could not be fetched: {unreachable}")
    if outcome.rendering is not None and outcome.rendering.unavailable_reason:
        logger.warning(f"{outcome.rendering.unavailable_reason} (action=render_unavailable)")
    logger.info(
        f"crawled {outcome.pages_crawled} pages of {start_url} in "
        f"{outcome.duration_seconds:.1f}s, stopped by {outcome.stopped_by} "
        f"(action=crawl crawl_id={crawl_id})"
    )
    return outcome


def _reset_pages(engine: Any, crawl_id: int) -> None:
    """A retried task starts from a clean crawl: no page is stored twice."""
    from sqlalchemy import delete

    from seology.store.engine import session_scope
    from seology.store.models import Link, Page, Resource

    with session_scope(engine) as session:
        for model in (Link, Resource, Page):
            session.execute(delete(model).where(model.crawl_id == crawl_id))


def _unreachable(engine: Any, crawl_id: int) -> str | None:
    return storage.unreachable_start_error(engine, crawl_id=crawl_id)


def _store(engine: Any, crawl_id: int, records: list[PageRecord]) -> None:
    storage.store_pages(engine, crawl_id=crawl_id, records=records)


def _store_resources(engine: Any, crawl_id: int, records: list[ResourceRecord]) -> None:
    storage.store_resources(engine, crawl_id=crawl_id, records=records)


def retry_dead_site(*, elapsed: float, attempt: int, max_attempts: int, settings: Any) -> bool:
    """Whether a crawl that found its site down tries again, within the job's budget.

    The next attempt starts `crawl_unreachable_retry_delay` from now and, against a
    site that still does not answer, takes at most two request deadlines (robots.txt,
    then the start page). It is only made if it ends inside `crawl_unreachable_budget`
    counted from the job's first start: so a dead site's job ends FAILED within it.
    """
    attempt_bound = 2 * (settings.crawl_connect_timeout + settings.crawl_read_timeout)
    ends = elapsed + settings.crawl_unreachable_retry_delay + attempt_bound
    return attempt < max_attempts and ends <= settings.crawl_unreachable_budget


#: A crawl row's status for each way a job can end without finishing the crawl.
END_STATUS = {"CANCELLING": "cancelled", "CANCELLED": "cancelled", "CRASHED": "crashed",
              "FAILED": "failed"}  # fmt: skip


def record_job_end(flow: Any, flow_run: Any, state: Any) -> None:
    """Flow hook (cancel, crash, final failure): the crawl row says how the job ended.

    Runs in whichever process Prefect runs hooks in (the flow's, or its worker's), so
    it reads the database settings afresh and never raises.
    """
    status = END_STATUS.get(state.type.value)
    if status is None:
        return
    try:
        end_crawl(flow_engine(), flow_run_id=str(flow_run.id), status=status, error=state.message)
    except Exception as exc:  # a hook must not turn a cancel into a crash
        get_logger().warning(f"crawl end not recorded: {exc!r} (action=record_job_end)")


@task(name="finish-crawl", **RETRY_OPTIONS)
def finish_crawl(crawl_id: int, outcome: CrawlOutcome) -> None:
    """Mark the crawl completed and store its summary (the flow reads it back at the end)."""
    storage.finish_crawl(flow_engine(), crawl_id=crawl_id, outcome=outcome)


@task(name="record-crawl-failure", retries=2, retry_delay_seconds=1)
def record_failure(crawl_id: int, error: str) -> None:
    storage.fail_crawl(flow_engine(), crawl_id=crawl_id, error=error)


@task(name="record-changes", **RETRY_OPTIONS)
def record_changes(crawl_id: int, changes: dict[str, Any]) -> dict[str, Any]:
    """Put the change summary into the crawl's stored summary; return the whole summary
    (crawl, audit and changes), which is the job's result."""
    return storage.merge_summary(flow_engine(), crawl_id=crawl_id, extra={"changes": changes})
