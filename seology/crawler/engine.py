"""The crawl: breadth-first over one site, politely, within limits, streaming records out.

    crawl(config, on_batch=store)       # → CrawlOutcome

Order of work: SSRF-check the start URL (raise InvalidTargetURL), read robots.txt, read
the sitemaps, then fetch URLs breadth-first from the start page (depth 0) and the
sitemap URLs (depth 1) with `concurrency` requests in flight and at most
`per_host_connections` per host (and up to `concurrency` more visits parsing). HTML is
parsed in a process pool (parsing is the CPU cost, and the pool spreads it over every
core: docs/performance.md). Records leave in batches through `on_batch`, so memory does
not grow with the site. Every URL is checked against the seen-set before any request
object exists, and robots.txt before it is queued; each URL is fetched at most once,
redirect hops included (`fetched`), bar one race: a redirect reaching a URL whose own
fetch has already started fetches it again (its record needs the final page).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from seology.core.errors import InvalidTargetURL
from seology.core.logs import get_logger
from seology.crawler import robots, sitemaps
from seology.crawler.config import CrawlConfig
from seology.crawler.fetch import HTML_TYPES, Fetcher, FetchResult
from seology.crawler.intercept import InterceptRules
from seology.crawler.politeness import HostGate
from seology.crawler.pool import ParserPool, parser_pool
from seology.crawler.records import CrawlOutcome, PageRecord, ResourceRecord
from seology.crawler.rendering import PageRendering
from seology.crawler.resources import ResourceChecker, open_checker
from seology.crawler.safety import check_target
from seology.crawler.urls import is_internal, normalize_url, site_host

OnBatch = Callable[[list[PageRecord]], Awaitable[None]]
OnProgress = Callable[[int, int], Awaitable[None]]
OnResources = Callable[[list[ResourceRecord]], Awaitable[None]]
RESOURCE_BATCH = 1000
MAX_BLOCKED_KEPT = 1000
#: Queued URLs beyond the page budget, for those a redirect fetches first (then skipped).
FRONTIER_SLACK = 100


async def crawl(
    config: CrawlConfig,
    *,
    on_batch: OnBatch,
    on_progress: OnProgress | None = None,
    on_resources: OnResources | None = None,
) -> CrawlOutcome:
    """Crawl the site of `config.start_url`; records go to `on_batch` as they are made,
    and the resource checks' records to `on_resources` once the pages are done.

    Raises InvalidTargetURL (before any request to the site) for a start URL that is
    not http(s) or, unless `allow_private_targets`, not a public address, and
    RenderingUnavailable for `render="always"` on a machine that cannot render. Any
    other failure of a single URL is recorded in its PageRecord, never raised.
    """
    start = normalize_url(config.start_url)
    if start is None:
        raise InvalidTargetURL(f"Not an http(s) URL: {config.start_url!r}.")
    await check_target(start, allow_private=config.allow_private_targets)
    started = time.monotonic()
    outcome = CrawlOutcome(start_url=start)
    async with (
        parser_pool(config.parser_processes, config.max_pages) as pool,
        Fetcher(config.fetch_settings()) as fetcher,
    ):
        run = _Crawl(config, start, fetcher, pool, outcome, on_batch, on_progress)
        async with open_checker(
            config.resources,
            config.fetch_settings(),
            site=run.site,
            book=fetcher.book,
            site_gate=run.gate,
            seen=run.seen,
        ) as checker:
            run.checker, run.on_resources = checker, on_resources
            async with _page_rendering(config, run) as rendering:
                run.rendering = rendering
                await run.execute()
            outcome.rendering = rendering.summary
    outcome.duration_seconds = round(time.monotonic() - started, 3)
    get_logger().info(
        f"Crawled {outcome.pages_crawled} URLs of {start} in {outcome.duration_seconds} s "
        f"({outcome.stopped_by})"
    )
    return outcome


class _Crawl:
    """The state of one running crawl: frontier, seen-set, counters, pending batch."""

    def __init__(
        self,
        config: CrawlConfig,
        start: str,
        fetcher: Fetcher,
        pool: ParserPool | None,
        outcome: CrawlOutcome,
        on_batch: OnBatch,
        on_progress: OnProgress | None,
    ) -> None:
        self.config, self.start, self.fetcher, self.pool = config, start, fetcher, pool
        self.outcome, self.on_batch, self.on_progress = outcome, on_batch, on_progress
        self.site = site_host(start)
        self.frontier: deque[tuple[str, int]] = deque()
        self.seen: set[str] = set()
        # URLs requested so far, redirect hops included: a queued URL found here was
        # already fetched as some redirect's target and is not fetched again.
        self.fetched: set[str] = set()
        self.sitemap_urls: set[str] = set()
        self.batch: list[PageRecord] = []
        self.batch_links = 0
        self.batch_lock = asyncio.Lock()
        self.gate = HostGate(connections=config.per_host_connections)
        # `concurrency` bounds requests in flight; as many visits again may be past
        # their fetch, waiting for a parser, so the pool never idles for lack of pages.
        self.fetch_slots = asyncio.Semaphore(config.concurrency)
        self.policy = robots.RobotsPolicy(user_agent=config.user_agent, allow_all=True)
        self.started = 0
        self.checker: ResourceChecker | None = None
        self.on_resources: OnResources | None = None
        self.rendering: PageRendering | None = None
        self.start_error: str | None = None

    async def execute(self) -> None:
        """Run within the time limit; whatever happens, flush the last batch. Then the
        resource checks still running get their budget (within the time limit)."""
        deadline = asyncio.get_running_loop().time() + self.config.time_limit
        try:
            async with asyncio.timeout_at(deadline):
                await self._prepare()
                await self._schedule()
        except TimeoutError:
            self.outcome.stopped_by = "time_limit"
        finally:
            await self._flush()
        await self._finish_resources(deadline)

    async def _finish_resources(self, deadline: float) -> None:
        """Wait for the resource checks (budget permitting), count them, send their records."""
        checker, settings = self.checker, self.config.resources
        if checker is None or settings is None:
            return
        budget_end = min(deadline, asyncio.get_running_loop().time() + settings.time_budget)
        await checker.finish(self.fetched, allowed=self.policy.can_fetch, deadline=budget_end)
        self.outcome.resources = checker.counts()
        if self.on_resources is None:
            return
        records = checker.records()
        for start in range(0, len(records), RESOURCE_BATCH):
            await self.on_resources(records[start : start + RESOURCE_BATCH])

    async def _prepare(self) -> None:
        """robots.txt, then sitemaps, then seed the frontier.

        No answer at all for robots.txt means "disallow all"; the start URL is then
        fetched once, at once, so that the crawl records why the site is unreachable,
        and a site that answers neither is given up (`unreachable`) before its
        sitemaps are asked for: one request per URL per attempt, each bounded. A
        robots.txt that answered but could not be read in time (or a 5xx) is
        "disallow all" too, and the outcome says so (`stopped_by="robots"`).
        """
        self.policy = await robots.fetch_robots(
            self.fetcher, self.start, user_agent=self.config.user_agent
        )
        self.outcome.robots_status = self.policy.status
        self.outcome.robots_txt = self.policy.text
        self.outcome.robots_error = self.policy.error
        self.gate.delay = max(self.config.per_host_delay, self.policy.crawl_delay or 0.0)
        if self.policy.status is None:
            self._discover(self.start, 0, force=True)
            self._launch(pending := set())
            await asyncio.gather(*pending)
            if self.start_error is not None:
                self.outcome.unreachable = self.start_error
                return
        else:
            self._discover(self.start, 0)
        if not self.frontier and self.started == 0 and not self.policy.allow_all:
            self.outcome.stopped_by = "robots"
        await self._read_sitemaps()

    async def _read_sitemaps(self) -> None:
        listed = [u for u in (normalize_url(s) for s in self.policy.sitemaps) if u]
        starts = listed or [sitemaps.default_sitemap_url(self.start)]
        max_files, max_urls = self.config.sitemap_budget
        found = await sitemaps.discover(
            self.fetcher, starts, max_urls=max_urls, max_files=max_files, guessed=not listed
        )
        self.outcome.sitemaps, self.outcome.sitemap_errors = found.sitemaps, found.errors
        self.sitemap_urls = {u for u in found.urls if is_internal(u, self.site)}
        self.outcome.sitemap_urls = len(self.sitemap_urls)
        for url in found.urls:
            if url in self.sitemap_urls:
                self._discover(url, 1)

    def _discover(self, url: str, depth: int, *, force: bool = False) -> None:
        """Queue `url` unless seen, too deep or disallowed (seen-set first: it is cheap).

        The seen-set and the frontier are bounded (`max_tracked_urls`, and no more URLs
        queued than the page budget can fetch): past that, a link is only counted.
        """
        if url in self.seen or depth > self.config.max_depth:
            return
        if self._full():
            self.outcome.urls_not_followed += 1
            return
        self.seen.add(url)
        self.outcome.urls_discovered += 1
        if not force and not self.policy.can_fetch(url):
            self.outcome.urls_blocked_by_robots += 1
            if len(self.outcome.blocked_urls) < MAX_BLOCKED_KEPT:
                self.outcome.blocked_urls.append(url)
            return
        self.frontier.append((url, depth))

    def _full(self) -> bool:
        """No room left to remember or queue another URL."""
        return (
            len(self.seen) >= self.config.max_tracked_urls
            or self.started + len(self.frontier) >= self.config.max_pages + FRONTIER_SLACK
        )

    async def _schedule(self) -> None:
        """Keep `concurrency` visits in flight until the frontier or the budget runs out."""
        pending: set[asyncio.Task[None]] = set()
        try:
            while True:
                self._launch(pending)
                if not pending:
                    break
                done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    task.result()
        finally:
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    def _launch(self, pending: set[asyncio.Task[None]]) -> None:
        while self.frontier and len(pending) < 2 * self.config.concurrency:
            if self.started >= self.config.max_pages:
                self.outcome.stopped_by = "max_pages"
                return
            url, depth = self.frontier.popleft()
            if url in self.fetched:
                continue
            self.started += 1
            pending.add(asyncio.create_task(self._visit(url, depth)))

    async def _visit(self, url: str, depth: int) -> None:
        """Fetch, parse, record one URL and queue its internal links."""
        async with self.fetch_slots, self.gate.slot(site_host(url)):
            if url in self.fetched:  # a redirect got there while this visit waited
                self.started -= 1
                return
            self.fetched.add(url)
            result = await self.fetcher.fetch(url, body_for=HTML_TYPES, on_hop=self._hop)
        parsed = await self._parse(result)
        if self.rendering is not None and parsed:
            parsed = await self.rendering.apply(result, parsed)
        record = self._record(result, depth, parsed)
        if self.checker is not None and parsed:
            self.checker.submit(record)
        if url == self.start and record.status_code is None:
            self.start_error = record.error or "no response"
        for link in record.links:
            if link.internal and link.target:
                self._discover(link.target, depth + 1)
        await self._emit(record)

    def _hop(self, url: str) -> None:
        """A redirect is about to fetch `url`: never queue or fetch it on its own."""
        self.seen.add(url)
        self.fetched.add(url)

    async def _parse(self, result: FetchResult) -> dict[str, Any]:
        """Parsed fields for an internal HTML page; {} for anything else."""
        final = result.final_url or result.url
        if not (result.is_html and result.body and is_internal(final, self.site)):
            return {}
        if self.pool is not None and self.rendering is None:
            return await self._parse_and_drop(result, final)
        return await self.parse_body(result.body, final, result.headers)

    async def _parse_and_drop(self, result: FetchResult, final: str) -> dict[str, Any]:
        """`parse_body`, dropping the body once the parser has it (no rendering needs it).

        A page of a few MB waiting for its parse then costs the crawl process one copy
        (the pipe's), not three.
        """
        try:
            parsed = await self.pool.submit(  # type: ignore[union-attr]
                result.body, final, result.headers, self.config.page_limits
            )
            result.body = b""
            return await parsed
        except Exception as exc:  # a dead worker (ParserDied) must not end the crawl
            get_logger().warning(f"Parser pool failed on {final}: {exc!r}")
            return {"error": f"could not parse HTML: {exc!r}"}

    async def parse_body(
        self, body: bytes, final: str, headers: list[tuple[str, str]]
    ) -> dict[str, Any]:
        """Parsed fields of an HTML body (raw or rendered), in the pool when there is one."""
        limits = self.config.page_limits
        if self.pool is None:
            # Imported here: bs4 and the parser are not needed in the
            # crawl process when the pool parses, which is always but in tests. Even
            # then the parse runs in a thread: never on the event loop, whose fetches
            # would otherwise time out while a big page is parsed.
            from seology.crawler.parse import parse_page

            return await asyncio.to_thread(parse_page, body, final, headers, limits)
        try:
            return await self.pool.parse(body, final, headers, limits)
        except Exception as exc:  # a dead worker (ParserDied) must not end the crawl
            get_logger().warning(f"Parser pool failed on {final}: {exc!r}")
            return {"error": f"could not parse HTML: {exc!r}"}

    def _record(self, result: FetchResult, depth: int, parsed: dict[str, Any]) -> PageRecord:
        error = result.error or parsed.pop("error", None)
        return PageRecord(
            url=result.url,
            final_url=result.final_url,
            depth=depth,
            status_code=result.status_code,
            redirects=result.redirects,
            response_time_ms=result.response_time_ms,
            content_type=result.content_type,
            size_bytes=result.size_bytes,
            truncated=result.truncated,
            error=error,
            fetched_at=datetime.now(UTC),
            in_sitemap=result.url in self.sitemap_urls,
            is_html=result.is_html,
            **parsed,
        )

    async def _emit(self, record: PageRecord) -> None:
        """Count the record, report progress, send a batch when one is full."""
        outcome = self.outcome
        outcome.pages_crawled += 1
        outcome.html_pages += record.is_html
        outcome.errors += record.error is not None
        self.batch.append(record)
        self.batch_links += len(record.links)
        if (
            len(self.batch) >= self.config.batch_size
            or self.batch_links >= self.config.batch_max_links
        ):
            await self._flush()
        if self.on_progress is not None:
            await self.on_progress(outcome.pages_crawled, self.config.max_pages)

    async def _flush(self) -> None:
        async with self.batch_lock:
            batch, self.batch, self.batch_links = self.batch, [], 0
            if batch:
                await self.on_batch(batch)


def _page_rendering(config: CrawlConfig, run: _Crawl) -> PageRendering:
    """The crawl's rendering (its browser starts on the first page that needs one)."""
    rules = InterceptRules(
        user_agent=config.user_agent,
        can_fetch=lambda url: run.policy.can_fetch(url),
        third_party=config.render_config.third_party,
        essential_only=config.render_config.essential_only,
        max_bytes=config.max_page_bytes,
        connect_timeout=config.connect_timeout,
        read_timeout=config.read_timeout,
    )
    return PageRendering(
        config.render,
        config.render_config,
        rules=rules,
        book=run.fetcher.book,
        site=run.site,
        parse=run.parse_body,
    )
