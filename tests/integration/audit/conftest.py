"""Planted sites crawled once per module over real HTTP, with the real crawler engine."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from seology.crawler.engine import CrawlConfig, crawl
from seology.crawler.records import CrawlOutcome, PageRecord
from seology.testing.audit_site import PlantedSite
from seology.testing.sites import SiteServer


@dataclass(frozen=True)
class CrawledSite:
    site: PlantedSite
    base_url: str
    records: list[PageRecord]
    outcome: CrawlOutcome

    @property
    def expected(self) -> set[tuple[str, str]]:
        return self.site.expected_urls(self.base_url)


def crawl_planted(site: PlantedSite) -> CrawledSite:
    """Serve `site` on 127.0.0.1 and crawl all of it (short timeouts for /no-response)."""
    records: list[PageRecord] = []

    async def keep(batch: list[PageRecord]) -> None:
        records.extend(batch)

    with SiteServer(site.routes) as server:
        config = CrawlConfig(
            start_url=server.url("/"),
            max_pages=1000,
            allow_private_targets=True,
            parser_processes=0,
            connect_timeout=1.0,
            read_timeout=2.0,
        )
        outcome = asyncio.run(crawl(config, on_batch=keep))
    return CrawledSite(site, server.base_url, records, outcome)
