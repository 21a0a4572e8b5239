"""Section 4 of docs/audit-checks.md: images (and, with resource checking on, broken ones)."""

from __future__ import annotations

from collections.abc import Iterator

from seology.audit.checks import crawl_check, listing, page_check
from seology.audit.config import AuditConfig
from seology.audit.index import SiteIndex
from seology.audit.model import Detail
from seology.crawler.records import PageRecord


def _found(items: list[object]) -> Detail | None:
    return {"count": len(items), "images": listing(items)} if items else None


@page_check("img.alt_missing")
def img_alt_missing(page: PageRecord, config: AuditConfig) -> Detail | None:
    """`<img>` without alt; `alt=""` is a valid (decorative) image."""
    return _found([image.src for image in page.images if image.alt is None])


@page_check("img.alt_too_long")
def img_alt_too_long(page: PageRecord, config: AuditConfig) -> Detail | None:
    limit = config.img_alt_max_chars
    long_alts = [
        {"src": image.src, "length": len(image.alt)}
        for image in page.images
        if image.alt is not None and len(image.alt.strip()) > limit
    ]
    return _found(long_alts)


@page_check("img.missing_dimensions")
def img_missing_dimensions(page: PageRecord, config: AuditConfig) -> Detail | None:
    """Both width and height are needed to reserve the image's space."""
    return _found([image.src for image in page.images if not (image.width and image.height)])


@crawl_check("img.broken")
def img_broken(index: SiteIndex, config: AuditConfig) -> Iterator[tuple[str, Detail]]:
    """Images (internal or external) whose resource check ended on >= 400 or no answer."""
    for page in index.pages.values():
        if page.broken_images:
            broken = [index.describe_resource(url) for url in page.broken_images]
            yield page.url, {"count": len(broken), "images": listing(broken)}
