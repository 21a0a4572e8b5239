"""Fetching one URL: hand-followed redirects, a size cap and deadlines, never a raise.

Redirects are followed here rather than by httpx so that every hop is recorded (the
audit reports chains and loops) and re-checked by the SSRF guard (a public site must
not bounce us to 127.0.0.1). Connections go only to the addresses the guard vetted
(`PinnedBackend`: no second DNS lookup for a rebinding server to answer differently).
Bodies are streamed and cut at `max_bytes`; a server that trickles bytes forever is
stopped by an overall per-request deadline, which the read timeout alone cannot do.
Every failure becomes `FetchResult.error` text.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookiejar import CookieJar
from typing import Any

import httpx

from seology.core.errors import InvalidTargetURL
from seology.crawler.pinning import PinnedBackend, pinned_transport
from seology.crawler.records import RedirectHop
from seology.crawler.safety import AddressBook
from seology.crawler.tls import tls_context
from seology.crawler.urls import normalize_url

MAX_REDIRECTS = 10
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
HTML_TYPES = ("text/html", "application/xhtml+xml")
LOCATION_KEY = "seology.location"


@dataclass(frozen=True, kw_only=True)
class FetchSettings:
    """How the fetcher talks to servers; the engine builds it from CrawlConfig."""

    user_agent: str
    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    max_bytes: int = 5 * 1024 * 1024
    max_connections: int = 16
    allow_private: bool = False
    ca_file: str | None = None  #: extra certificate authorities (PEM; `seology.crawler.tls`)

    @property
    def deadline(self) -> float:
        """Longest one request/response may take, however the server dribbles bytes."""
        return self.connect_timeout + self.read_timeout


@dataclass(kw_only=True)
class FetchResult:
    """What happened when we asked for `url` (after any redirects)."""

    url: str
    final_url: str | None = None
    status_code: int | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    size_bytes: int | None = None
    truncated: bool = False
    redirects: list[RedirectHop] = field(default_factory=list)
    response_time_ms: float | None = None
    error: str | None = None

    def header(self, name: str) -> str | None:
        """The first value of header `name` (case-insensitive), if any."""
        name = name.lower()
        return next((value for key, value in self.headers if key == name), None)

    @property
    def content_type(self) -> str | None:
        return self.header("content-type")

    @property
    def is_html(self) -> bool:
        media = (self.content_type or "").split(";")[0].strip().lower()
        return media in HTML_TYPES


class SetCookieJar(CookieJar):
    """A cookie jar that looks at a response only when it sets a cookie.

    httpx hands every response to the jar, which first copies all its headers into an
    `email.message.Message` to look for `Set-Cookie`/`Set-Cookie2`.
    Without either header the stdlib jar would store nothing, so skipping is exact.
    """

    def extract_cookies(self, response: Any, request: Any) -> None:
        headers = getattr(getattr(response, "response", None), "headers", None)
        if headers is not None and "set-cookie" not in headers and "set-cookie2" not in headers:
            return
        super().extract_cookies(response, request)


class Fetcher:
    """One keep-alive HTTP/1.1 client for a whole crawl; use as an async context manager.

    `book` (default: a new AddressBook for `settings.allow_private`) is the DNS pin:
    tests pass one with a fake resolver or an exempt test server.
    """

    def __init__(self, settings: FetchSettings, *, book: AddressBook | None = None) -> None:
        self.settings = settings
        self.book = book or AddressBook(allow_private=settings.allow_private)
        timeout = httpx.Timeout(settings.read_timeout, connect=settings.connect_timeout)
        self._client = httpx.AsyncClient(
            follow_redirects=False,
            transport=pinned_transport(
                PinnedBackend(self.book),
                settings.max_connections,
                verify=tls_context(settings.ca_file),
            ),
            timeout=timeout,
            headers={"User-Agent": settings.user_agent},
            cookies=SetCookieJar(),
            event_hooks={"response": [_take_location]},
        )

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self._client.aclose()

    async def fetch(
        self,
        url: str,
        *,
        body_for: tuple[str, ...] | None = None,
        max_bytes: int | None = None,
        on_hop: Callable[[str], None] | None = None,
        follow: bool = True,
    ) -> FetchResult:
        """GET `url`, following redirects by hand; read the body only for `body_for` types.

        `body_for=None` reads every body (robots.txt, sitemaps); for other types only
        the size is recorded (Content-Length, else counted while discarding). Bodies are
        cut at `max_bytes` (default: the settings' `max_bytes`). `on_hop(url)` is told
        each redirect target just before it is requested (the crawl's "fetched" set).
        `follow=False` stops at the first answer, a redirect included (resource checks).
        """
        result = FetchResult(url=url)
        limit = max_bytes or self.settings.max_bytes
        plan = _Plan(body_for, limit, time.perf_counter(), on_hop, follow)
        try:
            await self._follow(result, plan)
        except InvalidTargetURL as exc:
            result.error = f"refused: {exc.message}"
        except TimeoutError:
            result.error = f"timeout: no complete response within {self.settings.deadline:g} s"
        except httpx.HTTPError as exc:
            result.error = describe_error(exc)
        except (httpx.InvalidURL, ValueError, OSError) as exc:
            result.error = f"request failed: {exc}"
        return result

    async def _follow(self, result: FetchResult, plan: _Plan) -> None:
        url, visited = result.url, {result.url}
        for _ in range(MAX_REDIRECTS + 1):
            await self.book.check(url)
            async with asyncio.timeout(self.settings.deadline):
                location = await self._request(url, result, plan)
            if location is None:
                return
            hop = RedirectHop(url=url, status_code=result.status_code or 0, location=location)
            result.redirects.append(hop)
            if not plan.follow:
                return
            url = normalize_url(location, url) or ""
            if not url:
                result.error = f"redirect to a URL we cannot follow: {location!r}"
                return
            if url in visited:
                result.error = f"redirect loop: {url} was already visited in this chain"
                return
            visited.add(url)
            if plan.on_hop is not None:
                plan.on_hop(url)
        result.error = f"redirect loop: more than {MAX_REDIRECTS} redirects"

    async def _request(self, url: str, result: FetchResult, plan: _Plan) -> str | None:
        """One hop: fill `result` from the response; return the Location to follow, if any."""
        async with self._client.stream("GET", url) as response:
            result.response_time_ms = round((time.perf_counter() - plan.started) * 1000, 1)
            result.final_url = url
            result.status_code = response.status_code
            result.headers = [(k.lower(), v) for k, v in response.headers.multi_items()]
            location = response.extensions.get(LOCATION_KEY)
            if response.status_code in REDIRECT_STATUSES and location:
                return location
            if plan.body_for is None or _wants(result, plan.body_for):
                await _read_body(response, result, plan.max_bytes)
            else:
                await _measure_body(response, result, plan.max_bytes)
        return None


@dataclass(frozen=True)
class _Plan:
    """The per-call choices of one `fetch`, passed down its hops."""

    body_for: tuple[str, ...] | None
    max_bytes: int
    started: float
    on_hop: Callable[[str], None] | None = None
    follow: bool = True


async def _read_body(response: httpx.Response, result: FetchResult, limit: int) -> None:
    """Stream the body, stopping after `limit` bytes (then `truncated`)."""
    chunks, size = [], 0
    async for chunk in response.aiter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            result.truncated = True
            break
    result.body = b"".join(chunks)[:limit]
    result.size_bytes = max(_declared_size(response) or 0, size)


async def _measure_body(response: httpx.Response, result: FetchResult, limit: int) -> None:
    """Size of a body we do not keep: Content-Length, else count up to `limit`."""
    declared = _declared_size(response)
    if declared is not None:
        result.size_bytes = declared
        return
    size = 0
    async for chunk in response.aiter_raw():
        size += len(chunk)
        if size > limit:
            result.truncated = True
            break
    result.size_bytes = size


async def _take_location(response: httpx.Response) -> None:
    """Move Location out of httpx's sight (into `extensions`).

    httpx builds the next request from a Location even with follow_redirects=False,
    and raises on one it cannot parse (`mailto:`…), losing the status we must record.
    """
    location = response.headers.get("location")
    if location is not None:
        response.extensions[LOCATION_KEY] = location
        del response.headers["location"]


def _wants(result: FetchResult, body_for: tuple[str, ...]) -> bool:
    media = (result.content_type or "").split(";")[0].strip().lower()
    return media in body_for


def _declared_size(response: httpx.Response) -> int | None:
    value = response.headers.get("content-length", "")
    return int(value) if value.isdigit() else None


def describe_error(exc: httpx.HTTPError) -> str:
    """Human text for a transport failure, naming DNS failures as such."""
    if isinstance(exc, httpx.TimeoutException):
        kind = type(exc).__name__.replace("Timeout", " timeout").lower()
        return f"{kind}: {exc or 'no answer in time'}"
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, socket.gaierror):
            return f"DNS failure: {cause}"
        cause = cause.__cause__ or cause.__context__
    if isinstance(exc, httpx.ConnectError):
        return f"connection failed: {exc}"
    return f"{type(exc).__name__}: {exc}"
