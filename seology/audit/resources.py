"""Checks over what the crawl's resource checks asked: external link targets.

They judge the resource records handed to `run_audit(resources=…)`: a URL the crawl
did not check (its kind turned off, refused, or past the time budget) is not judged.
`img.broken` lives in images.py; canonical and hreflang targets fall back on resource
answers through `SiteIndex.answer`.
"""

from __future__ import annotations

from collections.abc import Iterator

from seology.audit.checks import crawl_check, listing
from seology.audit.config import AuditConfig
from seology.audit.index import SiteIndex
from seology.audit.model import Detail


@crawl_check("links.to_broken_external")
def links_to_broken_external(index: SiteIndex, config: AuditConfig) -> Iterator[tuple[str, Detail]]:
    for page in index.pages.values():
        if page.broken_links:
            broken = [index.describe_resource(url) for url in page.broken_links]
            yield page.url, {"count": len(broken), "targets": listing(broken)}
