"""Facts derived from one PageRecord that several checks share.

A record is one *requested* URL. Its response may come from another URL after
redirects (`final_url`), and the crawler parses the final response: so on-page
checks judge the page at `page_url(record)`, while redirect checks judge the URL
that was requested.
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlsplit

from seology.crawler.records import PageRecord
from seology.crawler.urls import normalize_url

# Robots directives whose value follows a colon; any other `x: y` is a `UA: directives` form.
VALUED_DIRECTIVES = frozenset(
    {"max-snippet", "max-image-preview", "max-video-preview", "unavailable_after"}
)
NOINDEX = frozenset({"noindex", "none"})
NOFOLLOW = frozenset({"nofollow", "none"})


def page_url(record: PageRecord) -> str:
    """The URL whose response the record holds: the final URL after redirects."""
    return record.final_url or record.url


def own_status(record: PageRecord) -> int | None:
    """What the requested URL itself answered (a redirect's 3xx, not the target's)."""
    return record.redirects[0].status_code if record.redirects else record.status_code


def is_success(status: int | None) -> bool:
    return status is not None and 200 <= status < 300


def is_content(record: PageRecord) -> bool:
    """A parsed HTML page that answered 2xx: the pages on-page checks judge."""
    return record.is_html and is_success(record.status_code) and record.error is None


def directive_tokens(values: list[str]) -> set[str]:
    """Robots directives of meta robots / X-Robots-Tag values, lowercased.

    `googlebot: noindex` (the parser's form for `<meta name=googlebot>`, and the
    `UA: directives` form of X-Robots-Tag) yields `noindex`; `max-snippet: 10` does not
    yield `10`.
    """
    tokens: set[str] = set()
    for value in values:
        for part in value.lower().split(","):
            head, colon, rest = part.partition(":")
            if colon and head.strip() not in VALUED_DIRECTIVES:
                part = rest
            tokens.add(part.strip())
    return tokens


def robots_directives(record: PageRecord) -> set[str]:
    return directive_tokens([*record.meta_robots, *record.x_robots_tag])


def is_noindex(record: PageRecord) -> bool:
    return bool(robots_directives(record) & NOINDEX)


@lru_cache(maxsize=16_384)
def resolve(href: str, base: str) -> str | None:
    """`href` as an absolute normalised URL seen from `base`, or None (unparseable).

    Cached: several checks resolve the same canonical and hreflang hrefs of a page.
    """
    return normalize_url(href, base) if href.strip() else None


def canonical_url(record: PageRecord) -> str | None:
    """The canonical search engines use: the first `<head>` one, else the Link header's.

    A canonical in `<body>` is ignored, as search engines ignore it.
    """
    base = page_url(record)
    for source in ("head", "header"):
        for canonical in record.canonicals:
            if canonical.source == source:
                return resolve(canonical.href, base)
    return None


def is_indexable(record: PageRecord) -> bool:
    """2xx HTML, no noindex, and canonical to itself (or none): Screaming Frog's sense."""
    if not is_content(record) or is_noindex(record):
        return False
    canonical = canonical_url(record)
    return canonical is None or canonical == page_url(record)


def is_absolute(href: str) -> bool:
    """True for `scheme://host…`; protocol-relative `//host` counts as relative."""
    try:
        parts = urlsplit(href.strip())
    except ValueError:
        return False
    return bool(parts.scheme and parts.netloc)


def clean(text: str | None) -> str:
    """Whitespace collapsed and trimmed; None is empty."""
    return " ".join((text or "").split())
