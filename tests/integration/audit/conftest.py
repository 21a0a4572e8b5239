"""Planted sites crawled once per module over real HTTP, with the real crawler engine.

The site is served on 127.0.0.1 and the other host its pages point to on 127.0.0.2.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from seology.crawler.config import CrawlConfig
from seology.crawler.engine import crawl
from seology.crawler.records import CrawlOutcome, PageRecord, ResourceRecord
from seology.testing.audit_pages import EXTERNAL_HOST, EXTERNAL_MARK
from seology.testing.audit_site import PlantedSite
from seology.testing.sites import SiteServer


@dataclass(frozen=True)
class CrawledSite:
    site: PlantedSite
    base_url: str
    records: list[PageRecord]
    outcome: CrawlOutcome
    resources: list[ResourceRecord] = field(default_factory=list)

    @property
    def expected(self) -> set[tuple[str, str]]:
        return self.site.expected_urls(self.base_url)


@contextmanager
def serve_planted(site: PlantedSite) -> Iterator[SiteServer]:
    """Serve `site` on 127.0.0.1, and the other host its pages point to on 127.0.0.2."""
    other = SiteServer(site.external, host=EXTERNAL_HOST)
    with other, SiteServer(site.routes, marks={EXTERNAL_MARK: other.base_url}) as server:
        yield server


def crawl_planted(site: PlantedSite) -> CrawledSite:
    """Serve `site` and crawl all of it (short timeouts for /no-response)."""
    records: list[PageRecord] = []
    resources: list[ResourceRecord] = []

    async def keep(batch: list[PageRecord]) -> None:
        records.extend(batch)

    async def keep_resources(batch: list[ResourceRecord]) -> None:
        resources.extend(batch)

    with serve_planted(site) as server:
        config = CrawlConfig(
            start_url=server.url("/"),
            max_pages=1000,
            allow_private_targets=True,
            parser_processes=0,
            connect_timeout=1.0,
            read_timeout=2.0,
        )
        outcome = asyncio.run(crawl(config, on_batch=keep, on_resources=keep_resources))
    return CrawledSite(site, server.base_url, records, outcome, resources)
