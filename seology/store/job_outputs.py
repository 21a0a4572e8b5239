"""What a job produced, read from the app database by flow run id.

Prefect keeps a job's state; its outputs (a crawl's summary, an analysis) live in the
app database keyed by the flow run id, where any process can read them. Progress comes
from the same rows: the crawl flow updates its page count as it goes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, bindparam, delete, func, select, update

from seology.store.engine import read_connection, session_scope
from seology.store.models import Analysis, Crawl, CrawlChange, Issue, Link, Page


@dataclass(frozen=True, kw_only=True)
class JobOutputs:
    result: dict[str, Any] | None = None
    #: 0–100, for jobs that report progress.
    progress: float | None = None


def read_outputs(engine: Engine, job_type: str, flow_run_id: str) -> JobOutputs | None:
    """The outputs of `flow_run_id`, or None when it has written nothing yet."""
    reader = _READERS.get(job_type)
    return reader(engine, flow_run_id) if reader else None


def _crawl_outputs(engine: Engine, flow_run_id: str) -> JobOutputs | None:
    # Three columns on a plain connection, not an ORM session: this runs on every
    # status poll of a crawl (half the cost of an ORM load of the row).
    with read_connection(engine) as connection:
        row = connection.execute(_CRAWL_OUTPUTS, {"flow_run_id": flow_run_id}).one_or_none()
    if row is None:
        return None
    summary, pages_crawled, max_pages = row
    progress = 100.0 * pages_crawled / max(max_pages, 1)
    return JobOutputs(result=summary, progress=min(progress, 100.0))


def _analysis_outputs(engine: Engine, flow_run_id: str) -> JobOutputs | None:
    with read_connection(engine) as connection:
        row = connection.execute(_ANALYSIS_OUTPUTS, {"flow_run_id": flow_run_id}).one_or_none()
    if row is None:
        return None
    return JobOutputs(result=row.result, progress=100.0)


# Built once: building and keying a statement per poll cost more than running it.
_CRAWL_OUTPUTS = select(Crawl.summary, Crawl.pages_crawled, Crawl.max_pages).where(
    Crawl.flow_run_id == bindparam("flow_run_id")
)
_ANALYSIS_OUTPUTS = select(Analysis.result).where(Analysis.flow_run_id == bindparam("flow_run_id"))
_READERS = {"crawl": _crawl_outputs, "analysis": _analysis_outputs}

#: Crawl statuses a job's end may overwrite: a crawl that completed or recorded its own
#: failure keeps what it wrote.
UNFINISHED = ("running", "crashed")


def end_crawl(engine: Engine, *, flow_run_id: str, status: str, error: str | None) -> bool:
    """Record how the job of an unfinished crawl ended; True if a row changed.

    For the ends that skip the flow's own bookkeeping: a cancel (the process is
    stopped, or the run never started again), a crash (the process died) and a final
    failure decided outside the flow (the recovery flow's "worker lost").
    """
    with session_scope(engine) as session:
        done = session.execute(
            update(Crawl)
            .where(Crawl.flow_run_id == flow_run_id, Crawl.status.in_(UNFINISHED))
            .values(status=status, error=(error or status)[:2000], finished_at=datetime.now(UTC))
        )
        return bool(done.rowcount)


#: Crawls deleted per transaction: short write locks on SQLite.
PRUNE_BATCH = 200


def delete_outputs(engine: Engine, flow_run_ids: list[str]) -> int:
    """Delete the crawls and analyses of deleted jobs, but each site's latest of each.

    A site's latest crawl and analysis are what its issues, reports and analysis views
    read, so they stay even when the job that made them is gone. Returns crawls deleted.
    """
    with session_scope(engine) as session:
        crawl_ids = _not_latest(session, Crawl, Crawl.started_at, flow_run_ids)
        analysis_ids = _not_latest(session, Analysis, Analysis.created_at, flow_run_ids)
        if analysis_ids:
            session.execute(delete(Analysis).where(Analysis.id.in_(analysis_ids)))
    from seology.store.crawl_slots import forget_keys

    forget_keys(engine, flow_run_ids)
    return delete_crawls(engine, crawl_ids)


def _not_latest(session: Any, model: Any, newest_by: Any, flow_run_ids: list[str]) -> list[int]:
    """Ids of `model` rows made by `flow_run_ids`, leaving out each site's newest row."""
    rank = func.row_number().over(
        partition_by=model.site_id, order_by=(newest_by.desc(), model.id.desc())
    )
    ranked = select(model.id, model.flow_run_id, rank.label("rank")).subquery()
    ids: list[int] = []
    for start in range(0, len(flow_run_ids), PRUNE_BATCH):
        batch = flow_run_ids[start : start + PRUNE_BATCH]
        query = select(ranked.c.id).where(ranked.c.rank > 1, ranked.c.flow_run_id.in_(batch))
        ids.extend(session.scalars(query))
    return ids


def delete_crawls(engine: Engine, crawl_ids: list[int]) -> int:
    """Delete crawls and everything hanging off them, without relying on FK cascades."""
    for start in range(0, len(crawl_ids), PRUNE_BATCH):
        batch = crawl_ids[start : start + PRUNE_BATCH]
        with session_scope(engine) as session:
            for model in (Link, Issue, Page, CrawlChange):
                session.execute(delete(model).where(model.crawl_id.in_(batch)))
            session.execute(
                update(CrawlChange)
                .where(CrawlChange.previous_crawl_id.in_(batch))
                .values(previous_crawl_id=None)
            )
            session.execute(
                update(Analysis).where(Analysis.crawl_id.in_(batch)).values(crawl_id=None)
            )
            session.execute(delete(Crawl).where(Crawl.id.in_(batch)))
    return len(crawl_ids)
