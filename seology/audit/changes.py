"""Change detection: what a crawl found different from the site's previous crawl.

The comparison is a pure function of two snapshots, `compare_crawls(previous, current)`:
a snapshot holds, per requested URL, its own HTTP status and whether it is indexable,
and the set of audit issues as `(check_id, url) → severity`. What touches the
database (loading snapshots, finding the previous crawl, storing the result) is in
`seology.store.changes`, and `tasks.changes.detect_changes` is the Prefect task the crawl
flow calls after its audit step. The stored `CrawlChange` row is keyed by crawl, so a retried run
overwrites its own result.

Lists are capped (`MAX_LISTED`, most severe issues first) so that a 10,000-page site
that moved to a new URL scheme stores kilobytes, not megabytes; `counts` always holds
the true totals. See docs/internals/monitoring.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from pydantic import BaseModel, ConfigDict, Field

from seology.audit import facts
from seology.core.models import CamelModel
from seology.crawler.records import PageRecord

#: Entries kept per list of a change record; the counts are never capped.
MAX_LISTED = 500
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


class _Out(CamelModel):
    model_config = ConfigDict(frozen=True)


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
