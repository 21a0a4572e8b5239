"""Change detection: what a crawl found different from the site's previous crawl.

The comparison is a pure function of two snapshots, `compare_crawls(previous, current)`:
a snapshot holds, per requested URL, its own HTTP status and whether it is indexable,
and the set of audit issues as `(check_id, url) → severity`. Everything that touches
the database (loading snapshots, finding the previous crawl, storing the result) is a
plain function beside it, and `detect_changes` is the Prefect task the crawl flow calls
after its audit step. The stored `CrawlChange` row is keyed by crawl, so a retried run
overwrites its own result.

Lists are capped (`MAX_LISTED`, most severe issues first) so that a 10,000-page site
that moved to a new URL scheme stores kilobytes, not megabytes; `counts` always holds
the true totals. See docs/internals/monitoring.md.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, NamedTuple

from prefect import task
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from seology.db.engine import flow_engine, session_scope
from seology.db.models import Crawl, CrawlChange, Issue, Page
from seology.errors import InvalidInput, NotFound
from seology.logs import get_logger
from tasks.audit import facts
from tasks.crawler.records import PageRecord
from tasks.retries import RETRY_OPTIONS
from tasks.usage import dialect_insert

#: Entries kept per list of a change record; the counts are never capped.
MAX_LISTED = 500
#: Pages read per query when loading a snapshot.
READ_BATCH = 1000
#: Most severe first, so that the cap drops notices before errors.
SEVERITY_ORDER = {"error": 0, "warning": 1, "notice": 2}
#: The record keys indexability depends on (the rest of a record is never parsed here).
INDEXABILITY_KEYS = (
    "final_url", "status_code", "redirects", "is_html", "error",
    "meta_robots", "x_robots_tag", "canonicals",
)  # fmt: skip


class PageState(NamedTuple):
    """One URL of a crawl: what it answered itself, and whether it can be indexed."""

    status_code: int | None
    indexable: bool


class CrawlSnapshot(BaseModel):
    """What a crawl found, reduced to what change detection compares."""

    model_config = ConfigDict(frozen=True)

    crawl_id: int | None = None
    pages: Mapping[str, PageState] = Field(default_factory=dict)
    issues: Mapping[tuple[str, str], str] = Field(default_factory=dict)


class _Out(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True)


class IssueChange(_Out):
    check_id: str
    severity: str
    url: str


class StatusChange(_Out):
    url: str
    from_status: int | None = Field(alias="from")
    to_status: int | None = Field(alias="to")


class CrawlChanges(_Out):
    """The difference between two crawls; lists capped at `limit`, `counts` exact."""

    new_issues: list[IssueChange]
    fixed_issues: list[IssueChange]
    pages_appeared: list[str]
    pages_disappeared: list[str]
    status_changed: list[StatusChange]
    became_non_indexable: list[str]
    became_indexable: list[str]
    counts: dict[str, int]
    truncated: bool
    limit: int

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)


# --- the comparison (pure) -------------------------------------------------------------


def compare_crawls(
    previous: CrawlSnapshot, current: CrawlSnapshot, *, limit: int = MAX_LISTED
) -> CrawlChanges:
    """What changed from `previous` to `current`.

    Status and indexability changes are judged on URLs present in both crawls only; a
    page that went 200 → 404 is listed both as a status change and as having become
    non-indexable, since a non-2xx page cannot be indexed.
    """
    old, new = previous.pages, current.pages
    common = old.keys() & new.keys()
    found = {
        "newIssues": _issue_changes(current.issues, previous.issues),
        "fixedIssues": _issue_changes(previous.issues, current.issues),
        "pagesAppeared": sorted(new.keys() - old.keys()),
        "pagesDisappeared": sorted(old.keys() - new.keys()),
        "statusChanged": _status_changes(old, new, common),
        "becameNonIndexable": sorted(u for u in common if old[u].indexable > new[u].indexable),
        "becameIndexable": sorted(u for u in common if old[u].indexable < new[u].indexable),
    }
    counts = {name: len(items) for name, items in found.items()}
    counts |= {
        "pagesBefore": len(old), "pagesAfter": len(new),
        "issuesBefore": len(previous.issues), "issuesAfter": len(current.issues),
    }  # fmt: skip
    return CrawlChanges.model_validate(
        {name: items[:limit] for name, items in found.items()}
        | {"counts": counts, "truncated": any(len(v) > limit for v in found.values())}
        | {"limit": limit}
    )


def _issue_changes(
    these: Mapping[tuple[str, str], str], but_not: Mapping[tuple[str, str], str]
) -> list[IssueChange]:
    """Issues in `these` and not in `but_not`, most severe first, then by check and URL."""
    keys = sorted(
        these.keys() - but_not.keys(),
        key=lambda key: (SEVERITY_ORDER.get(these[key], len(SEVERITY_ORDER)), key),
    )
    return [IssueChange(check_id=c, severity=these[(c, url)], url=url) for c, url in keys]


def _status_changes(
    old: Mapping[str, PageState], new: Mapping[str, PageState], urls: set[str]
) -> list[StatusChange]:
    return [
        StatusChange(url=url, from_status=old[url].status_code, to_status=new[url].status_code)
        for url in sorted(urls)
        if old[url].status_code != new[url].status_code
    ]


# --- indexability of a stored page -----------------------------------------------------


def url_is_indexable(record: PageRecord) -> bool:
    """Whether search engines would index the requested URL itself.

    The audit's `facts.is_indexable` (2xx HTML, no noindex in meta robots or
    X-Robots-Tag, canonical to itself or none) judges the page *after* redirects; a
    URL that redirects is not indexable itself, whatever its target is.
    """
    return not record.redirects and facts.is_indexable(record)


def page_state(
    url: str, status_code: int | None, content_type: str | None, record: dict[str, Any] | None
) -> PageState:
    """A stored page's state from its columns and the indexability keys of its record."""
    data: dict[str, Any] = {
        "url": url,
        "status_code": status_code,
        "is_html": "html" in (content_type or ""),
    }
    data |= {key: record[key] for key in INDEXABILITY_KEYS if record and key in record}
    page = PageRecord.model_validate(data)
    return PageState(facts.own_status(page), url_is_indexable(page))


# --- reading and writing ---------------------------------------------------------------


def _page_rows(engine: Engine, crawl_id: int, batch: int) -> Iterator[Any]:
    """The crawl's pages, `batch` per query (keyset on the page id), one session each."""
    last_id = 0
    while True:
        with session_scope(engine) as session:
            rows = session.execute(
                select(Page.id, Page.url, Page.status_code, Page.content_type, Page.record)
                .where(Page.crawl_id == crawl_id, Page.id > last_id)
                .order_by(Page.id)
                .limit(batch)
            ).all()
        if not rows:
            return
        last_id = rows[-1].id
        yield from rows


def load_snapshot(engine: Engine, crawl_id: int, *, batch: int = READ_BATCH) -> CrawlSnapshot:
    """The pages and issues of crawl `crawl_id`, as `compare_crawls` reads them."""
    pages = {
        row.url: page_state(row.url, row.status_code, row.content_type, row.record)
        for row in _page_rows(engine, crawl_id, batch)
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


@task(name="detect-changes", task_run_name="detect-changes-crawl-{crawl_id}", **RETRY_OPTIONS)
def detect_changes(crawl_id: int) -> dict[str, Any]:
    """Store what changed since the site's previous crawl; return the counts."""
    previous_id, changes = crawl_changes(flow_engine(), crawl_id)
    if changes is None:
        get_logger().info(f"crawl {crawl_id} is the site's first (action=detect_changes)")
        return {"previousCrawlId": None}
    counts = changes.counts
    get_logger().info(
        f"crawl {crawl_id} vs {previous_id}: {counts['newIssues']} new issues, "
        f"{counts['fixedIssues']} fixed, {counts['pagesAppeared']} pages appeared, "
        f"{counts['pagesDisappeared']} disappeared "
        f"(action=detect_changes crawl_id={crawl_id} previous_crawl_id={previous_id})"
    )
    return {"previousCrawlId": previous_id, **counts}
