"""Section 6 of docs/audit-checks.md: indexability and robots directives."""

from __future__ import annotations

from collections.abc import Iterator

from seology.audit import facts
from seology.audit.checks import crawl_check, page_check
from seology.audit.config import AuditConfig
from seology.audit.index import SiteIndex
from seology.audit.model import Detail
from seology.crawler.records import PageRecord


def _sources(page: PageRecord) -> Detail:
    return {"metaRobots": page.meta_robots, "xRobotsTag": page.x_robots_tag}


@page_check("indexability.noindex")
def indexability_noindex(page: PageRecord, config: AuditConfig) -> Detail | None:
    return _sources(page) if facts.is_noindex(page) else None


@page_check("indexability.nofollow_page")
def indexability_nofollow_page(page: PageRecord, config: AuditConfig) -> Detail | None:
    return _sources(page) if facts.robots_directives(page) & facts.NOFOLLOW else None


@page_check("directives.outside_head")
def directives_outside_head(page: PageRecord, config: AuditConfig) -> Detail | None:
    return {"metaRobots": page.meta_robots} if page.robots_meta_in_body else None


@crawl_check("indexability.noindex_but_blocked")
def indexability_noindex_but_blocked(
    index: SiteIndex, config: AuditConfig
) -> Iterator[tuple[str, Detail]]:
    """noindex pages that robots.txt disallows to us or to Googlebot."""
    for page in index.pages.values():
        rule = index.robots_block(page.url) if page.noindex else None
        if rule:
            yield page.url, {"rule": rule}
