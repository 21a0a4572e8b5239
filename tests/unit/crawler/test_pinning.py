"""DNS pinning and the SSRF table: vetted addresses are the only ones connected to.

Refusals are tested through a real Fetcher against a local SiteServer. The server
listens on 127.0.0.1, which private-target refusal forbids, so these tests give the
fetcher an AddressBook with one exemption: (127.0.0.1, the server's port) counts as
public. Every other port, and every other spelling of a private address, stays refused.
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Iterator

import pytest

from seology.core.errors import InvalidTargetURL
from seology.crawler.fetch import Fetcher, FetchSettings
from seology.crawler.safety import AddressBook
from seology.testing.sites import SiteServer, html, redirect

SSRF_TABLE = [
    "http://127.0.0.1/",  # loopback
    "http://10.0.0.1/",  # 10/8
    "http://172.16.0.1/",  # 172.16/12
    "http://172.31.255.254/",  # top of 172.16/12
    "http://192.168.0.1/",  # 192.168/16
    "http://169.254.169.254/latest/meta-data/",  # cloud metadata
    "http://[fd00:ec2::254]/",  # AWS IPv6 metadata
    "http://[::1]/",  # IPv6 loopback
    "http://[::ffff:127.0.0.1]/",  # IPv4-mapped loopback
    "http://0.0.0.0/",  # unspecified
    "http://2130706433/",  # decimal 127.0.0.1
    "http://0177.0.0.1/",  # octal
    "http://0x7f.1/",  # hex, short
    "http://127.1/",  # short form
    "http://localhost/",  # a DNS name resolving to loopback
]


def answers(*rounds: list[str]):
    """A resolver giving each round's addresses in turn (the last one forever), counting calls."""
    calls: list[str] = []

    async def resolver(host: str) -> list:
        calls.append(host)
        chosen = rounds[min(len(calls), len(rounds)) - 1]
        return [ipaddress.ip_address(a) for a in chosen]

    return resolver, calls


@pytest.fixture
def server() -> Iterator[SiteServer]:
    routes = {"/": html("<title>ok</title>")}
    routes |= {f"/to/{n}": redirect(target) for n, target in enumerate(SSRF_TABLE)}
    with SiteServer(routes) as site:
        yield site


def port_of(site: SiteServer) -> int:
    return int(site.base_url.rsplit(":", 1)[1])


def fetch(url: str, book: AddressBook, *, connect_timeout: float = 2.0):
    settings = FetchSettings(user_agent="test", connect_timeout=connect_timeout, read_timeout=2.0)

    async def go():
        async with Fetcher(settings, book=book) as fetcher:
            return await fetcher.fetch(url)

    return asyncio.run(go())


@pytest.mark.parametrize("target", SSRF_TABLE)
def test_ssrf_table_refused_directly(target):
    """Each private spelling is refused before any connection."""
    with pytest.raises(InvalidTargetURL, match="Refusing"):
        asyncio.run(AddressBook(allow_private=False).check(target))


@pytest.mark.parametrize(("n", "target"), list(enumerate(SSRF_TABLE)))
def test_redirect_from_public_site_to_private_refused(server, n, target):
    """A public site redirecting to any private target: the hop is recorded, not fetched."""
    book = AddressBook(allow_private=False, exempt=[("127.0.0.1", port_of(server))])
    result = fetch(server.url(f"/to/{n}"), book)
    assert result.error.startswith("refused: Refusing to crawl")
    assert [hop.location for hop in result.redirects] == [target]
    assert server.requests == [f"/to/{n}"]


def test_exempt_server_is_fetched(server):
    """The exemption is what lets the tests above reach the local server at all."""
    book = AddressBook(allow_private=False, exempt=[("127.0.0.1", port_of(server))])
    assert fetch(server.url("/"), book).status_code == 200
    refused = fetch(server.url("/"), AddressBook(allow_private=False))
    assert "loopback" in refused.error
    assert server.requests == ["/"]


def test_rebinding_cannot_reach_loopback(server):
    """Public at check time, loopback afterwards: the connection goes to the public one."""
    resolver, calls = answers(["93.184.216.34"], ["127.0.0.1"])
    book = AddressBook(allow_private=False, resolver=resolver)
    result = fetch(f"http://rebind.test:{port_of(server)}/", book, connect_timeout=0.5)
    assert result.status_code is None and result.error
    assert server.requests == []  # nothing ever reached 127.0.0.1
    assert calls == ["rebind.test"]  # resolved once: no second answer to trust


def test_connection_uses_the_vetted_address(server):
    """The name is resolved once and connected to at its vetted address (Host keeps the name)."""
    resolver, calls = answers(["127.0.0.1"], ["10.0.0.1"])
    exempt = [("127.0.0.1", port_of(server))]
    book = AddressBook(allow_private=False, resolver=resolver, exempt=exempt)
    for _ in range(3):
        assert fetch(f"http://pinned.test:{port_of(server)}/", book).status_code == 200
    assert calls == ["pinned.test"]


def test_concurrent_checks_share_one_lookup():
    """Sixteen visits starting together trigger one DNS lookup per host."""
    resolver, calls = answers(["93.184.216.34"])
    book = AddressBook(allow_private=False, resolver=resolver)

    async def go():
        await asyncio.gather(*(book.check(f"http://a.test/{n}") for n in range(16)))

    asyncio.run(go())
    assert calls == ["a.test"]


def test_failed_lookup_is_retried():
    """A DNS failure is not cached for the rest of the crawl."""
    calls: list[str] = []

    async def flaky(host: str) -> list:
        calls.append(host)
        if len(calls) == 1:
            raise InvalidTargetURL(f"cannot resolve host {host!r}")
        return [ipaddress.ip_address("93.184.216.34")]

    book = AddressBook(allow_private=False, resolver=flaky)
    with pytest.raises(InvalidTargetURL, match="cannot resolve"):
        asyncio.run(book.check("http://flaky.test/"))
    asyncio.run(book.check("http://flaky.test/"))
    assert calls == ["flaky.test", "flaky.test"]


def test_idle_connection_readability_matches_httpcore():
    """KnownSocketStream answers "readable" like httpcore: idle no, closed by peer yes."""
    import socket

    from seology.crawler.pinning import _readable

    ours, peer = socket.socketpair()
    try:
        assert not _readable(ours)
        peer.close()
        assert _readable(ours)
    finally:
        ours.close()
    assert _readable(None)
    assert _readable(ours)  # closed: fileno() is -1


def test_cookies_still_kept():
    """SetCookieJar skips responses without Set-Cookie, and keeps the ones that set one."""
    routes = {
        "/a": html("<p>a</p>", headers={"Set-Cookie": "sid=42; Path=/"}),
        "/b": html("<p>b</p>"),
    }

    async def main(server: SiteServer) -> dict[str, str]:
        settings = FetchSettings(user_agent="t", allow_private=True)
        async with Fetcher(settings) as fetcher:
            await fetcher.fetch(server.url("/b"))
            assert dict(fetcher._client.cookies) == {}
            await fetcher.fetch(server.url("/a"))
            await fetcher.fetch(server.url("/b"))
            return dict(fetcher._client.cookies)

    with SiteServer(routes) as server:
        assert asyncio.run(main(server)) == {"sid": "42"}
