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
- on the site itself every request takes one of the crawl's own per-host slots, shared
  with its pages, so the site never sees more than the crawl's connection limit;
  internal images are asked while pages are crawled (an image URL the crawl also
  fetches as a page is left to it), internal canonical and hreflang targets when the
  page crawl ends: most are pages the crawl fetches anyway (their answer is the
  page's);
- after its pages, the crawl waits at most `time_budget` seconds for the checks still
  running; those are recorded as not checked, and the audit does not judge them.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from seology.core.errors import InvalidTargetURL
from seology.crawler.fetch import (
    REDIRECT_STATUSES,
    Fetcher,
    FetchSettings,
)
from seology.crawler.head import HeadAnswer, HeadClient, HeadFailed
from seology.crawler.politeness import HostGate
from seology.crawler.records import PageRecord, ResourceCounts, ResourceKind, ResourceRecord
from seology.crawler.safety import AddressBook
from seology.crawler.targets import targets
from seology.crawler.tls import tls_context
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


KIND_BITS: dict[ResourceKind, int] = {"link": 1, "image": 2, "canonical": 4, "hreflang": 8}


@dataclass(slots=True)
class _State:
    """One resource URL: its kinds (bits of KIND_BITS) and, once asked, its answer.

    Plain slots, not a ResourceRecord: a crawl holds one per URL its pages point to,
    and sets several fields of each while asking (pydantic's setattr is the cost).
    """

    kinds: int = 0
    answered: bool = False
    checked: bool = True
    status_code: int | None = None
    location: str | None = None
    final_url: str | None = None
    final_status: int | None = None
    error: str | None = None

    @property
    def failed(self) -> bool:
        """`ResourceRecord.failed` of the answer, without building the record."""
        final = self.final_status if self.final_status is not None else self.status_code
        return self.error is not None or final is None or final >= 400

    def record(self, url: str) -> ResourceRecord:
        """The answer as the record storage and the audit read."""
        if not self.answered:
            return ResourceRecord(url=url, kinds=_kinds(self.kinds), checked=False,
                                  error=BUDGET_ERROR)  # fmt: skip
        return ResourceRecord(
            url=url,
            kinds=_kinds(self.kinds),
            checked=self.checked,
            status_code=self.status_code,
            location=self.location,
            final_url=self.final_url,
            final_status=self.final_status,
            error=self.error,
        )


def _kinds(bits: int) -> list[ResourceKind]:
    return [kind for kind, bit in KIND_BITS.items() if bits & bit]


class ResourceChecker:
    """Checks what pages point to, once per URL; `finish` ends it, `records` gives them."""

    def __init__(
        self,
        settings: ResourceSettings,
        *,
        site: str,
        head: HeadClient,
        fetcher: Fetcher,
        site_gate: HostGate,
        pages: set[str] | frozenset[str] = frozenset(),
    ) -> None:
        self.settings, self.site, self.head, self.fetcher = settings, site, head, fetcher
        self.site_gate = site_gate
        self.gate = HostGate(connections=settings.per_host_connections)
        self.slots = asyncio.Semaphore(settings.concurrency)
        self.states: dict[str, _State] = {}
        self.deferred: list[str] = []
        self.queues: dict[str, deque[str]] = {}
        self.busy: dict[str, int] = {}
        self.workers: set[asyncio.Task[None]] = set()
        self.bits = sum(KIND_BITS[kind] for kind in settings.kinds)
        self.pages = pages
        self.finishing = False

    def submit(self, record: PageRecord) -> None:
        """Take in what a parsed page points to: external targets and internal images are
        asked at once, internal canonical and hreflang targets when the pages are done."""
        for url, kind in targets(record):
            bit = KIND_BITS[kind]
            if not self.bits & bit:
                continue
            state = self.states.get(url)
            if state is None:
                if kind == "image" and url in self.pages:
                    continue  # a page the crawl fetches: its answer is the page's
                state = self.states[url] = _State()
                if kind != "image" and is_internal(url, self.site):
                    self.deferred.append(url)
                else:
                    self._queue(url)
            state.kinds |= bit

    async def finish(
        self, crawled: set[str], *, allowed: Callable[[str], bool], deadline: float
    ) -> None:
        """Ask the internal targets the crawl did not fetch (and robots.txt `allowed`),
        then wait until `deadline` (event-loop time) at most; what is still running
        then is cancelled."""
        self.finishing = True
        for url in self.deferred:
            if url in crawled:
                del self.states[url]  # the crawl's own answer is the one the audit reads
            elif not allowed(url):
                state = self.states[url]
                state.answered, state.checked, state.error = True, False, ROBOTS_ERROR
            else:
                self._queue(url)
        self.deferred = []
        if self.workers:
            timeout = max(0.0, deadline - asyncio.get_running_loop().time())
            await asyncio.wait(set(self.workers), timeout=timeout)
        await self.cancel()

    async def cancel(self) -> None:
        """Stop every check still running (they are then recorded as not checked)."""
        running = list(self.workers)
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)

    def records(self) -> list[ResourceRecord]:
        """Every resource URL's record; those never answered say why."""
        return [state.record(url) for url, state in self.states.items()]

    def counts(self) -> dict[str, ResourceCounts]:
        """Checked, failed and unchecked URLs per kind (for the crawl summary)."""
        counts = {kind: ResourceCounts() for kind in sorted(self.settings.kinds)}
        for state in self.states.values():
            checked = state.answered and state.checked
            failed = checked and state.failed
            for kind, bit in KIND_BITS.items():
                if state.kinds & bit:
                    tally = counts[kind]
                    tally.checked += checked
                    tally.failed += failed
                    tally.unchecked += not checked
        return counts

    def _queue(self, url: str) -> None:
        """Queue `url` on its host; start a worker there if the host has room for one."""
        host = site_host(url)
        queue = self.queues.get(host)
        if queue is None:
            queue = self.queues[host] = deque()
        queue.append(url)
        gate = self.site_gate if host == self.site else self.gate
        if self.busy.get(host, 0) < gate.connections:
            self.busy[host] = self.busy.get(host, 0) + 1
            task = asyncio.create_task(self._work(host, queue, gate))
            self.workers.add(task)
            task.add_done_callback(self.workers.discard)

    async def _work(self, host: str, queue: deque[str], gate: HostGate) -> None:
        """Drain `host`'s queue, one check at a time. The number of workers per host is
        the host's connection limit. On the site itself each request takes one of the
        crawl's own per-host slots (shared with its pages, delay included), so the site
        never sees more connections than the crawl's limit."""
        try:
            while queue:
                url = queue.popleft()
                if host != self.site:
                    async with self.slots:
                        await self.check(url, self.states[url])
                elif self.finishing or url not in self.pages:
                    async with gate.slot(host), self.slots:
                        await self.check(url, self.states[url])
                else:  # linked as a page meanwhile: the crawl asks it
                    del self.states[url]
        finally:
            self.busy[host] -= 1

    async def check(self, url: str, state: _State) -> None:
        """Ask `url` (and its redirects) within the per-check timeout; never raises."""
        try:
            async with asyncio.timeout(self.settings.timeout):
                await self._follow(url, state)
        except TimeoutError:
            state.error = f"timeout: no complete answer within {self.settings.timeout:g} s"
        except InvalidTargetURL as exc:
            if RESOLVE_FAILED in exc.message:
                state.error = f"DNS failure: {exc.message}"
            else:
                state.checked, state.error = False, f"refused: {exc.message}"
        except (HeadFailed, OSError, ValueError) as exc:
            state.error = f"request failed: {exc}"
        state.answered = True

    async def _follow(self, url: str, state: _State) -> None:
        """Each hop vetted, then asked; the first answer and the last are recorded."""
        current, visited = url, {url}
        for hop in range(MAX_REDIRECTS + 1):
            await self.fetcher.book.check(current)
            answer = await self._ask(current)
            if hop == 0:
                state.status_code, state.location = answer.status, answer.location
            state.final_url, state.final_status = current, answer.status
            if answer.status not in REDIRECT_STATUSES or not answer.location:
                return
            if not self.settings.follow_redirects:
                state.final_url = state.final_status = None
                return
            following = normalize_url(answer.location, current)
            if following is None:
                state.error = f"redirect to a URL we cannot follow: {answer.location!r}"
                return
            if following in visited:
                state.error = f"redirect loop: {following} was already visited"
                return
            visited.add(following)
            current = following
        state.error = f"redirect loop: more than {MAX_REDIRECTS} redirects"

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
    seen: set[str] | frozenset[str] = frozenset(),
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
    head = HeadClient(
        user_agent=pages.user_agent,
        book=book,
        ssl_context=tls_context(pages.ca_file),
        connect_timeout=own.connect_timeout,
    )
    async with Fetcher(own, book=book) as fetcher:
        checker = ResourceChecker(
            settings, site=site, head=head, fetcher=fetcher, site_gate=site_gate, pages=seen
        )
        try:
            yield checker
        finally:
            await checker.cancel()
            await head.aclose()
