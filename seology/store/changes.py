"""Change records: the snapshots of two crawls read, and their comparison stored.

The comparison itself is `seology.audit.changes.compare_crawls`, a pure function.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from seology.audit.changes import CrawlChanges, CrawlSnapshot, compare_crawls, page_state
from seology.core.errors import InvalidInput, NotFound
from seology.store.engine import session_scope
from seology.store.models import Crawl, CrawlChange, Issue, Page
from seology.store.pages import iter_page_rows
from seology.store.usage import dialect_insert

#: Pages read per query when loading a snapshot.
READ_BATCH = 1000


def load_snapshot(engine: Engine, crawl_id: int, *, batch: int = READ_BATCH) -> CrawlSnapshot:
    """The pages and issues of crawl `crawl_id`, as `compare_crawls` reads them."""
    pages = {
        row.url: page_state(row.url, row.status_code, row.content_type, row.record)
        for row in iter_page_rows(
            engine,
            crawl_id,
            Page.url,
            Page.status_code,
            Page.content_type,
            Page.record,
            batch=batch,
        )
    }
    with session_scope(engine) as session:
        rows = session.execute(
            select(Issue.check_id, Issue.url, Issue.severity)
            .where(Issue.crawl_id == crawl_id)
            .order_by(Issue.id)
        )
        issues: dict[tuple[str, str], str] = {}
        for check_id, url, severity in rows:
            issues.setdefault((check_id, url), severity)
    return CrawlSnapshot(crawl_id=crawl_id, pages=pages, issues=issues)


def completed_crawl(session: Session, crawl_id: int) -> Crawl:
    """Crawl `crawl_id`, which must have completed: a partial crawl compares falsely."""
    crawl = session.get(Crawl, crawl_id)
    if crawl is None:
        raise NotFound(f"No crawl with id {crawl_id}.")
    if crawl.status != "completed":
        raise InvalidInput(f"Crawl {crawl_id} is {crawl.status}; only completed crawls compare.")
    return crawl


def previous_crawl_id(session: Session, crawl: Crawl) -> int | None:
    """The site's last completed crawl that finished before `crawl`, or None."""
    reference = crawl.finished_at or crawl.started_at
    return session.scalar(
        select(Crawl.id)
        .where(
            Crawl.site_id == crawl.site_id,
            Crawl.status == "completed",
            Crawl.id != crawl.id,
            Crawl.finished_at < reference,
        )
        .order_by(Crawl.finished_at.desc(), Crawl.id.desc())
        .limit(1)
    )


def save_changes(
    engine: Engine, *, crawl_id: int, site_id: int, previous_id: int, changes: CrawlChanges
) -> None:
    """Upsert the crawl's change record: a retried run overwrites its own row."""
    row = {
        "crawl_id": crawl_id, "previous_crawl_id": previous_id, "site_id": site_id,
        "changes": changes.to_json(), "created_at": datetime.now(UTC),
    }  # fmt: skip
    with session_scope(engine) as session:
        statement = dialect_insert(session)(CrawlChange).values(row)
        statement = statement.on_conflict_do_update(
            index_elements=["crawl_id"],
            set_={k: statement.excluded[k] for k in row if k != "crawl_id"},
        )
        session.execute(statement)


def clear_changes(engine: Engine, *, crawl_id: int) -> None:
    """Drop a stale change record of a crawl that now has no predecessor."""
    with session_scope(engine) as session:
        session.execute(delete(CrawlChange).where(CrawlChange.crawl_id == crawl_id))


def crawl_changes(engine: Engine, crawl_id: int) -> tuple[int | None, CrawlChanges | None]:
    """Compare crawl `crawl_id` with its predecessor and store the result.

    A site's first crawl has nothing to compare with: `(None, None)`, and no row.
    """
    with session_scope(engine) as session:
        crawl = completed_crawl(session, crawl_id)
        site_id, previous_id = crawl.site_id, previous_crawl_id(session, crawl)
    if previous_id is None:
        clear_changes(engine, crawl_id=crawl_id)
        return None, None
    changes = compare_crawls(load_snapshot(engine, previous_id), load_snapshot(engine, crawl_id))
    save_changes(
        engine, crawl_id=crawl_id, site_id=site_id, previous_id=previous_id, changes=changes
    )
    return previous_id, changes


# --- the Prefect task ------------------------------------------------------------------
