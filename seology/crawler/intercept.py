"""Every request a rendered page makes is answered by the crawler, under its rules.

Playwright hands each request of a tab to `Interceptor.handle` before Chromium sends
anything. The crawler then decides and fetches:

- the page's own document is answered from the raw fetch (no second request);
- a second top-level navigation (a JavaScript or meta-refresh redirect) is refused;
- only http(s) is fetched; other hosts only when the settings allow third parties;
- scripts, styles and XHR disallowed by robots.txt are refused and recorded
  (`js.blocked_resources`): Google renders without them too;
- the rest is fetched over a client whose connections go only to addresses the crawl's
  SSRF guard vetted (`pinning.PinnedBackend`), redirects are handed back to Chromium as
  3xx so each hop comes through here again, bodies are capped.

Static resources (scripts, styles, fonts, images) are cached for the crawl, as a
search engine's renderer does: a site's bundle is fetched once, not once a page
(Chromium's own cache is off while requests are intercepted).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import httpx

from seology.core.errors import InvalidTargetURL
from seology.crawler.fetch import FetchResult
from seology.crawler.pinning import PinnedBackend, pinned_transport
from seology.crawler.safety import AddressBook
from seology.crawler.urls import is_internal

if TYPE_CHECKING:
    from playwright.async_api import Request, Route

ESSENTIAL_TYPES = frozenset({"document", "script", "stylesheet", "xhr", "fetch"})
ROBOTS_CHECKED_TYPES = frozenset({"script", "stylesheet", "xhr", "fetch"})
CACHED_TYPES = frozenset({"script", "stylesheet", "font", "image"})
DROPPED_RESPONSE_HEADERS = frozenset(
    {"content-encoding", "content-length", "transfer-encoding", "connection", "keep-alive"}
)
FORWARDED_REQUEST_HEADERS = frozenset(
    {"accept", "accept-language", "content-type", "referer", "x-requested-with"}
)
MAX_BLOCKED_KEPT = 20
CACHE_BYTES = 32 * 1024 * 1024
#: An HTTP header block, roughly: counted into a page's transferred bytes.
HEADER_BYTES = 300


@dataclass(kw_only=True)
class PageLoad:
    """The state of one page's render, fed by the interceptor and the tab's events."""

    url: str
    raw: FetchResult
    site: str
    #: A second top-level navigation is expected (the raw page has a meta refresh).
    navigation_expected: bool = False
    document_served: bool = False
    requests: int = 0
    transferred_bytes: int = 0
    blocked: list[str] = field(default_factory=list)
    js_errors: list[str] = field(default_factory=list)
    failure: str | None = None
    failed: asyncio.Event = field(default_factory=asyncio.Event)
    inflight: int = 0
    busy: asyncio.Event = field(default_factory=asyncio.Event)
    last_activity: float = field(default_factory=time.monotonic)

    def fail(self, reason: str) -> None:
        """The first reason wins; `failed` wakes the render that waits on this page."""
        if self.failure is None:
            self.failure = reason
        self.failed.set()

    def begin(self) -> None:
        self.inflight += 1
        self.last_activity = time.monotonic()
        self.busy.set()

    def end(self) -> None:
        self.inflight -= 1
        self.last_activity = time.monotonic()
        self.busy.set()

    async def network_idle(self, quiet: float) -> None:
        """Return once no request has been in flight for `quiet` seconds (counted from
        the last request's end, which may be before this call)."""
        while True:
            self.busy.clear()
            if self.inflight > 0:
                await self.busy.wait()
                continue
            remaining = quiet - (time.monotonic() - self.last_activity)
            if remaining <= 0:
                return
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(remaining):
                    await self.busy.wait()


class ResourceCache:
    """Static responses by URL for one crawl, least recently used out past a byte bound."""

    def __init__(self, max_bytes: int = CACHE_BYTES) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self.entries: OrderedDict[str, tuple[int, dict[str, str], bytes]] = OrderedDict()

    def get(self, url: str) -> tuple[int, dict[str, str], bytes] | None:
        entry = self.entries.get(url)
        if entry is not None:
            self.entries.move_to_end(url)
        return entry

    def put(self, url: str, entry: tuple[int, dict[str, str], bytes]) -> None:
        if len(entry[2]) > self.max_bytes // 8 or url in self.entries:
            return
        self.entries[url] = entry
        self.size += len(entry[2])
        while self.size > self.max_bytes:
            _, old = self.entries.popitem(last=False)
            self.size -= len(old[2])


@dataclass(frozen=True, kw_only=True)
class InterceptRules:
    """What rendered pages may load; the renderer builds it from the crawl's config."""

    user_agent: str
    can_fetch: Callable[[str], bool]
    third_party: bool = True
    essential_only: bool = False
    max_bytes: int = 5 * 1024 * 1024
    connect_timeout: float = 10.0
    read_timeout: float = 20.0


class Interceptor:
    """Answers the requests of every tab of one browser (one client, one cache)."""

    def __init__(self, rules: InterceptRules, book: AddressBook, connections: int) -> None:
        self.rules, self.book = rules, book
        self.cache = ResourceCache()
        timeout = httpx.Timeout(rules.read_timeout, connect=rules.connect_timeout)
        self.client = httpx.AsyncClient(
            follow_redirects=False,
            transport=pinned_transport(PinnedBackend(book), connections),
            timeout=timeout,
            headers={"User-Agent": rules.user_agent},
        )

    async def aclose(self) -> None:
        await self.client.aclose()

    async def handle(self, load: PageLoad | None, route: Route, request: Request) -> None:
        """Answer one request of a tab whose current page is `load` (None: between pages)."""
        from playwright.async_api import Error

        with contextlib.suppress(Error):  # the tab closed under the request
            if load is None:
                await route.abort("blockedbyclient")
                return
            refusal = self._refusal(load, request)
            if refusal is not None:
                await route.abort(refusal)
                return
            if request.is_navigation_request() and request.frame.parent_frame is None:
                await route.fulfill(**_raw_document(load.raw))
                load.document_served = True
                load.last_activity = time.monotonic()
                load.requests += 1
                load.transferred_bytes += len(load.raw.body) + HEADER_BYTES
                return
            load.begin()
            try:
                await self._forward(load, route, request)
            finally:
                load.end()

    def _refusal(self, load: PageLoad, request: Request) -> str | None:
        """The abort reason for a request the rules refuse, or None to answer it."""
        url, kind = request.url, request.resource_type
        if request.is_navigation_request() and request.frame.parent_frame is None:
            if not load.document_served and url == load.url:
                return None
            if not load.navigation_expected:
                load.fail(f"the page navigated away by script to {url[:300]}")
            return "blockedbyclient"
        if urlsplit(url).scheme not in ("http", "https"):
            return "blockedbyclient"
        if self.rules.essential_only and kind not in ESSENTIAL_TYPES:
            return "blockedbyclient"
        if not self.rules.third_party and not is_internal(url, load.site):
            return "blockedbyclient"
        if kind in ROBOTS_CHECKED_TYPES and not self.rules.can_fetch(url):
            if url not in load.blocked and len(load.blocked) < MAX_BLOCKED_KEPT:
                load.blocked.append(url)
            return "blockedbyclient"
        return None

    async def _forward(self, load: PageLoad, route: Route, request: Request) -> None:
        """Fetch the request under the crawler's rules and hand the answer to Chromium."""
        cacheable = request.method == "GET" and request.resource_type in CACHED_TYPES
        answer = self.cache.get(request.url) if cacheable else None
        if answer is None:
            answer = await self._fetch(request)
            if answer is None:
                await route.abort("failed")
                return
            if cacheable and answer[0] == 200:
                self.cache.put(request.url, answer)
        status, headers, body = answer
        load.requests += 1
        load.transferred_bytes += len(body) + HEADER_BYTES
        await route.fulfill(status=status, headers=headers, body=body)

    async def _fetch(self, request: Request) -> tuple[int, dict[str, str], bytes] | None:
        """(status, headers, body), or None when the rules or the network refuse it."""
        headers = {k: v for k, v in request.headers.items() if k in FORWARDED_REQUEST_HEADERS}
        deadline = self.rules.connect_timeout + self.rules.read_timeout
        try:
            await self.book.check(request.url)
            async with asyncio.timeout(deadline):
                return await self._send(request, headers)
        except (InvalidTargetURL, TimeoutError, httpx.HTTPError, ValueError, OSError):
            return None

    async def _send(
        self, request: Request, headers: dict[str, str]
    ) -> tuple[int, dict[str, str], bytes] | None:
        body = request.post_data_buffer
        stream = self.client.stream(request.method, request.url, headers=headers, content=body)
        async with stream as response:
            chunks, size = [], 0
            async for chunk in response.aiter_bytes():
                chunks.append(chunk)
                size += len(chunk)
                if size > self.rules.max_bytes:
                    return None
            kept = {
                k: v
                for k, v in response.headers.items()
                if k.lower() not in DROPPED_RESPONSE_HEADERS
            }
            return response.status_code, kept, b"".join(chunks)


def _raw_document(raw: FetchResult) -> dict[str, object]:
    """`route.fulfill` arguments that replay the raw fetch of the page."""
    headers: dict[str, str] = {}
    for key, value in raw.headers:
        if key not in DROPPED_RESPONSE_HEADERS:
            headers[key] = f"{headers[key]}\n{value}" if key in headers else value
    return {"status": raw.status_code or 200, "headers": headers, "body": raw.body}
