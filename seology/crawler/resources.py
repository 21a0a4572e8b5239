"""Resource checks: what a crawl's pages point to, asked for without crawling it further.

docs/audit-checks.md "Resources": external link targets, images (internal and external), and
canonical and hreflang targets are each asked once per crawl, HEAD first (GET when the
server refuses HEAD with 405/501, or answers it in a way the lean client does not
read), and their redirects are followed to the end, each hop under the same safety
rules as pages (`AddressBook`: schemes, private addresses, the DNS pin).

Why a checker beside the page crawl, with limits of its own:

- a third-party host is not the site: it gets `per_host_connections` of the checker's
  `concurrency` slots (the page crawl's slots are never used), so a slow host holds
  two slots, not the crawl;
- internal targets wait until the page crawl ends: most are pages the crawl fetches
  anyway (their answer is the page's), and the rest then meet the site's own
  politeness (the crawl's per-host gate) instead of adding to it;
- after its pages, the crawl waits at most `time_budget` seconds for the checks still
  running; those are recorded as not checked, and the audit does not judge them.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

from seology.core.errors import InvalidTargetURL
from seology.crawler.fetch import (
    REDIRECT_STATUSES,
    Fetcher,
    FetchSettings,
    tls_context,
)
from seology.crawler.head import HeadAnswer, HeadClient, HeadFailed
from seology.crawler.politeness import HostGate
from seology.crawler.records import PageRecord, ResourceCounts, ResourceKind, ResourceRecord
from seology.crawler.safety import AddressBook
from seology.crawler.targets import targets
from seology.crawler.urls import is_internal, normalize_url, site_host

ALL_KINDS: frozenset[ResourceKind] = frozenset({"link", "image", "canonical", "hreflang"})
GET_STATUSES = frozenset({405, 501})
MAX_REDIRECTS = 10
GET_MAX_BYTES = 64 * 1024
RESOLVE_FAILED = "cannot resolve host"
BUDGET_ERROR = "not checked: the crawl's resource time budget ran out"
ROBOTS_ERROR = "not checked: disallowed by robots.txt"


@dataclass(frozen=True, kw_only=True)
class ResourceSettings:
    """Which kinds to check and the checker's own limits."""

    kinds: frozenset[ResourceKind] = ALL_KINDS
    follow_redirects: bool = True
    concurrency: int = 16
    per_host_connections: int = 2
    timeout: float = 10.0
    time_budget: float = 30.0


@dataclass(slots=True)
class _State:
    """One resource URL's kinds and, once asked, its answer."""

    kinds: set[ResourceKind] = field(default_factory=set)
    answered: bool = False
    record: ResourceRecord | None = None


class ResourceChecker:
    """Checks what pages point to, once per URL; `finish` ends it and gives the records."""

    def __init__(
        self,
        settings: ResourceSettings,
        *,
        site: str,
        head: HeadClient,
        fetcher: Fetcher,
        site_gate: HostGate,
    ) -> None:
        self.settings, self.site, self.head, self.fetcher = settings, site, head, fetcher
        self.site_gate = site_gate
        self.gate = HostGate(connections=settings.per_host_connections)
        self.slots = asyncio.Semaphore(settings.concurrency)
        self.states: dict[str, _State] = {}
        self.deferred: list[str] = []
        self.queues: dict[str, deque[str]] = {}
        self.workers: dict[str, set[asyncio.Task[None]]] = {}

    def submit(self, record: PageRecord) -> None:
        """Take in what a parsed page points to; external targets are asked at once."""
        kinds = self.settings.kinds
        for url, kind in targets(record):
            if kind not in kinds:
                continue
            state = self.states.get(url)
            if state is None:
                state = self.states[url] = _State()
                if is_internal(url, self.site):
                    self.deferred.append(url)
                else:
                    self._queue(url)
            state.kinds.add(kind)

    async def finish(
        self, crawled: set[str], *, allowed: Callable[[str], bool], deadline: float
    ) -> None:
        """Ask the internal targets the crawl did not fetch (and robots.txt `allowed`),
        then wait until `deadline` (event-loop time) at most; what is still running
        then is cancelled."""
        for url in self.deferred:
            if url in crawled:
                del self.states[url]  # the crawl's own answer is the one the audit reads
            elif not allowed(url):
                self.states[url].record = ResourceRecord(url=url, checked=False, error=ROBOTS_ERROR)
            else:
                self._queue(url)
        self.deferred = []
        running = {task for tasks in self.workers.values() for task in tasks}
        if running:
            timeout = max(0.0, deadline - asyncio.get_running_loop().time())
            await asyncio.wait(running, timeout=timeout)
        await self.cancel()

    async def cancel(self) -> None:
        """Stop every check still running (they are then recorded as not checked)."""
        running = [task for tasks in self.workers.values() for task in tasks]
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)

    def records(self) -> list[ResourceRecord]:
        """Every resource URL's record; those never answered say why."""
        out = []
        for url, state in self.states.items():
            record = state.record or ResourceRecord(url=url, checked=False, error=BUDGET_ERROR)
            record.kinds = sorted(state.kinds)
            out.append(record)
        return out

    def counts(self) -> dict[str, ResourceCounts]:
        """Checked, failed and unchecked URLs per kind (for the crawl summary)."""
        counts = {kind: ResourceCounts() for kind in sorted(self.settings.kinds)}
        for state in self.states.values():
            record = state.record
            for kind in state.kinds:
                tally = counts[kind]
                if record is None or not record.checked:
                    tally.unchecked += 1
                else:
                    tally.checked += 1
                    tally.failed += record.failed
        return counts

    def _queue(self, url: str) -> None:
        """Queue `url` on its host; start a worker there if the host has room for one."""
        host = site_host(url)
        self.queues.setdefault(host, deque()).append(url)
        workers = self.workers.setdefault(host, set())
        gate = self.site_gate if host == self.site else self.gate
        # A worker that found its queue empty has returned but may not have left the set.
        if sum(not task.done() for task in workers) < gate.connections:
            task = asyncio.create_task(self._work(host, gate))
            workers.add(task)
            task.add_done_callback(workers.discard)

    async def _work(self, host: str, gate: HostGate) -> None:
        """Drain `host`'s queue, one check at a time, within the host's and the checker's
        limits."""
        queue = self.queues[host]
        while queue:
            url = queue.popleft()
            async with gate.slot(host), self.slots:
                self.states[url].record = await self.check(url)

    async def check(self, url: str) -> ResourceRecord:
        """Ask `url` (and its redirects) within the per-check timeout; never raises."""
        record = ResourceRecord(url=url)
        try:
            async with asyncio.timeout(self.settings.timeout):
                await self._follow(url, record)
        except TimeoutError:
            record.error = f"timeout: no complete answer within {self.settings.timeout:g} s"
        except InvalidTargetURL as exc:
            if RESOLVE_FAILED in exc.message:
                record.error = f"DNS failure: {exc.message}"
            else:
                record.checked, record.error = False, f"refused: {exc.message}"
        except (HeadFailed, OSError, ValueError) as exc:
            record.error = f"request failed: {exc}"
        return record

    async def _follow(self, url: str, record: ResourceRecord) -> None:
        """Each hop vetted, then asked; the first answer and the last are recorded."""
        current, visited = url, {url}
        for hop in range(MAX_REDIRECTS + 1):
            await self.fetcher.book.check(current)
            answer = await self._ask(current)
            if hop == 0:
                record.status_code, record.location = answer.status, answer.location
            record.final_url, record.final_status = current, answer.status
            if answer.status not in REDIRECT_STATUSES or not answer.location:
                return
            if not self.settings.follow_redirects:
                record.final_url = record.final_status = None
                return
            following = normalize_url(answer.location, current)
            if following is None:
                record.error = f"redirect to a URL we cannot follow: {answer.location!r}"
                return
            if following in visited:
                record.error = f"redirect loop: {following} was already visited"
                return
            visited.add(following)
            current = following
        record.error = f"redirect loop: more than {MAX_REDIRECTS} redirects"

    async def _ask(self, url: str) -> HeadAnswer:
        """HEAD, or GET (headers only kept) when HEAD is refused or not answered plainly."""
        try:
            answer = await self.head.head(url)
        except HeadFailed:
            answer = None
        if answer is not None and answer.status not in GET_STATUSES:
            return answer
        result = await self.fetcher.fetch(url, body_for=(), max_bytes=GET_MAX_BYTES, follow=False)
        if result.status_code is None:
            raise HeadFailed(result.error or "no answer")
        location = result.redirects[0].location if result.redirects else None
        return HeadAnswer(result.status_code, location)


@contextlib.asynccontextmanager
async def open_checker(
    settings: ResourceSettings | None,
    pages: FetchSettings,
    *,
    site: str,
    book: AddressBook,
    site_gate: HostGate,
) -> AsyncIterator[ResourceChecker | None]:
    """A checker with its own connections (the page fetcher's rules, shorter deadlines),
    closed with its checks cancelled when the block ends; None when `settings` is."""
    if settings is None:
        yield None
        return
    own = FetchSettings(
        user_agent=pages.user_agent,
        connect_timeout=min(pages.connect_timeout, settings.timeout),
        read_timeout=settings.timeout,
        max_bytes=GET_MAX_BYTES,
        max_connections=settings.concurrency,
        allow_private=pages.allow_private,
        ca_file=pages.ca_file,
    )
    context = tls_context(pages.ca_file)
    head = HeadClient(
        user_agent=pages.user_agent,
        book=book,
        ssl_context=context if isinstance(context, ssl.SSLContext) else None,
        connect_timeout=own.connect_timeout,
    )
    async with Fetcher(own, book=book) as fetcher:
        checker = ResourceChecker(
            settings, site=site, head=head, fetcher=fetcher, site_gate=site_gate
        )
        try:
            yield checker
        finally:
            await checker.cancel()
            await head.aclose()
