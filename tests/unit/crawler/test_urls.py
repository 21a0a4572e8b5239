"""URL normalisation and the same-site test (docs/audit-checks.md "Crawl rules: URLs")."""

from __future__ import annotations

import pytest

from seology.crawler.urls import is_internal, normalize_url, site_host

BASE = "https://www.example.com/dir/page.html"


@pytest.mark.parametrize(
    ("href", "base", "expected"),
    [
        # relative path resolved against the page URL
        ("other.html", BASE, "https://www.example.com/dir/other.html"),
        # parent directory
        ("../up", BASE, "https://www.example.com/up"),
        # root-relative
        ("/root", BASE, "https://www.example.com/root"),
        # protocol-relative takes the page's scheme
        ("//cdn.example.net/x.js", BASE, "https://cdn.example.net/x.js"),
        # fragment dropped
        ("/a#section", BASE, "https://www.example.com/a"),
        # pure fragment is the page itself
        ("#top", BASE, "https://www.example.com/dir/page.html"),
        # scheme and host lowercased, path case kept
        ("HTTP://WWW.Example.COM/Path", None, "http://www.example.com/Path"),
        # default ports dropped
        ("http://example.com:80/a", None, "http://example.com/a"),
        ("https://example.com:443/a", None, "https://example.com/a"),
        # non-default port kept
        ("http://example.com:8080/a", None, "http://example.com:8080/a"),
        # utm_*, gclid and fbclid removed, other parameters kept in order
        (
            "/p?b=2&utm_source=x&a=1&gclid=g&fbclid=f&UTM_Medium=m",
            BASE,
            "https://www.example.com/p?b=2&a=1",
        ),
        # only tracking parameters: the query disappears
        ("/p?utm_campaign=spring", BASE, "https://www.example.com/p"),
        # non-ASCII path and query percent-encoded (UTF-8)
        ("/café?q=thé", BASE, "https://www.example.com/caf%C3%A9?q=th%C3%A9"),
        # existing percent-escapes left alone
        ("/a%20b", BASE, "https://www.example.com/a%20b"),
        # spaces encoded
        ("/a b", BASE, "https://www.example.com/a%20b"),
        # international host IDNA-encoded
        ("http://bücher.example/", None, "http://xn--bcher-kva.example/"),
        # empty path becomes /
        ("https://example.com", None, "https://example.com/"),
        # IPv6 literal keeps its brackets
        ("http://[::1]:8000/x", None, "http://[::1]:8000/x"),
        # empty href is the page itself
        ("", BASE, "https://www.example.com/dir/page.html"),
        # surrounding whitespace ignored
        ("  /trim  ", BASE, "https://www.example.com/trim"),
    ],
)
def test_normalize_url(href, base, expected):
    """Each spelling normalises to the one canonical string."""
    assert normalize_url(href, base) == expected


@pytest.mark.parametrize(
    "href",
    [
        "mailto:someone@example.com",  # not http(s)
        "javascript:void(0)",  # script pseudo-URL
        "tel:+441234",  # phone link
        "ftp://example.com/file",  # other protocol
        "file:///etc/passwd",  # local file
        "http://example.com:99999/",  # port out of range
        "http://[::1/",  # broken IPv6 literal
        "http:///nohost",  # no host
        "data:text/html,hi",  # data URL
    ],
)
def test_normalize_url_refuses(href):
    """Hrefs that are not fetchable http(s) URLs normalise to None."""
    assert normalize_url(href, BASE) is None


@pytest.mark.parametrize(
    ("url", "site", "expected"),
    [
        ("https://www.example.com/a", "example.com", True),  # www. and bare host: one site
        ("https://example.com/a", "www.example.com", True),  # and the other way round
        ("http://EXAMPLE.com/a", "example.com", True),  # host case ignored
        ("https://blog.example.com/", "example.com", False),  # subdomain is another site
        ("https://example.org/", "example.com", False),  # other domain
        ("https://example.com:8080/", "example.com", True),  # port does not matter
        ("mailto:x@example.com", "example.com", False),  # no host
        ("https://example.com/", "", False),  # no site
    ],
)
def test_is_internal(url, site, expected):
    """Internal means same host, www. ignored."""
    assert is_internal(url, site) is expected


def test_site_host_strips_www_and_lowercases():
    """site_host names the site the way is_internal compares it."""
    assert site_host("https://WWW.Example.com:8443/x") == "example.com"
    assert site_host("not a url") == ""
