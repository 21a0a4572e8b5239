"""The SSRF guard: only public http(s) targets unless private ones are allowed."""

from __future__ import annotations

import asyncio
import ipaddress

import pytest

from seology.core.errors import InvalidTargetURL
from seology.crawler.safety import blocked_reason, check_target, parse_ip


def check(url: str, *, allow_private: bool = False) -> None:
    asyncio.run(check_target(url, allow_private=allow_private))


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1/", "loopback"),  # dotted loopback
        ("http://2130706433/", "loopback"),  # decimal form of 127.0.0.1
        ("http://0x7f000001/", "loopback"),  # hex form
        ("http://0177.0.0.1/", "loopback"),  # octal form
        ("http://127.1/", "loopback"),  # short form
        ("http://[::1]/", "loopback"),  # IPv6 loopback
        ("http://[::ffff:127.0.0.1]/", "loopback"),  # IPv4-mapped IPv6
        ("http://[::ffff:10.0.0.1]/", "private"),  # IPv4-mapped private
        ("http://10.1.2.3/", "private"),  # RFC 1918
        ("http://172.16.0.1/", "private"),  # RFC 1918
        ("http://192.168.1.1/", "private"),  # RFC 1918
        ("http://[fd12::1]/", "private"),  # IPv6 unique local
        ("http://169.254.169.254/latest/meta-data/", "cloud metadata"),  # AWS/GCP/Azure
        ("http://[fd00:ec2::254]/", "cloud metadata"),  # AWS IPv6 metadata
        ("http://169.254.1.1/", "link-local"),  # IPv4 link-local
        ("http://[fe80::1]/", "link-local"),  # IPv6 link-local
        ("http://224.0.0.1/", "multicast"),  # multicast
        ("http://0.0.0.0/", "unspecified"),  # "this host"
        ("http://100.64.0.1/", "non-public"),  # carrier-grade NAT
        ("http://localhost:8000/", "loopback"),  # DNS name resolving to loopback
    ],
)
def test_private_targets_refused(url, reason):
    """Every spelling of a non-public address is refused, naming why."""
    with pytest.raises(InvalidTargetURL, match=reason):
        check(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/",  # loopback, as in tests and the local demo
        "http://2130706433/",  # odd spellings too
        "http://[::1]/",
        "http://localhost/",
    ],
)
def test_private_targets_allowed_when_configured(url):
    """allow_private skips the address check (tests and demos crawl 127.0.0.1)."""
    check(url, allow_private=True)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/",  # other scheme
        "file:///etc/passwd",  # local file
        "javascript:alert(1)",  # not a URL we fetch
        "http:///path-only",  # no host
        "http://[::1/",  # unparseable
    ],
)
@pytest.mark.parametrize("allow_private", [False, True])
def test_non_http_refused_even_when_private_allowed(url, allow_private):
    """Scheme and host are checked whatever allow_private says."""
    with pytest.raises(InvalidTargetURL):
        check(url, allow_private=allow_private)


def test_dns_failure_is_invalid_target():
    """A host that does not resolve is refused with "cannot resolve"."""
    with pytest.raises(InvalidTargetURL, match="cannot resolve"):
        check("http://no-such-host.invalid/")


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),  # public IPv4
        ("2606:4700:4700::1111", True),  # public IPv6
        ("192.0.2.1", False),  # documentation range
        ("255.255.255.255", False),  # broadcast
    ],
)
def test_blocked_reason(address, public):
    """Public addresses have no blocking reason; special ranges have one."""
    assert (blocked_reason(ipaddress.ip_address(address)) is None) is public


def test_parse_ip_leaves_dns_names_alone():
    """Names that merely look numeric-ish are not taken for IPs."""
    assert parse_ip("example.com") is None
    assert parse_ip("deadbeef.example") is None
    assert str(parse_ip("0x7f.1")) == "127.0.0.1"
