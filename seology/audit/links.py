"""Section 7 of docs/audit-checks.md: links and site structure.

Anchor rules follow Lighthouse: `non_descriptive_anchor` skips nofollow,
`javascript:`, `mailto:` and same-page links; `uncrawlable_href` fails `javascript:`,
empty, `file:` and unparseable hrefs (there is no `role`/`name` in our link records,
so Lighthouse's pass for those attributes does not apply).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from urllib.parse import urlsplit

from seology.audit import facts
from seology.audit.checks import crawl_check, listing, page_check
from seology.audit.config import AuditConfig
from seology.audit.index import SiteIndex
from seology.audit.model import Detail
from seology.crawler.records import LinkRecord, PageRecord

NON_DESCRIPTIVE = frozenset(
    {
        "click here",
        "click this",
        "go",
        "here",
        "information",
        "learn more",
        "more",
        "more info",
        "more information",
        "right here",
        "read more",
        "see more",
        "start",
        "this",
    }
)


def _nofollow(link: LinkRecord) -> bool:
    return "nofollow" in link.rel.split()


def _scheme(link: LinkRecord) -> str:
    return link.href.strip().lower().split(":", 1)[0] if ":" in link.href else ""


@page_check("links.dead_end")
def links_dead_end(page: PageRecord, config: AuditConfig) -> Detail | None:
    return None if page.links else {"links": 0}


@page_check("links.internal_nofollow")
def links_internal_nofollow(page: PageRecord, config: AuditConfig) -> Detail | None:
    found = [link.target for link in page.links if link.internal and _nofollow(link)]
    return {"count": len(found), "targets": listing(found)} if found else None


def _same_page(link: LinkRecord, url: str) -> bool:
    return link.href.strip().startswith("#") or link.target == url


def _judged_anchor(link: LinkRecord, url: str) -> bool:
    """Lighthouse's link-text audit skips these links (and anchors without an href)."""
    skipped = link.onclick or _nofollow(link) or _scheme(link) in ("javascript", "mailto")
    return not skipped and not _same_page(link, url)


@page_check("links.non_descriptive_anchor")
def links_non_descriptive_anchor(page: PageRecord, config: AuditConfig) -> Detail | None:
    url = facts.page_url(page)
    found = [
        {"href": link.href, "text": link.anchor_text}
        for link in page.links
        if link.anchor_text.strip().lower() in NON_DESCRIPTIVE and _judged_anchor(link, url)
    ]
    return {"count": len(found), "links": listing(found)} if found else None


@page_check("links.empty_anchor")
def links_empty_anchor(page: PageRecord, config: AuditConfig) -> Detail | None:
    found = [
        link.target or link.href
        for link in page.links
        if link.internal and not link.anchor_text.strip() and not (link.image_alt or "").strip()
    ]
    return {"count": len(found), "targets": listing(found)} if found else None


def uncrawlable_reason(href: str, *, onclick: bool = False) -> str | None:
    """Why Lighthouse would call this href uncrawlable, or None.

    Only hrefs without a normalised target can fail: one with a target parsed fine.
    """
    if onclick:
        return "no href, only onclick"
    value = href.strip()
    if not value:
        return "empty href"
    lowered = value.lower()
    if lowered.startswith("javascript:"):
        return "javascript: URL"
    if lowered.startswith("file:"):
        return "file: URL"
    try:
        urlsplit(value).port  # noqa: B018 - parsing the port validates it
    except ValueError:
        return "unparseable URL"
    return None


@page_check("links.uncrawlable_href")
def links_uncrawlable_href(page: PageRecord, config: AuditConfig) -> Detail | None:
    found = [
        {"href": link.href, "reason": reason}
        for link in page.links
        if link.target is None and (reason := uncrawlable_reason(link.href, onclick=link.onclick))
    ]
    return {"count": len(found), "links": listing(found)} if found else None


@page_check("links.http_on_https")
def links_http_on_https(page: PageRecord, config: AuditConfig) -> Detail | None:
    if not facts.page_url(page).startswith("https:"):
        return None
    found = [
        link.target
        for link in page.links
        if link.internal and link.target and link.target.startswith("http:")
    ]
    return {"count": len(found), "targets": listing(found)} if found else None


@page_check("links.too_many")
def links_too_many(page: PageRecord, config: AuditConfig) -> Detail | None:
    """Counted from the page, not the record: a record keeps at most the per-page bound."""
    count = page.capped.get("links", len(page.links))
    return {"links": count, "limit": config.max_links} if count > config.max_links else None


@crawl_check("links.orphan")
def links_orphan(index: SiteIndex, config: AuditConfig) -> Iterator[tuple[str, Detail]]:
    """Sitemap pages no other crawled page links to (the start page is never an orphan)."""
    linked = {
        index.aliases.get(target, target)
        for page in index.pages.values()
        for target in page.links
        if index.aliases.get(target, target) != page.url
    }
    start = index.aliases.get(index.start_url or "", index.start_url)
    for page in index.pages.values():
        listed = page.in_sitemap and not page.redirected
        if listed and page.url not in linked and page.url != start:
            yield page.url, {"inSitemap": True, "inlinks": 0}


def click_depths(index: SiteIndex) -> dict[str, int]:
    """Clicks from the start page to each content page, breadth-first over links."""
    start = index.aliases.get(index.start_url or "", index.start_url or "")
    if start not in index.pages:
        return {}
    depths, queue = {start: 0}, deque([start])
    while queue:
        url = queue.popleft()
        for target in index.pages[url].links:
            found = index.aliases.get(target, target)
            if found in index.pages and found not in depths:
                depths[found] = depths[url] + 1
                queue.append(found)
    return depths


@crawl_check("links.high_crawl_depth")
def links_high_crawl_depth(index: SiteIndex, config: AuditConfig) -> Iterator[tuple[str, Detail]]:
    for url, depth in click_depths(index).items():
        if depth > config.max_click_depth:
            yield url, {"clicks": depth, "limit": config.max_click_depth}
