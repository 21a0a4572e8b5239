"""How checks are written and found: two decorators and two tables.

A *page check* looks at one record and returns the evidence (a `Detail` dict) when it
fires, or None:

    @page_check("title.too_long")
    def title_too_long(page: PageRecord, config: AuditConfig) -> Detail | None: ...

Its `scope` says which records it sees and which URL the issue names: "content"
(parsed 2xx HTML pages, once per final URL), "response" (every record, named by the
URL that answered) or "request" (every record, named by the URL requested).

A *crawl check* sees the whole crawl (`SiteIndex`) and yields `(url, detail)` pairs:
duplicates, orphans, link and canonical targets, hreflang return links, sitemaps.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from seology.audit.config import AuditConfig
from seology.audit.model import Detail
from seology.audit.registry import CHECKS
from seology.crawler.records import PageRecord

if TYPE_CHECKING:
    from seology.audit.index import SiteIndex

Scope = Literal["content", "response", "request"]
PageFn = Callable[[PageRecord, AuditConfig], Detail | None]
CrawlFn = Callable[["SiteIndex", AuditConfig], Iterable[tuple[str, Detail]]]


@dataclass(frozen=True)
class PageCheck:
    check_id: str
    scope: Scope
    fn: PageFn


PAGE_CHECKS: dict[str, PageCheck] = {}
CRAWL_CHECKS: dict[str, CrawlFn] = {}


def _claim(check_id: str) -> None:
    """Each registry id gets exactly one implementation."""
    if check_id not in CHECKS:
        raise KeyError(f"{check_id} is not in the registry")
    if check_id in PAGE_CHECKS or check_id in CRAWL_CHECKS:
        raise KeyError(f"{check_id} is implemented twice")


def page_check(check_id: str, scope: Scope = "content") -> Callable[[PageFn], PageFn]:
    """Register `fn` as the page check of `check_id`."""

    def register(fn: PageFn) -> PageFn:
        _claim(check_id)
        PAGE_CHECKS[check_id] = PageCheck(check_id, scope, fn)
        return fn

    return register


def crawl_check(check_id: str) -> Callable[[CrawlFn], CrawlFn]:
    """Register `fn` as the crawl check of `check_id`."""

    def register(fn: CrawlFn) -> CrawlFn:
        _claim(check_id)
        CRAWL_CHECKS[check_id] = fn
        return fn

    return register


def listing(values: Iterable[object], limit: int = 20) -> list[object]:
    """At most `limit` items of evidence: enough to act on, bounded in size."""
    out = []
    for value in values:
        if len(out) >= limit:
            break
        out.append(value)
    return out
