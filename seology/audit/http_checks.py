"""Section 1 of docs/audit-checks.md: HTTP answers, redirects, fetching, and link targets.

Link-target checks use the answers the crawl itself got: a target the crawl did not
request (outside `max_pages`, or disallowed) is not judged.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

from seology.audit import facts
from seology.audit.checks import crawl_check, listing, page_check
from seology.audit.config import AuditConfig
from seology.audit.index import Answer, SiteIndex
from seology.audit.model import Detail
from seology.crawler.records import PageRecord

LOOP_ERROR = "redirect loop"
HTML_SUFFIXES = (".html", ".htm", ".xhtml")


def _hops(page: PageRecord) -> list[Detail]:
    return [{"url": h.url, "status": h.status_code, "location": h.location} for h in page.redirects]


@page_check("http.4xx", scope="response")
def http_4xx(page: PageRecord, config: AuditConfig) -> Detail | None:
    status = page.status_code
    return {"status": status} if status is not None and 400 <= status < 500 else None


@page_check("http.5xx", scope="response")
def http_5xx(page: PageRecord, config: AuditConfig) -> Detail | None:
    status = page.status_code
    return {"status": status} if status is not None and status >= 500 else None


@page_check("http.no_response", scope="request")
def http_no_response(page: PageRecord, config: AuditConfig) -> Detail | None:
    return {"error": page.error} if page.status_code is None else None


@crawl_check("http.3xx_internal")
def http_3xx_internal(index: SiteIndex, config: AuditConfig) -> Iterator[tuple[str, Detail]]:
    """Every internal URL that answered a redirect, chain hops included."""
    for url, answer in index.answers.items():
        if answer.is_redirect:
            yield url, {"status": answer.status, "location": answer.location}


@page_check("redirect.chain", scope="request")
def redirect_chain(page: PageRecord, config: AuditConfig) -> Detail | None:
    looped = (page.error or "").startswith(LOOP_ERROR)
    if looped or len(page.redirects) < config.redirect_chain_min_hops:
        return None
    return {"hops": len(page.redirects), "chain": _hops(page), "finalUrl": page.final_url}


@page_check("redirect.loop", scope="request")
def redirect_loop(page: PageRecord, config: AuditConfig) -> Detail | None:
    if not (page.error or "").startswith(LOOP_ERROR):
        return None
    return {"error": page.error, "chain": _hops(page)}


@page_check("redirect.broken_target", scope="request")
def redirect_broken_target(page: PageRecord, config: AuditConfig) -> Detail | None:
    """A redirect that ends on 4xx/5xx, no answer, or a Location we cannot follow."""
    if not page.redirects or (page.error or "").startswith(LOOP_ERROR):
        return None
    status = page.status_code
    if page.error is None and status is not None and status < 400:
        return None
    target = page.final_url if page.error is None else page.redirects[-1].location
    return {"target": target, "status": status if page.error is None else None,
            "error": page.error}  # fmt: skip


@page_check("redirect.meta_refresh")
def redirect_meta_refresh(page: PageRecord, config: AuditConfig) -> Detail | None:
    content = page.meta_refresh or ""
    return {"content": content} if "url=" in content.lower().replace(" ", "") else None


@crawl_check("http.blocked_by_robots")
def http_blocked_by_robots(index: SiteIndex, config: AuditConfig) -> Iterator[tuple[str, Detail]]:
    """Internal link targets that robots.txt disallows to our user agent."""
    if index.robots is None:
        return
    targets = dict.fromkeys(t for page in index.pages.values() for t in page.links)
    for target in targets:
        if not index.robots.allows(target, index.user_agent):
            rule = index.robots.rule_for(target, index.user_agent) or "disallowed"
            yield target, {"rule": rule, "userAgent": index.user_agent}


@page_check("http.slow_response", scope="response")
def http_slow_response(page: PageRecord, config: AuditConfig) -> Detail | None:
    elapsed = page.response_time_ms
    if elapsed is None or elapsed <= config.slow_response_ms:
        return None
    return {"responseTimeMs": elapsed, "thresholdMs": config.slow_response_ms}


@page_check("http.page_too_large", scope="response")
def http_page_too_large(page: PageRecord, config: AuditConfig) -> Detail | None:
    size = page.size_bytes or 0
    if not page.is_html or (size <= config.max_html_bytes and not page.truncated):
        return None
    return {"sizeBytes": size, "truncated": page.truncated, "maxBytes": config.max_html_bytes}


@page_check("http.page_capped", scope="response")
def http_page_capped(page: PageRecord, config: AuditConfig) -> Detail | None:
    """The record keeps the first N of each list (settings `SEOLOGY_CRAWL_MAX_*_PER_PAGE`)."""
    if not page.capped:
        return None
    kept = {name: len(_kept(page, name)) for name in page.capped}
    return {"found": dict(page.capped), "kept": kept}


def _kept(page: PageRecord, name: str) -> list[object]:
    return page.heading_levels if name == "headings" else getattr(page, name)


@page_check("http.bad_content_type", scope="response")
def http_bad_content_type(page: PageRecord, config: AuditConfig) -> Detail | None:
    """No Content-Type on a 2xx answer, or an `.html` URL served as something else."""
    if not facts.is_success(page.status_code):
        return None
    if not page.content_type:
        return {"contentType": None}
    path = urlsplit(facts.page_url(page)).path.lower()
    if path.endswith(HTML_SUFFIXES) and not page.is_html:
        return {"contentType": page.content_type}
    return None


def _link_targets(index: SiteIndex) -> Iterator[tuple[str, list[tuple[str, Answer]]]]:
    """Each page with its internal link targets that redirect or fail, and their answers."""
    problems = index.problem_answers()
    for page in index.pages.values():
        found = [(t, problems[t]) for t in page.links if t in problems]
        if found:
            yield page.url, found


@crawl_check("links.to_broken_internal")
def links_to_broken_internal(index: SiteIndex, config: AuditConfig) -> Iterator[tuple[str, Detail]]:
    for url, answered in _link_targets(index):
        broken = [{"target": t, "status": a.describe()} for t, a in answered if a.is_broken]
        if broken:
            yield url, {"count": len(broken), "targets": listing(broken)}


@crawl_check("links.to_redirect")
def links_to_redirect(index: SiteIndex, config: AuditConfig) -> Iterator[tuple[str, Detail]]:
    for url, answered in _link_targets(index):
        moved = [
            {"target": t, "status": a.status, "location": a.location}
            for t, a in answered
            if a.is_redirect
        ]
        if moved:
            yield url, {"count": len(moved), "targets": listing(moved)}
