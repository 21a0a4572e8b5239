"""Section 10 of docs/audit-checks.md: mobile, HTML, structured data, social, security, URLs.

URL checks judge every crawled URL as requested (pages, redirects, files alike);
`url.tracking_params` judges the raw hrefs of a page's internal links, since the
crawler removes tracking parameters when it normalises link targets.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, unquote, urlsplit

from seology.audit import facts
from seology.audit.checks import listing, page_check
from seology.audit.config import AuditConfig
from seology.audit.model import Detail
from seology.crawler.records import PageRecord

OG_REQUIRED = ("og:title", "og:description", "og:image")
TRACKING_KEYS = frozenset({"gclid", "fbclid"})
_PERCENT_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")


@page_check("mobile.viewport_missing")
def mobile_viewport_missing(page: PageRecord, config: AuditConfig) -> Detail | None:
    content = (page.viewport or "").lower()
    usable = "width" in content or "initial-scale" in content
    return None if usable else {"viewport": page.viewport}


@page_check("html.charset_missing")
def html_charset_missing(page: PageRecord, config: AuditConfig) -> Detail | None:
    return None if page.charset else {"contentType": page.content_type}


@page_check("schema.parse_error")
def schema_parse_error(page: PageRecord, config: AuditConfig) -> Detail | None:
    errors = [block.error for block in page.json_ld if block.error]
    return {"count": len(errors), "errors": listing(errors)} if errors else None


@page_check("social.og_incomplete")
def social_og_incomplete(page: PageRecord, config: AuditConfig) -> Detail | None:
    missing = [key for key in OG_REQUIRED if not page.open_graph.get(key, "").strip()]
    return {"missing": missing} if missing else None


@page_check("security.http_page")
def security_http_page(page: PageRecord, config: AuditConfig) -> Detail | None:
    url = facts.page_url(page)
    return {"url": url} if url.startswith("http:") else None


@page_check("security.mixed_content")
def security_mixed_content(page: PageRecord, config: AuditConfig) -> Detail | None:
    found = page.mixed_content if facts.page_url(page).startswith("https:") else []
    return {"count": len(found), "resources": listing(found)} if found else None


@page_check("security.missing_hsts")
def security_missing_hsts(page: PageRecord, config: AuditConfig) -> Detail | None:
    if not facts.page_url(page).startswith("https:"):
        return None
    return None if "strict-transport-security" in page.security_headers else {"hsts": None}


def _path(page: PageRecord) -> str:
    """The requested URL's path without percent-escapes (their hex is uppercase)."""
    return _PERCENT_ESCAPE.sub("", urlsplit(page.url).path)


@page_check("url.uppercase", scope="request")
def url_uppercase(page: PageRecord, config: AuditConfig) -> Detail | None:
    return {"path": urlsplit(page.url).path} if any(c.isupper() for c in _path(page)) else None


@page_check("url.underscore", scope="request")
def url_underscore(page: PageRecord, config: AuditConfig) -> Detail | None:
    return {"path": urlsplit(page.url).path} if "_" in _path(page) else None


@page_check("url.space", scope="request")
def url_space(page: PageRecord, config: AuditConfig) -> Detail | None:
    return {"url": page.url} if " " in unquote(page.url) else None


@page_check("url.multiple_slashes", scope="request")
def url_multiple_slashes(page: PageRecord, config: AuditConfig) -> Detail | None:
    path = urlsplit(page.url).path
    return {"path": path} if "//" in path else None


@page_check("url.too_long", scope="request")
def url_too_long(page: PageRecord, config: AuditConfig) -> Detail | None:
    length = len(page.url)
    return (
        {"length": length, "limit": config.url_max_chars} if length > config.url_max_chars else None
    )


@page_check("url.parameters", scope="request")
def url_parameters(page: PageRecord, config: AuditConfig) -> Detail | None:
    query = urlsplit(page.url).query
    return {"query": query} if query else None


def tracking_keys(href: str) -> list[str]:
    """The tracking parameters (`utm_*`, `gclid`, `fbclid`) in an href's query."""
    lowered = href.lower()
    if "utm_" not in lowered and "clid" not in lowered:
        return []
    try:
        query = urlsplit(href.strip()).query
    except ValueError:
        return []
    keys = [key.lower() for key, _ in parse_qsl(query, keep_blank_values=True)]
    return [key for key in keys if key.startswith("utm_") or key in TRACKING_KEYS]


@page_check("url.tracking_params")
def url_tracking_params(page: PageRecord, config: AuditConfig) -> Detail | None:
    found = [
        {"href": link.href, "params": keys}
        for link in page.links
        if link.internal and (keys := tracking_keys(link.href))
    ]
    return {"count": len(found), "links": listing(found)} if found else None
