"""SSRF guard: the crawler fetches only public http(s) addresses unless told otherwise.

A user hands us any URL; without this check "crawl http://169.254.169.254/" reads the
cloud metadata service and "crawl http://localhost:5432/" probes our own network. The
check runs on the start URL and again on every redirect hop, after DNS resolution,
and it understands the odd spellings of an IP (`2130706433`, `0x7f.1`, `0177.0.0.1`,
`::ffff:127.0.0.1`) that `ipaddress` alone does not.

Checking a name and then letting the HTTP client resolve it again leaves a gap: a DNS
server that answers "public" to the check and "127.0.0.1" to the connect (DNS
rebinding) walks straight through. So an `AddressBook` resolves each host once per
crawl, vets every address, and the fetcher's network backend (`pinning.PinnedBackend`)
connects only to those vetted addresses; the Host header and TLS SNI still carry the
name. The resolver is a parameter, so tests can play the rebinding DNS server.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable
from urllib.parse import urlsplit

from seology.core.errors import InvalidTargetURL

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str], Awaitable[list[IPAddress]]]

METADATA_ADDRESSES = frozenset(
    {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
)
_LEGACY_IPV4_CHARS = frozenset("0123456789abcdefx.")


async def check_target(url: str, *, allow_private: bool) -> None:
    """Raise InvalidTargetURL unless `url` is http(s) and (when required) public.

    With `allow_private` only the scheme and host are checked (tests and local demos
    crawl 127.0.0.1); otherwise every address the host resolves to must be public.
    """
    await AddressBook(allow_private=allow_private).check(url)


def never_allowed(url: str, *, allow_private: bool) -> str | None:
    """Why `url` can never be crawled whatever DNS answers later, or None.

    For site creation: an address literal that is not public, or a `localhost` name,
    is refused by every crawl with private targets off; a DNS name is judged at crawl
    time, when it is resolved (its addresses may change).
    """
    if allow_private:
        return None
    host, _ = _host_and_port(url)
    host = host.lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return f"{host} is a loopback name"
    literal = parse_ip(host)
    reason = blocked_reason(literal) if literal is not None else None
    return f"{host} is a {reason} address" if reason else None


class AddressBook:
    """Each host's vetted addresses, resolved once per crawl: the DNS pin.

    `check(url)` refuses what must not be fetched; `vetted(host, port)` gives the
    addresses a connection to `host` may use (the same ones the check saw).
    `exempt` lists (address, port) pairs to treat as public: the only way a test can
    stand up a "public" site on 127.0.0.1 while private targets are refused, and
    narrow on purpose (one port), so that every other spelling of 127.0.0.1 and every
    other port stay refused.
    """

    def __init__(
        self,
        *,
        allow_private: bool,
        resolver: Resolver | None = None,
        exempt: Iterable[tuple[str, int]] = (),
    ) -> None:
        self.allow_private = allow_private
        self.resolver = resolver or resolve
        self.exempt = frozenset((str(ipaddress.ip_address(a)), p) for a, p in exempt)
        self._resolved: dict[str, asyncio.Task[list[IPAddress]]] = {}

    async def check(self, url: str) -> None:
        """Raise InvalidTargetURL unless `url` is http(s) and (when required) public."""
        host, port = _host_and_port(url)
        if not self.allow_private:
            await self.vetted(host, port, url=url)

    async def vetted(self, host: str, port: int, *, url: str | None = None) -> list[IPAddress]:
        """The addresses of `host`, all of them allowed on `port`, or InvalidTargetURL."""
        addresses = await self._addresses(host.lower())
        for address in addresses:
            reason = blocked_reason(address)
            if reason and (str(address), port) not in self.exempt:
                what = url or f"{host}:{port}"
                msg = f"Refusing to crawl {what}: {host} is a {reason} address ({address})."
                raise InvalidTargetURL(msg)
        return addresses

    async def _addresses(self, host: str) -> list[IPAddress]:
        """Resolve once per host (concurrent askers share the lookup; failures retry)."""
        literal = parse_ip(host)
        if literal is not None:
            return [literal]
        task = self._resolved.get(host)
        if task is None:
            task = self._resolved[host] = asyncio.ensure_future(self.resolver(host))
        try:
            return await asyncio.shield(task)
        except Exception:
            self._resolved.pop(host, None)
            raise


def _host_and_port(url: str) -> tuple[str, int]:
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError as exc:
        raise InvalidTargetURL(f"Not a valid URL: {url!r} ({exc}).") from exc
    scheme = parts.scheme.lower()
    if scheme not in {"http", "https"}:
        raise InvalidTargetURL(f"Only http and https URLs can be crawled, not {url!r}.")
    if not host:
        raise InvalidTargetURL(f"The URL {url!r} has no host.")
    return host, port or (443 if scheme == "https" else 80)


def parse_ip(host: str) -> IPAddress | None:
    """The address `host` spells, including legacy IPv4 forms; None for a DNS name."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    if host and set(host.lower()) <= _LEGACY_IPV4_CHARS and host[0].isdigit():
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def blocked_reason(address: IPAddress) -> str | None:
    """Why `address` must not be crawled ("loopback", "private"…), or None if public."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return blocked_reason(address.ipv4_mapped)
    checks = (
        (address in METADATA_ADDRESSES, "cloud metadata"),
        (address.is_loopback, "loopback"),
        (address.is_link_local, "link-local"),
        (address.is_multicast, "multicast"),
        (address.is_unspecified, "unspecified"),
        (address.is_private, "private"),
        (address.is_reserved, "reserved"),
        (not address.is_global, "non-public"),
    )
    return next((reason for hit, reason in checks if hit), None)


async def resolve(host: str) -> list[IPAddress]:
    """The system resolver's addresses for DNS name `host` (InvalidTargetURL if none)."""
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise InvalidTargetURL(f"cannot resolve host {host!r}: {exc}") from exc
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
