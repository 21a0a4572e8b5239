"""The audit's writes: a crawl's issues replaced, its health score and counts recorded.

A retried audit deletes the crawl's issues first, so a retry never duplicates them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, delete, insert

from seology.audit import AuditResult
from seology.store.engine import session_scope
from seology.store.models import Crawl, Issue

WRITE_BATCH = 1000


def store_audit(engine: Engine, crawl_id: int, result: AuditResult) -> dict[str, Any]:
    """Replace the crawl's issues with `result`'s; record the score and counts."""
    with session_scope(engine) as session:
        session.execute(delete(Issue).where(Issue.crawl_id == crawl_id))
    rows = [{"crawl_id": crawl_id, **issue.as_row()} for issue in result.issues]
    for start in range(0, len(rows), WRITE_BATCH):
        with session_scope(engine) as session:
            session.execute(insert(Issue), rows[start : start + WRITE_BATCH])
    return _record_score(engine, crawl_id, result)


def _record_score(engine: Engine, crawl_id: int, result: AuditResult) -> dict[str, Any]:
    with session_scope(engine) as session:
        crawl = session.get(Crawl, crawl_id)
        assert crawl is not None  # created by begin_crawl in this run
        crawl.health_score = result.health_score
        crawl.summary = {"siteId": crawl.site_id, **(crawl.summary or {}), **result.summary()}
        return dict(crawl.summary)
