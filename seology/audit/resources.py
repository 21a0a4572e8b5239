"""Checks over resources the crawl itself does not fetch: external links (and images).

Both are optional in docs/audit-checks.md ("only when … checking is on"). They judge the
statuses handed to `run_audit(resource_status=…)`; with the setting off, or a URL not
in that mapping, nothing is judged. `img.broken` lives in images.py.
"""

from __future__ import annotations

from collections.abc import Iterator

from seology.audit.checks import crawl_check, listing
from seology.audit.config import AuditConfig
from seology.audit.index import SiteIndex
from seology.audit.model import Detail


@crawl_check("links.to_broken_external")
def links_to_broken_external(index: SiteIndex, config: AuditConfig) -> Iterator[tuple[str, Detail]]:
    if not config.check_external_links:
        return
    for page in index.pages.values():
        broken = index.broken_resources(page.external)
        if broken:
            yield page.url, {"count": len(broken), "targets": listing(broken)}
