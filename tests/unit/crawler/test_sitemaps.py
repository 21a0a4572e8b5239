"""Sitemap parsing: urlsets, indexes, gzip, and broken files as errors."""

from __future__ import annotations

import gzip

import pytest

from seology.crawler.sitemaps import MAX_URLS_PER_FILE, decompress, parse_sitemap

NS = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
URLSET = f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset {NS}>
  <url><loc> https://example.com/a </loc><lastmod>2026-01-01</lastmod></url>
  <url><loc>https://example.com/b</loc></url>
  <url><loc></loc></url>
</urlset>""".encode()
INDEX = f"""<sitemapindex {NS}>
  <sitemap><loc>https://example.com/s1.xml</loc></sitemap>
  <sitemap><loc>https://example.com/s2.xml.gz</loc></sitemap>
</sitemapindex>""".encode()


def test_urlset():
    """A urlset yields its trimmed, non-empty locs."""
    document = parse_sitemap(URLSET)
    assert document.kind == "urlset"
    assert document.locs == ("https://example.com/a", "https://example.com/b")
    assert document.error is None


def test_index():
    """A sitemap index yields the child sitemaps."""
    document = parse_sitemap(INDEX)
    assert document.kind == "index"
    assert document.locs == ("https://example.com/s1.xml", "https://example.com/s2.xml.gz")


def test_gzip_and_fake_gzip():
    """Gzip is detected by its magic bytes; plain XML named .gz is read as is."""
    assert parse_sitemap(gzip.compress(URLSET)).locs == parse_sitemap(URLSET).locs
    assert decompress(URLSET) == URLSET


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<urlset><url><loc>x</loc>", "not a valid sitemap"),  # truncated XML
        (b"\x1f\x8b\x08\x00garbage", "bad gzip"),  # corrupt gzip
        (b"<html><body>Not found</body></html>", "root element is <html>"),  # HTML page
        (b"", "not a valid sitemap"),  # empty
        (bytes(range(256)), "not a valid sitemap"),  # binary
    ],
)
def test_invalid_files_are_errors(body, message):
    """Broken sitemaps come back with an error, not an exception."""
    document = parse_sitemap(body)
    assert document.error is not None
    assert message in document.error
    assert document.locs == ()


def test_entities_are_not_expanded():
    """A billion-laughs style document does not expand entities."""
    body = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">]>
<urlset><url><loc>https://example.com/&lol2;</loc></url></urlset>"""
    document = parse_sitemap(body)
    assert all("lollol" not in loc for loc in document.locs)


def test_cap_per_file():
    """At most 50,000 URLs are taken from one file, and the file is flagged."""
    entries = b"".join(
        b"<url><loc>https://example.com/%d</loc></url>" % n for n in range(MAX_URLS_PER_FILE + 5)
    )
    document = parse_sitemap(b"<urlset>" + entries + b"</urlset>")
    assert len(document.locs) == MAX_URLS_PER_FILE
    assert document.too_big
