"""Section 5 of docs/audit-checks.md: canonicals (Lighthouse's rules where they are stricter)."""

from __future__ import annotations

from collections.abc import Iterator

from seology.audit import facts
from seology.audit.checks import crawl_check, page_check
from seology.audit.config import AuditConfig
from seology.audit.index import PageFacts, SiteIndex
from seology.audit.model import Detail
from seology.crawler.records import PageRecord


def _resolved(page: PageRecord, sources: tuple[str, ...]) -> list[str]:
    base = facts.page_url(page)
    found = (facts.resolve(c.href, base) for c in page.canonicals if c.source in sources)
    return [url for url in found if url]


@page_check("canonical.missing")
def canonical_missing(page: PageRecord, config: AuditConfig) -> Detail | None:
    if not facts.is_indexable(page) or page.canonicals:
        return None
    return {"url": facts.page_url(page)}


@page_check("canonical.multiple_conflicting")
def canonical_multiple_conflicting(page: PageRecord, config: AuditConfig) -> Detail | None:
    distinct = list(dict.fromkeys(_resolved(page, ("head", "header"))))
    return {"canonicals": distinct} if len(distinct) > 1 else None


@page_check("canonical.invalid")
def canonical_invalid(page: PageRecord, config: AuditConfig) -> Detail | None:
    base = facts.page_url(page)
    bad = [c.href for c in page.canonicals if facts.resolve(c.href, base) is None]
    return {"hrefs": bad} if bad else None


@page_check("canonical.relative")
def canonical_relative(page: PageRecord, config: AuditConfig) -> Detail | None:
    base = facts.page_url(page)
    relative = [
        c.href
        for c in page.canonicals
        if facts.resolve(c.href, base) is not None and not facts.is_absolute(c.href)
    ]
    return {"hrefs": relative} if relative else None


@page_check("canonical.points_to_root")
def canonical_points_to_root(page: PageRecord, config: AuditConfig) -> Detail | None:
    canonical, url = facts.canonical_url(page), facts.page_url(page)
    if canonical is None or canonical == url or not _is_root(canonical):
        return None
    return {"canonical": canonical}


def _is_root(url: str) -> bool:
    path_and_query = url.split("://", 1)[-1].partition("/")[2]
    return path_and_query == ""


@page_check("canonical.header_html_mismatch")
def canonical_header_html_mismatch(page: PageRecord, config: AuditConfig) -> Detail | None:
    header, html = _resolved(page, ("header",)), _resolved(page, ("head",))
    if not header or not html or set(header) == set(html):
        return None
    return {"header": header, "html": html}


@page_check("canonical.outside_head")
def canonical_outside_head(page: PageRecord, config: AuditConfig) -> Detail | None:
    hrefs = [c.href for c in page.canonicals if c.source == "body"]
    return {"hrefs": hrefs} if hrefs else None


def _canonicalised(index: SiteIndex) -> Iterator[tuple[PageFacts, str]]:
    """Pages whose canonical is another URL, with that URL."""
    for page in index.pages.values():
        if page.canonical and page.canonical != page.url:
            yield page, page.canonical


@crawl_check("canonical.to_non_200")
def canonical_to_non_200(index: SiteIndex, config: AuditConfig) -> Iterator[tuple[str, Detail]]:
    """Targets the crawl asked for that redirect or fail; others are not judged."""
    for page, target in _canonicalised(index):
        answer = index.answer(target)
        if answer is not None and (answer.is_redirect or answer.is_broken):
            yield page.url, {"canonical": target, "status": answer.describe()}


@crawl_check("canonical.to_non_indexable")
def canonical_to_non_indexable(
    index: SiteIndex, config: AuditConfig
) -> Iterator[tuple[str, Detail]]:
    for page, target in _canonicalised(index):
        blocked = index.robots_block(target)
        found = index.pages.get(target)
        if blocked:
            yield page.url, {"canonical": target, "reason": f"blocked by robots.txt: {blocked}"}
        elif found is not None and found.noindex:
            yield page.url, {"canonical": target, "reason": "noindex"}


@crawl_check("canonical.chain")
def canonical_chain(index: SiteIndex, config: AuditConfig) -> Iterator[tuple[str, Detail]]:
    for page, target in _canonicalised(index):
        found = index.pages.get(target)
        if found is not None and found.canonical and found.canonical != found.url:
            yield page.url, {"canonical": target, "targetCanonical": found.canonical}
