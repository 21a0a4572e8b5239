"""A local site per test and a one-call crawl over it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest

from seology.crawler.config import CrawlConfig
from seology.crawler.engine import crawl
from seology.crawler.records import CrawlOutcome, PageRecord
from seology.testing.sites import Response, SiteServer


@dataclass
class Crawled:
    """What a crawl delivered: its outcome, every record, batch sizes and progress calls."""

    outcome: CrawlOutcome
    records: list[PageRecord] = field(default_factory=list)
    batches: list[int] = field(default_factory=list)
    progress: list[tuple[int, int]] = field(default_factory=list)

    @property
    def by_path(self) -> dict[str, PageRecord]:
        return {_path(r.url): r for r in self.records}


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def run_crawl(start_url: str, **overrides: object) -> Crawled:
    """Crawl `start_url` with test defaults (private targets allowed, inline parsing)."""
    options: dict[str, object] = {
        "max_pages": 200,
        "allow_private_targets": True,
        "parser_processes": 0,
        "connect_timeout": 2.0,
        "read_timeout": 2.0,
    }
    options.update(overrides)
    config = CrawlConfig(start_url=start_url, **options)  # type: ignore[arg-type]
    records: list[PageRecord] = []
    batches: list[int] = []
    progress: list[tuple[int, int]] = []

    async def on_batch(batch: list[PageRecord]) -> None:
        records.extend(batch)
        batches.append(len(batch))

    async def on_progress(done: int, total: int) -> None:
        progress.append((done, total))

    outcome = asyncio.run(crawl(config, on_batch=on_batch, on_progress=on_progress))
    return Crawled(outcome=outcome, records=records, batches=batches, progress=progress)


@pytest.fixture
def serve() -> Iterator[Callable[..., SiteServer]]:
    """Start a SiteServer for the given routes; stopped after the test."""
    servers: list[SiteServer] = []

    def start(routes: dict[str, Response], **kwargs: object) -> SiteServer:
        server = SiteServer(routes, **kwargs).start()  # type: ignore[arg-type]
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
