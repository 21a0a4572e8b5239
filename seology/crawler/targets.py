"""What a parsed page points to that the resource checks ask for, as URLs.

One function for the crawler (which asks) and the audit (which looks the answers up by
these same URLs), so that the two can never resolve a `src` or an `href` differently.
Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterator

from seology.crawler.records import PageRecord, ResourceKind
from seology.crawler.urls import normalize_url


def targets(record: PageRecord, *, tags: bool = True) -> Iterator[tuple[str, ResourceKind]]:
    """(url, kind) of everything a parsed page points to that a resource check asks for.

    Links: the external ones (internal links are the crawl's own work). Images are
    resolved by the parser as the page's links are (`<base href>` applies);
    canonicals (in `<head>` or a `Link:` header: search engines ignore the others) and
    hreflang alternates against the page.
    The audit looks answers up by these same URLs. `tags=False` leaves out canonical
    and hreflang targets (the audit's per-page lookup needs only links and images).
    """
    for link in record.links:
        if link.target and not link.internal:
            yield link.target, "link"
    base: str | None = None
    for image in record.images:
        url = image.target
        if url is None and image.src.strip():  # a record stored before `target` existed
            base = base or image_base(record)
            url = normalize_url(image.src, base)
        if url:
            yield url, "image"
    if not tags:
        return
    page = record.final_url or record.url
    for canonical in record.canonicals:
        url = normalize_url(canonical.href, page) if canonical.source != "body" else None
        if url:
            yield url, "canonical"
    for alternate in record.hreflang:
        url = normalize_url(alternate.href, page) if alternate.href.strip() else None
        if url:
            yield url, "hreflang"


def image_base(record: PageRecord) -> str:
    """The URL a page's image sources are relative to (its `<base href>` applies)."""
    page = record.final_url or record.url
    if record.base_href:
        return normalize_url(record.base_href, page) or page
    return page
