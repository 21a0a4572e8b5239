"""Monitoring events of a site, from a re-crawl and its change detection.

`site.new_errors`, `site.health_dropped`, `site.recovered` after a completed crawl,
`site.unreachable` after a crawl whose start page failed on its last attempt. The
rules are plain functions of the two crawls (`decide_*`); `record_*` reads the crawls
and writes the outbox (`seology.store.outbox`). Only sites with monitoring enabled raise
them, and only to the site's owner. An event's id is the crawl's and the type's, so a
retried task records it once.

Unreachable and recovered are transitions: a site that stays down is reported once,
not at every re-crawl, and recovered only follows an unreachable crawl.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from seology.store.engine import session_scope
from seology.store.models import Crawl, CrawlChange, Site
from seology.store.outbox import record_event, subscribers

#: The failure text of a crawl whose start page could not be fetched (tasks.crawl).
UNREACHABLE_MARK = "could not be fetched"
#: Examples of new errors listed in a `site.new_errors` event.
MAX_EXAMPLES = 10


@dataclass(frozen=True, kw_only=True)
class CrawlFacts:
    """What the rules need of one crawl."""

    crawl_id: int
    job_id: str
    status: str
    health_score: float | None
    error: str | None

    @property
    def unreachable(self) -> bool:
        return self.status == "failed" and UNREACHABLE_MARK in (self.error or "")


def decide_after_completed(
    current: CrawlFacts,
    previous: CrawlFacts | None,
    new_issues: list[dict[str, Any]],
    *,
    drop_points: float,
) -> list[tuple[str, dict[str, Any]]]:
    """(type, data) of each event a completed crawl raises."""
    found: list[tuple[str, dict[str, Any]]] = []
    errors = [issue for issue in new_issues if issue.get("severity") == "error"]
    if errors:
        by_check = Counter(issue["checkId"] for issue in errors)
        examples = [{"checkId": i["checkId"], "url": i["url"]} for i in errors[:MAX_EXAMPLES]]
        found.append(
            (
                "site.new_errors",
                {"count": len(errors), "byCheck": dict(by_check), "examples": examples},
            )
        )
    if previous is None:
        return found
    before, after = previous.health_score, current.health_score
    if before is not None and after is not None and before - after >= drop_points:
        drop = round(before - after, 1)
        found.append(
            ("site.health_dropped", {"previousScore": before, "score": after, "drop": drop})
        )
    if previous.unreachable:
        found.append(("site.recovered", {"downSinceCrawlId": previous.crawl_id}))
    return found


def decide_after_failed(current: CrawlFacts, previous: CrawlFacts | None) -> bool:
    """Whether a crawl that failed on its last attempt makes the site newly unreachable."""
    return current.unreachable and not (previous is not None and previous.unreachable)


def _facts(crawl: Crawl) -> CrawlFacts:
    return CrawlFacts(
        crawl_id=crawl.id, job_id=crawl.flow_run_id, status=crawl.status,
        health_score=crawl.health_score, error=crawl.error,
    )  # fmt: skip


def _previous(session: Session, crawl: Crawl) -> Crawl | None:
    """The site's last crawl that ended before this one began, completed or failed."""
    return session.scalar(
        select(Crawl)
        .where(
            Crawl.site_id == crawl.site_id,
            Crawl.id != crawl.id,
            Crawl.status.in_(("completed", "failed")),
            Crawl.started_at < crawl.started_at,
        )
        .order_by(Crawl.started_at.desc(), Crawl.id.desc())
        .limit(1)
    )


def record_after_crawl(engine: Engine, crawl_id: int, *, drop_points: float) -> list[str]:
    """Record the events the crawl raises (completed or failed for good); their types."""
    with session_scope(engine) as session:
        crawl = session.get(Crawl, crawl_id)
        site = session.get(Site, crawl.site_id) if crawl else None
        if crawl is None or site is None or not site.monitoring_enabled:
            return []
        previous = _previous(session, crawl)
        current, before = _facts(crawl), _facts(previous) if previous else None
        if crawl.status == "completed":
            change = session.scalar(select(CrawlChange).where(CrawlChange.crawl_id == crawl.id))
            new_issues = (change.changes or {}).get("newIssues", []) if change else []
            events = decide_after_completed(current, before, new_issues, drop_points=drop_points)
        elif decide_after_failed(current, before):
            events = [("site.unreachable", {"error": crawl.error})]
        else:
            events = []
        common = {
            "siteId": site.id, "siteUrl": site.url, "siteName": site.name,
            "jobId": crawl.flow_run_id, "crawlId": crawl.id,
            "previousCrawlId": before.crawl_id if before else None,
        }  # fmt: skip
        for event_type, data in events:
            record_event(
                session, event_id=f"evt_site_{crawl.id}_{event_type.split('.')[1]}",
                user_id=site.user_id, event_type=event_type, data={**common, **data},
                endpoints=subscribers(session, user_id=site.user_id, event_type=event_type),
            )  # fmt: skip
        return [event_type for event_type, _ in events]
