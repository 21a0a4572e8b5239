"""Section 8 of docs/audit-checks.md: sitemaps and robots.txt, from the crawl's outcome.

Site-level issues name the file they are about: the robots.txt URL, the sitemap's
URL, or (for a missing sitemap) the crawl's start URL. Sitemap URLs are judged only
if the crawl fetched them (`PageRecord.in_sitemap`); a listed URL disallowed to our
user agent is never fetched, so it is found in `CrawlOutcome.blocked_urls` instead,
when no crawled page links to it (see docs/internals/audit.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

from seology.audit.checks import crawl_check, listing
from seology.audit.config import AuditConfig
from seology.audit.index import SiteIndex
from seology.audit.model import Detail
from seology.audit.robots_rules import validate

AI_BOTS = (
    "GPTBot",
    "Google-Extended",
    "ClaudeBot",
    "anthropic-ai",
    "OAI-SearchBot",
    "ChatGPT-User",
    "PerplexityBot",
    "Claude-User",
)
TOO_BIG_MARKS = ("more than 50000 URLs", "larger than 50 MB")


def origin_url(url: str, path: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def _robots_url(index: SiteIndex) -> str:
    return origin_url(index.start_url or "", "/robots.txt")


@crawl_check("sitemap.missing")
def sitemap_missing(index: SiteIndex, config: AuditConfig) -> Iterator[tuple[str, Detail]]:
    """No sitemap file could be read (from robots.txt `Sitemap:` lines or /sitemap.xml)."""
    outcome = index.outcome
    if outcome is not None and not outcome.sitemaps:
        yield index.start_url or outcome.start_url, {"errors": outcome.sitemap_errors}


def _file_errors(index: SiteIndex, too_big: bool) -> Iterator[tuple[str, Detail]]:
    outcome = index.outcome
    if outcome is None:
        return
    for url, error in outcome.sitemap_errors.items():
        is_big = any(mark in error for mark in TOO_BIG_MARKS)
        if url in outcome.sitemaps and is_big == too_big:
            yield url, {"error": error}


@crawl_check("sitemap.parse_error")
def sitemap_parse_error(index: SiteIndex, config: AuditConfig) -> Iterator[tuple[str, Detail]]:
    return _file_errors(index, too_big=False)


@crawl_check("sitemap.too_big")
def sitemap_too_big(index: SiteIndex, config: AuditConfig) -> Iterator[tuple[str, Detail]]:
    return _file_errors(index, too_big=True)


@crawl_check("sitemap.non_200_url")
def sitemap_non_200_url(index: SiteIndex, config: AuditConfig) -> Iterator[tuple[str, Detail]]:
    for url, answer in index.sitemap_listed.items():
        if answer.status is not None and answer.status >= 300:
            yield url, {"status": answer.status, "location": answer.location}


@crawl_check("sitemap.noindex_url")
def sitemap_noindex_url(index: SiteIndex, config: AuditConfig) -> Iterator[tuple[str, Detail]]:
    for page in index.pages.values():
        if page.in_sitemap and not page.redirected and page.noindex:
            yield page.url, {"noindex": True}


@crawl_check("sitemap.non_canonical_url")
def sitemap_non_canonical_url(
    index: SiteIndex, config: AuditConfig
) -> Iterator[tuple[str, Detail]]:
    for page in index.pages.values():
        canonical = page.canonical
        if page.in_sitemap and not page.redirected and canonical and canonical != page.url:
            yield page.url, {"canonical": canonical}


@crawl_check("sitemap.blocked_url")
def sitemap_blocked_url(index: SiteIndex, config: AuditConfig) -> Iterator[tuple[str, Detail]]:
    """Listed pages that robots.txt disallows to Googlebot, or to us (never fetched)."""
    for url in index.sitemap_listed:
        rule = index.robots_block(url)
        if rule:
            yield url, {"rule": rule}
    linked = {target for page in index.pages.values() for target in page.links}
    for url in index.outcome.blocked_urls if index.outcome else ():
        rule = index.robots_block(url)
        if url not in linked and url not in index.sitemap_listed and rule:
            yield url, {"rule": rule}


@crawl_check("sitemap.indexable_not_listed")
def sitemap_indexable_not_listed(
    index: SiteIndex, config: AuditConfig
) -> Iterator[tuple[str, Detail]]:
    if not index.sitemap_exists:
        return
    for page in index.pages.values():
        if page.indexable and not page.redirected and not page.in_sitemap:
            yield page.url, {"sitemaps": listing(index.outcome.sitemaps if index.outcome else [])}


@crawl_check("robots.missing")
def robots_missing(index: SiteIndex, config: AuditConfig) -> Iterator[tuple[str, Detail]]:
    status = index.outcome.robots_status if index.outcome else None
    if status is not None and 400 <= status < 500:
        yield _robots_url(index), {"status": status}


@crawl_check("robots.server_error")
def robots_server_error(index: SiteIndex, config: AuditConfig) -> Iterator[tuple[str, Detail]]:
    """5xx or no answer: RFC 9309 says crawlers must then assume everything is disallowed."""
    if index.outcome is None:
        return
    status, error = index.outcome.robots_status, index.outcome.robots_error
    if status is None or status >= 500:
        yield _robots_url(index), {"status": status, **({"error": error} if error else {})}
    elif error is not None:  # answered, but not readable in time: as good as no answer
        yield _robots_url(index), {"status": status, "error": error}


@crawl_check("robots.invalid")
def robots_invalid(index: SiteIndex, config: AuditConfig) -> Iterator[tuple[str, Detail]]:
    text = index.outcome.robots_txt if index.outcome else None
    problems = validate(text) if text else []
    if problems:
        yield _robots_url(index), {"count": len(problems), "problems": listing(problems)}


@crawl_check("robots.ai_bots_blocked")
def robots_ai_bots_blocked(index: SiteIndex, config: AuditConfig) -> Iterator[tuple[str, Detail]]:
    if index.robots is None:
        return
    root = origin_url(index.start_url or "", "/")
    blocked = [bot for bot in AI_BOTS if not index.robots.allows(root, bot)]
    if blocked:
        yield _robots_url(index), {"bots": blocked}
