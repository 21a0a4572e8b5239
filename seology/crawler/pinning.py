"""DNS pinning: connections go only to the addresses the SSRF guard vetted.

A rebinding server could answer a second DNS lookup differently from the first one the
guard checked; so httpcore never looks the name up again: `PinnedBackend` connects to
the vetted address, and `pinned_transport` puts it under httpx's own transport.
"""

from __future__ import annotations

import select
import socket
import ssl
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

from seology.crawler.safety import AddressBook
from seology.crawler.tls import public_tls_context


class PinnedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network layer, connecting only to the addresses `book` vetted.

    httpcore hands `connect_tcp` the URL's host name; we swap it for a vetted address
    (trying each in turn) and leave the rest alone: httpcore still sends the name in
    the Host header and as the TLS server name, so virtual hosts and certificates work.
    With private targets allowed there is nothing to protect and the name passes through.
    """

    def __init__(
        self, book: AddressBook, inner: httpcore.AsyncNetworkBackend | None = None
    ) -> None:
        self.book = book
        self.inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        if self.book.allow_private:
            stream = await self.inner.connect_tcp(
                host, port, timeout, local_address, socket_options
            )
            return KnownSocketStream(stream)
        failure: Exception = httpcore.ConnectError(f"{host} has no usable address")
        for address in await self.book.vetted(host, port):
            try:
                stream = await self.inner.connect_tcp(
                    str(address), port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
            else:
                return KnownSocketStream(stream)
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("the crawler does not connect to unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


class KnownSocketStream(httpcore.AsyncNetworkStream):
    """httpcore's stream, answering "is the idle connection readable?" from a kept socket.

    httpcore's pool asks every idle connection whether the server closed it each time
    it assigns or releases a request (~35 times a page at 16 connections); the anyio
    stream answers by rebuilding its whole attribute table (getpeername included)
    every time. Same answer (a zero-timeout poll of the socket), far cheaper
    (docs/performance.md).
    """

    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self.inner = inner
        self.socket: socket.socket | None = inner.get_extra_info("socket")

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:  # noqa: ASYNC109
        return await self.inner.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:  # noqa: ASYNC109
        await self.inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self.inner.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
    ) -> httpcore.AsyncNetworkStream:
        return KnownSocketStream(await self.inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":
            return _readable(self.socket)
        if info == "socket":
            return self.socket
        return self.inner.get_extra_info(info)


def _readable(sock: socket.socket | None) -> bool:
    """httpcore's `is_socket_readable`: True for a gone socket, else a zero-timeout poll."""
    if sock is None or sock.fileno() < 0:
        return True
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    return bool(poller.poll(0))


def pinned_transport(
    backend: PinnedBackend, max_connections: int, *, verify: ssl.SSLContext | None = None
) -> httpx.AsyncHTTPTransport:
    """httpx's own transport, with its connection pool rebuilt on `backend`.

    httpx has no public way to choose httpcore's network backend, so the pool the
    transport made is replaced by an identical one on ours (tests/unit/crawler/
    test_pinning.py fails loudly if httpx ever renames `_pool`).
    """
    transport = httpx.AsyncHTTPTransport(
        verify=verify or public_tls_context(), http1=True, http2=False
    )
    made = transport._pool
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=made._ssl_context,
        max_connections=max_connections,
        max_keepalive_connections=max_connections,
        keepalive_expiry=made._keepalive_expiry,
        http1=True,
        http2=False,
        network_backend=backend,
    )
    return transport
