"""A lean keep-alive HEAD client for resource checks: status and Location, nothing more.

A resource check needs one status line and one header. Through httpx a HEAD costs
about a millisecond of the crawl process's CPU (request and URL models, the pool's
bookkeeping), h11 alone about a sixth of that, and a page points to a dozen or more
resources: the checks would cost more CPU than the pages. A HEAD response has no body
(RFC 9110), so its head is all there is to read: the status line, `Location`, and
whether the server keeps the connection. Anything unusual (a body after the head, a
malformed status line, an early close) is `HeadFailed`, and the caller asks again with
the page fetcher's GET, which handles HTTP in full.

The safety rules are the page fetcher's: connections go only to the addresses the
crawl's `AddressBook` vetted (no second DNS lookup), and the Host header and TLS server
name carry the name.
"""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from seology.crawler.safety import AddressBook

DEFAULT_PORTS = {"http": 80, "https": 443}
MAX_IDLE_PER_ORIGIN = 8
MAX_HEAD_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True)
class HeadAnswer:
    """The status line and Location of one HEAD response."""

    status: int
    location: str | None


class HeadFailed(Exception):
    """The server closed the connection or broke HTTP/1.1 before a whole response head."""


@dataclass(frozen=True, slots=True)
class _Head:
    status: int
    location: str | None
    keep_alive: bool


def parse_head(head: bytes) -> _Head:
    """Status, Location and keep-alive of a response head (without its blank line).

    Header names are found in a lowercased copy (one C call), values read from the
    original: Location keeps its case.
    """
    line_end = head.find(b"\n")
    status_line = head if line_end < 0 else head[:line_end]
    version, _, rest = status_line.strip().partition(b" ")
    code = rest[:3]
    if not version.startswith(b"HTTP/1.") or len(code) != 3 or not code.isdigit():
        raise HeadFailed(f"not an HTTP/1.x status line: {status_line[:80]!r}")
    lowered = head.lower()
    location = _header(head, lowered, b"\nlocation:")
    connection = (_header(head, lowered, b"\nconnection:") or "").lower()
    http10 = version == b"HTTP/1.0"
    keep_alive = "keep-alive" in connection if http10 else "close" not in connection
    return _Head(int(code), location, keep_alive)


def _header(head: bytes, lowered: bytes, marker: bytes) -> str | None:
    """The first value of the header `marker` names (`b"\\nname:"`), trimmed."""
    start = lowered.find(marker)
    if start < 0:
        return None
    start += len(marker)
    end = head.find(b"\n", start)
    value = head[start:] if end < 0 else head[start:end]
    return value.strip().decode("latin-1")


class _Connection(asyncio.Protocol):
    """One HTTP/1.1 connection: a HEAD at a time, reused while the server keeps it."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.waiter: asyncio.Future[_Head] | None = None
        self.buffer = b""
        self.closed = False
        self.spoiled = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        if self.waiter is None or self.waiter.done():
            self.spoiled = True  # bytes nobody asked for: a body after a HEAD
            return
        self.buffer += data
        self._answer()

    def _answer(self) -> None:
        """Complete the waiter once the head (and its blank line) has arrived."""
        assert self.waiter is not None
        end, blank = self.buffer.find(b"\r\n\r\n"), 4
        if end < 0:  # a server that ends its lines with a bare LF
            end, blank = self.buffer.find(b"\n\n"), 2
        if end < 0:
            if len(self.buffer) > MAX_HEAD_BYTES:
                self.waiter.set_exception(HeadFailed("response head too large"))
            return
        head, self.buffer = self.buffer[:end], self.buffer[end + blank :]
        try:
            parsed = parse_head(head)
        except HeadFailed as exc:
            self.waiter.set_exception(exc)
            return
        if 100 <= parsed.status < 200:  # informational: the real answer follows
            self._answer()
            return
        self.spoiled = self.spoiled or bool(self.buffer) or not parsed.keep_alive
        self.waiter.set_result(parsed)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(HeadFailed(f"connection closed: {exc or 'no answer'}"))

    async def head(self, request: bytes) -> _Head:
        assert self.transport is not None
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        return await self.waiter

    @property
    def reusable(self) -> bool:
        return not (self.closed or self.spoiled)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()
        self.closed = True


class HeadClient:
    """HEAD requests over kept connections, per origin; `aclose()` when done."""

    def __init__(
        self,
        *,
        user_agent: str,
        book: AddressBook,
        ssl_context: ssl.SSLContext,
        connect_timeout: float,
    ) -> None:
        self.header_lines = f"User-Agent: {user_agent}\r\nAccept: */*\r\n"
        self.book = book
        self.ssl_context = ssl_context
        self.connect_timeout = connect_timeout
        self._idle: dict[tuple[str, str, int], list[_Connection]] = {}

    async def head(self, url: str) -> HeadAnswer:
        """HEAD `url` (already vetted by `book.check`); raise OSError, HeadFailed or
        TimeoutError on failure. The caller bounds the whole call's time."""
        parts = urlsplit(url)
        scheme, host = parts.scheme, parts.hostname or ""
        port = parts.port or DEFAULT_PORTS[scheme]
        origin = (scheme, host, port)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        name = f"[{host}]" if ":" in host else host
        netloc = name if port == DEFAULT_PORTS[scheme] else f"{name}:{port}"
        request = f"HEAD {target} HTTP/1.1\r\nHost: {netloc}\r\n{self.header_lines}\r\n"
        data = request.encode("ascii")
        connection, reused = await self._connection(origin)
        try:
            answer = await connection.head(data)
        except HeadFailed:
            connection.close()
            if not reused:
                raise
            # A kept connection the server closed as we wrote: once more on a new one.
            connection, _ = await self._connect(origin), False
            try:
                answer = await connection.head(data)
            except BaseException:
                connection.close()
                raise
        except BaseException:
            connection.close()
            raise
        self._release(origin, connection)
        return HeadAnswer(answer.status, answer.location)

    def _release(self, origin: tuple[str, str, int], connection: _Connection) -> None:
        idle = self._idle.setdefault(origin, [])
        if connection.reusable and len(idle) < MAX_IDLE_PER_ORIGIN:
            idle.append(connection)
        else:
            connection.close()

    async def _connection(self, origin: tuple[str, str, int]) -> tuple[_Connection, bool]:
        """A kept connection to `origin` (and True), or a new one (and False)."""
        idle = self._idle.get(origin, [])
        while idle:
            connection = idle.pop()
            if not connection.closed:
                return connection, True
        return await self._connect(origin), False

    async def _connect(self, origin: tuple[str, str, int]) -> _Connection:
        scheme, host, port = origin
        context = self.ssl_context if scheme == "https" else None
        addresses = [host] if self.book.allow_private else await self.book.vetted(host, port)
        failure: Exception = OSError(f"{host} has no usable address")
        loop = asyncio.get_running_loop()
        for address in addresses:
            try:
                async with asyncio.timeout(self.connect_timeout):
                    _, protocol = await loop.create_connection(
                        _Connection,
                        host=str(address),
                        port=port,
                        ssl=context,
                        server_hostname=host if context else None,
                    )
            except (OSError, TimeoutError) as exc:
                failure = exc
            else:
                return protocol
        raise failure

    async def aclose(self) -> None:
        for connections in self._idle.values():
            for connection in connections:
                connection.close()
        self._idle.clear()
