"""robots.txt policy: RFC 9309 status rules and matching through Protego."""

from __future__ import annotations

import pytest

from seology.crawler.robots import MAX_ROBOTS_BYTES, parse_robots, robots_url

UA = "SeologyBot/0.1 (+https://seology.ai/bot)"
SITE = "https://example.com"
ROBOTS = b"""
User-agent: *
Disallow: /private/
Allow: /private/open$
Crawl-delay: 2

User-agent: SeologyBot
Disallow: /no-seology/
Crawl-delay: 5

Sitemap: https://example.com/sitemap-a.xml
Sitemap: https://example.com/sitemap-b.xml.gz
"""


def test_our_group_wins_over_star():
    """A group naming our agent replaces `*` entirely (RFC 9309)."""
    policy = parse_robots(200, ROBOTS, user_agent=UA)
    assert not policy.can_fetch(f"{SITE}/no-seology/page")
    assert policy.can_fetch(f"{SITE}/private/page")  # only `*` disallows it
    assert policy.crawl_delay == 5.0
    assert policy.sitemaps == (
        "https://example.com/sitemap-a.xml",
        "https://example.com/sitemap-b.xml.gz",
    )


def test_star_group_applies_to_others():
    """Another agent falls back to `*`, with longest match and `$`."""
    policy = parse_robots(200, ROBOTS, user_agent="OtherBot")
    assert not policy.can_fetch(f"{SITE}/private/page")
    assert policy.can_fetch(f"{SITE}/private/open")
    assert not policy.can_fetch(f"{SITE}/private/open/more")
    assert policy.crawl_delay == 2.0


@pytest.mark.parametrize(
    ("status", "allowed"),
    [
        (404, True),  # 4xx: no restrictions
        (403, True),  # even 401/403 (RFC 9309 2.3.1.3)
        (500, False),  # 5xx: everything disallowed
        (503, False),
        (None, False),  # no answer at all: disallowed
    ],
)
def test_status_rules(status, allowed):
    """The HTTP status alone decides when the file is unavailable."""
    policy = parse_robots(status, b"User-agent: *\nDisallow: /", user_agent=UA)
    assert policy.can_fetch(f"{SITE}/page") is allowed
    assert policy.status == status


@pytest.mark.parametrize(
    "body",
    [
        bytes(range(256)) * 100,  # binary garbage
        b"\x00\x00\x00",  # NULs
        b"Disallow: /x\nUser-agent\n:::\n",  # rule before any group, broken lines
        b"",  # empty file
    ],
)
def test_garbage_allows_all(body):
    """A file without usable rules restricts nothing and does not raise."""
    policy = parse_robots(200, body, user_agent=UA)
    assert policy.can_fetch(f"{SITE}/anything")


def test_only_first_500_kib_read():
    """Rules after 500 KiB are ignored; the cut-off line is dropped."""
    filler = b"# " + b"x" * 100 + b"\n"
    body = b"User-agent: *\nDisallow: /early\n" + filler * (MAX_ROBOTS_BYTES // len(filler) + 10)
    body += b"Disallow: /late\n"
    policy = parse_robots(200, body, user_agent=UA)
    assert not policy.can_fetch(f"{SITE}/early")
    assert policy.can_fetch(f"{SITE}/late")
    assert len(policy.text or "") <= MAX_ROBOTS_BYTES


def test_robots_url_is_at_the_origin():
    """robots.txt lives at the root of the scheme+host+port."""
    assert robots_url("https://example.com:8443/a/b?c") == "https://example.com:8443/robots.txt"
