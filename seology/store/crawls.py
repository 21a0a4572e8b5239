"""Reading and writing job outputs in the app database (plain functions, no Prefect).

Every output row hangs off a crawl, and a crawl is identified by the flow run id that
produced it: a retried run finds its own crawl, clears what the failed attempt wrote,
and writes again, so a retry never duplicates pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, delete, insert, select, update

from seology.core.errors import SiteNotFound
from seology.crawler.records import CrawlOutcome, PageRecord, ResourceRecord
from seology.store.engine import session_scope
from seology.store.models import Crawl, Issue, Link, Page, Resource, Site
from seology.store.usage import count_usage, current_period


def usage_timezone() -> str:
    from seology.core.settings import get_settings

    return get_settings().timezone


@dataclass(frozen=True, kw_only=True)
class SiteInfo:
    """What a flow needs to know of a site; detached from any session."""

    id: int
    user_id: int
    url: str
    name: str


def load_site(engine: Engine, *, site_id: int, user_id: int) -> SiteInfo:
    """The site `site_id` if it belongs to `user_id`; `SiteNotFound` otherwise."""
    with session_scope(engine) as session:
        site = session.get(Site, site_id)
        if site is None or site.user_id != user_id:
            raise SiteNotFound(f"Site {site_id} does not exist or belongs to another user.")
        return SiteInfo(id=site.id, user_id=site.user_id, url=site.url, name=site.name)


def begin_crawl(
    engine: Engine,
    *,
    flow_run_id: str,
    site: SiteInfo,
    max_pages: int,
    attempt: int,
    render: str = "auto",
) -> int:
    """Create the crawl of `flow_run_id`, or reset it for a new attempt; return its id.

    The summary starts as the render mode asked for: a crawl that never finishes
    still records the site's last choice (`last_render_mode`).
    """
    with session_scope(engine) as session:
        crawl = session.scalar(select(Crawl).where(Crawl.flow_run_id == flow_run_id))
        if crawl is None:
            crawl = Crawl(
                flow_run_id=flow_run_id,
                site_id=site.id,
                user_id=site.user_id,
                start_url=site.url,
                max_pages=max_pages,
            )
            session.add(crawl)
            session.flush()
        else:
            _clear_crawl_outputs(session, crawl.id)
        crawl.status = "running"
        crawl.attempt = attempt
        crawl.pages_crawled = 0
        crawl.started_at = datetime.now(UTC)
        crawl.finished_at = None
        crawl.summary = {"rendering": {"mode": render}}
        crawl.error = None
        return crawl.id


def last_render_mode(engine: Engine, *, site_id: int) -> str:
    """The render mode of the site's newest crawl (`auto` for a site never crawled)."""
    with session_scope(engine) as session:
        summaries = session.scalars(
            select(Crawl.summary)
            .where(Crawl.site_id == site_id)
            .order_by(Crawl.started_at.desc(), Crawl.id.desc())
            .limit(5)
        )
        for summary in summaries:
            mode = ((summary or {}).get("rendering") or {}).get("mode")
            if mode in ("auto", "always", "never"):
                return str(mode)
    return "auto"


def _clear_crawl_outputs(session: Any, crawl_id: int) -> None:
    for model in (Link, Issue, Resource, Page):
        session.execute(delete(model).where(model.crawl_id == crawl_id))


def store_pages(engine: Engine, *, crawl_id: int, records: list[PageRecord]) -> None:
    """Write one batch of page records and their links in a single transaction."""
    if not records:
        return
    page_rows = [_page_row(crawl_id, record) for record in records]
    link_rows = [row for record in records for row in _link_rows(crawl_id, record)]
    with session_scope(engine) as session:
        session.execute(insert(Page), page_rows)
        if link_rows:
            session.execute(insert(Link), link_rows)


def _page_row(crawl_id: int, record: PageRecord) -> dict[str, Any]:
    return {
        "crawl_id": crawl_id,
        "url": record.url,
        "final_url": record.final_url,
        "status_code": record.status_code,
        "content_type": record.content_type,
        "depth": record.depth,
        "title": record.title,
        "meta_description": record.meta_description,
        "h1": record.h1,
        "word_count": record.word_count if record.is_html else None,
        "response_time_ms": record.response_time_ms,
        "size_bytes": record.size_bytes,
        "error": record.error,
        "record": record.model_dump(mode="json"),
        "fetched_at": record.fetched_at or datetime.now(UTC),
    }


def _link_rows(crawl_id: int, record: PageRecord) -> list[dict[str, Any]]:
    return [
        {
            "crawl_id": crawl_id,
            "source_url": record.url,
            "target_url": link.target or link.href,
            "anchor_text": link.anchor_text,
            "rel": link.rel,
            "is_internal": link.internal,
        }
        for link in record.links
    ]


def store_resources(engine: Engine, *, crawl_id: int, records: list[ResourceRecord]) -> None:
    """Write one batch of resource checks' records in a single transaction."""
    if not records:
        return
    rows = [_resource_row(crawl_id, record) for record in records]
    with session_scope(engine) as session:
        session.execute(insert(Resource), rows)


def _resource_row(crawl_id: int, record: ResourceRecord) -> dict[str, Any]:
    return {
        "crawl_id": crawl_id,
        "url": record.url,
        "kinds": ",".join(record.kinds),
        "checked": record.checked,
        "status_code": record.status_code,
        "location": record.location,
        "final_url": record.final_url,
        "final_status": record.final_status,
        "error": record.error,
        "problem": record.problem,
    }


def problem_resources(engine: Engine, *, crawl_id: int) -> list[ResourceRecord]:
    """The crawl's resource records some check may report (failed, or not 2xx themselves)."""
    with session_scope(engine) as session:
        rows = session.scalars(
            select(Resource).where(Resource.crawl_id == crawl_id, Resource.problem.is_(True))
        ).all()
        return [
            ResourceRecord(
                url=row.url,
                kinds=[kind for kind in row.kinds.split(",") if kind],  # type: ignore[misc]
                checked=row.checked,
                status_code=row.status_code,
                location=row.location,
                final_url=row.final_url,
                final_status=row.final_status,
                error=row.error,
            )
            for row in rows
        ]


def record_progress(engine: Engine, *, crawl_id: int, pages_crawled: int) -> None:
    """Keep the crawl's page count current: the job status reads progress from it."""
    with session_scope(engine) as session:
        session.execute(
            update(Crawl).where(Crawl.id == crawl_id).values(pages_crawled=pages_crawled)
        )


def finish_crawl(engine: Engine, *, crawl_id: int, outcome: CrawlOutcome) -> dict[str, Any]:
    """Mark the crawl completed with its summary; return the summary (the job's result)."""
    summary = crawl_summary(engine, crawl_id=crawl_id, outcome=outcome)
    with session_scope(engine) as session:
        crawl = session.get(Crawl, crawl_id)
        assert crawl is not None  # created by begin_crawl in this run
        if crawl.status != "completed":  # a retried finish counts the pages once
            count_usage(
                session,
                user_id=crawl.user_id,
                period=current_period(usage_timezone()),
                pages_crawled=outcome.pages_crawled,
            )
        crawl.status = "completed"
        crawl.pages_crawled = outcome.pages_crawled
        crawl.finished_at = datetime.now(UTC)
        crawl.summary = summary
    return summary


def crawl_summary(engine: Engine, *, crawl_id: int, outcome: CrawlOutcome) -> dict[str, Any]:
    """The result a user reads in the job status: counts, not pages."""
    with session_scope(engine) as session:
        crawl = session.get(Crawl, crawl_id)
        assert crawl is not None
        status_counts = _status_counts(session, crawl_id)
        return {
            "crawlId": crawl.id,
            "siteId": crawl.site_id,
            "startUrl": outcome.start_url,
            "pagesCrawled": outcome.pages_crawled,
            "htmlPages": outcome.html_pages,
            "errors": outcome.errors,
            "urlsDiscovered": outcome.urls_discovered,
            "blockedByRobots": outcome.urls_blocked_by_robots,
            "sitemapUrls": outcome.sitemap_urls,
            "stoppedBy": outcome.stopped_by,
            "durationSeconds": round(outcome.duration_seconds, 3),
            "statusCodes": status_counts,
            "resources": resource_summary(outcome),
            "rendering": rendering_summary(outcome),
            **_why_nothing(outcome),
        }


def resource_summary(outcome: CrawlOutcome) -> dict[str, Any]:
    """What the resource checks asked and what failed, in all and per kind."""
    by_kind = {
        kind: {"checked": c.checked, "failed": c.failed, "unchecked": c.unchecked}
        for kind, c in outcome.resources.items()
    }
    totals = {
        key: sum(counts[key] for counts in by_kind.values())
        for key in ("checked", "failed", "unchecked")
    }
    return {**totals, "byKind": by_kind}


def rendering_summary(outcome: CrawlOutcome) -> dict[str, Any] | None:
    """How many pages were rendered, why, in how long, and what they measured
    (camelCase, as the job result)."""
    rendering = outcome.rendering
    if rendering is None:
        return None
    return {
        "mode": rendering.mode,
        "available": rendering.available,
        "unavailableReason": rendering.unavailable_reason,
        "pagesRendered": rendering.pages_rendered,
        "reasons": rendering.reasons,
        "failures": rendering.failures,
        "seconds": rendering.seconds,
        "browser": rendering.browser,
        "lab": rendering.lab.model_dump(by_alias=True),
    }


def _why_nothing(outcome: CrawlOutcome) -> dict[str, Any]:
    """`{"note": ...}` saying why robots.txt left nothing to crawl; {} otherwise."""
    if outcome.stopped_by != "robots":
        return {}
    if outcome.robots_error is not None:
        why = f"{outcome.robots_error}; crawlers must then treat the site as disallowed"
    elif outcome.robots_status is not None and outcome.robots_status >= 500:
        why = (
            f"robots.txt answered HTTP {outcome.robots_status}; crawlers must then treat "
            "the site as disallowed"
        )
    else:
        why = "robots.txt disallows the start page for our user agent"
    return {"note": f"Nothing was crawled: {why}.", "robotsError": outcome.robots_error}


def _status_counts(session: Any, crawl_id: int) -> dict[str, int]:
    from sqlalchemy import func

    rows = session.execute(
        select(Page.status_code, func.count())
        .where(Page.crawl_id == crawl_id)
        .group_by(Page.status_code)
    ).all()
    return {str(code) if code is not None else "none": count for code, count in rows}


def merge_summary(engine: Engine, *, crawl_id: int, extra: dict[str, Any]) -> dict[str, Any]:
    """Add keys to the crawl's stored summary (the job's result); return the whole of it."""
    with session_scope(engine) as session:
        crawl = session.get(Crawl, crawl_id)
        assert crawl is not None  # created by begin_crawl in this run
        crawl.summary = {**(crawl.summary or {}), **extra}
        return dict(crawl.summary)


def unreachable_start_error(engine: Engine, *, crawl_id: int) -> str | None:
    """Why nothing could be fetched, when every URL of the crawl failed; else None."""
    with session_scope(engine) as session:
        pages = session.scalars(select(Page).where(Page.crawl_id == crawl_id).limit(2)).all()
        if not pages or any(page.status_code is not None for page in pages):
            return None
        first = min(pages, key=lambda page: page.depth)
        return first.error or "no response"


def fail_crawl(engine: Engine, *, crawl_id: int, error: str) -> None:
    """Record why the attempt failed; the next attempt (if any) resets the crawl."""
    with session_scope(engine) as session:
        session.execute(
            update(Crawl)
            .where(Crawl.id == crawl_id)
            .values(status="failed", error=error[:2000], finished_at=datetime.now(UTC))
        )


def crawl_for_flow_run(engine: Engine, flow_run_id: str) -> Crawl | None:
    """The crawl written by `flow_run_id`, detached, or None."""
    with session_scope(engine) as session:
        return session.scalar(select(Crawl).where(Crawl.flow_run_id == flow_run_id))
