"""SSRF guard: the crawler fetches only public http(s) addresses unless told otherwise.

A user hands us any URL; without this check "crawl http://169.254.169.254/" reads the
cloud metadata service and "crawl http://localhost:5432/" probes our own network. The
check runs on the start URL and again on every redirect hop, after DNS resolution,
and it understands the odd spellings of an IP (`2130706433`, `0x7f.1`, `0177.0.0.1`,
`::ffff:127.0.0.1`) that `ipaddress` alone does not.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from seology.errors import InvalidTargetURL

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

METADATA_ADDRESSES = frozenset(
    {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
)
_LEGACY_IPV4_CHARS = frozenset("0123456789abcdefx.")


async def check_target(url: str, *, allow_private: bool) -> None:
    """Raise InvalidTargetURL unless `url` is http(s) and (when required) public.

    With `allow_private` only the scheme and host are checked (tests and local demos
    crawl 127.0.0.1); otherwise every address the host resolves to must be public.
    """
    host = _host_of(url)
    if allow_private:
        return
    for address in await _addresses(host):
        reason = blocked_reason(address)
        if reason:
            msg = f"Refusing to crawl {url}: {host} is a {reason} address ({address})."
            raise InvalidTargetURL(msg)


def _host_of(url: str) -> str:
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError as exc:
        raise InvalidTargetURL(f"Not a valid URL: {url!r} ({exc}).") from exc
    if parts.scheme.lower() not in {"http", "https"}:
        raise InvalidTargetURL(f"Only http and https URLs can be crawled, not {url!r}.")
    if not host:
        raise InvalidTargetURL(f"The URL {url!r} has no host.")
    return host


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


async def _addresses(host: str) -> list[IPAddress]:
    """Every address `host` stands for: itself if it is an IP, else its DNS answers."""
    literal = parse_ip(host)
    if literal is not None:
        return [literal]
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise InvalidTargetURL(f"cannot resolve host {host!r}: {exc}") from exc
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
