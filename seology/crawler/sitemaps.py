"""Sitemaps: the URLs a site says it has, from robots.txt `Sitemap:` lines or /sitemap.xml.

Sitemaps are untrusted XML from the internet, so parsing is defensive: no entity
expansion, no network, no huge trees, gzip decompression capped at 50 MB, at most
50,000 URLs per file (the protocol's limit), and an index that lists itself or loops
back is not followed twice. A broken sitemap is recorded as an error and skipped: it
must never stop the crawl.
"""

from __future__ import annotations

import zlib
from collections import deque
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from lxml import etree

from seology.crawler.fetch import Fetcher
from seology.crawler.urls import normalize_url

MAX_URLS_PER_FILE = 50_000
MAX_UNCOMPRESSED_BYTES = 50 * 1024 * 1024
MAX_SITEMAP_FILES = 500
GZIP_MAGIC = b"\x1f\x8b"
HTTP_OK = 200
HTTP_NOT_FOUND = 404


@dataclass(frozen=True, kw_only=True)
class SitemapDocument:
    """One parsed sitemap file: a `urlset` (pages) or a `sitemapindex` (more sitemaps)."""

    kind: Literal["urlset", "index", "unknown"] = "unknown"
    locs: tuple[str, ...] = ()
    error: str | None = None
    too_big: bool = False


@dataclass(kw_only=True)
class SitemapResult:
    """Everything sitemap discovery found: page URLs, the files read, their errors."""

    urls: list[str] = field(default_factory=list)
    sitemaps: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)


def decompress(body: bytes) -> bytes:
    """Gunzip `body` if it is gzip (by magic bytes, not by name); else return it as is.

    A `.xml.gz` served already decompressed is therefore read as plain XML.
    Raises ValueError for a corrupt or oversized gzip stream.
    """
    if not body.startswith(GZIP_MAGIC):
        return body
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        data = inflater.decompress(body, MAX_UNCOMPRESSED_BYTES + 1)
    except zlib.error as exc:
        raise ValueError(f"bad gzip: {exc}") from exc
    if len(data) > MAX_UNCOMPRESSED_BYTES:
        raise ValueError("sitemap is larger than 50 MB uncompressed")
    if not inflater.eof:
        raise ValueError("bad gzip: the stream is truncated")
    return data


def parse_sitemap(body: bytes) -> SitemapDocument:
    """Parse one sitemap file (gzip or plain XML) without ever raising."""
    try:
        root = etree.fromstring(decompress(body), parser=_parser())
    except (ValueError, etree.XMLSyntaxError) as exc:
        return SitemapDocument(error=f"not a valid sitemap: {exc}")
    if root is None:
        return SitemapDocument(error="not a valid sitemap: empty document")
    return _document(root)


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False)


def _document(root: etree._Element) -> SitemapDocument:
    name = etree.QName(root).localname if isinstance(root.tag, str) else ""
    kind: Literal["urlset", "index", "unknown"] = {
        "urlset": "urlset",
        "sitemapindex": "index",
    }.get(name, "unknown")  # type: ignore[assignment]
    if kind == "unknown":
        return SitemapDocument(error=f"not a sitemap: root element is <{name}>")
    locs = _locs(root)
    too_big = len(locs) > MAX_URLS_PER_FILE
    return SitemapDocument(kind=kind, locs=tuple(locs[:MAX_URLS_PER_FILE]), too_big=too_big)


def _locs(root: etree._Element) -> list[str]:
    """Text of every `<loc>` child of the root's entries, whatever the namespace."""
    found = []
    for entry in root:
        for child in entry if isinstance(entry.tag, str) else ():
            if isinstance(child.tag, str) and etree.QName(child).localname == "loc":
                if child.text and child.text.strip():
                    found.append(child.text.strip())
                if len(found) > MAX_URLS_PER_FILE:
                    return found
    return found


def default_sitemap_url(site_url: str) -> str:
    """`/sitemap.xml` at the origin of `site_url`."""
    parts = urlsplit(site_url)
    return urlunsplit((parts.scheme, parts.netloc, "/sitemap.xml", "", ""))


async def discover(
    fetcher: Fetcher,
    starts: list[str],
    *,
    max_urls: int,
    max_files: int = MAX_SITEMAP_FILES,
    guessed: bool = False,
) -> SitemapResult:
    """Read the sitemaps `starts` and every index they lead to; collect page URLs.

    Breadth-first over sitemap files with a visited set (so self-references and loops
    end), at most `max_files` files fetched and `max_urls` page URLs in all (the crawl
    sizes both by its page budget): once it has `max_urls`, no further file is read.
    `guessed`: the starts are a guess (/sitemap.xml), so their 404 is no error.
    """
    result, seen_urls = SitemapResult(), set[str]()
    optional = set(starts) if guessed else set()
    queue, visited = deque(starts), set(starts)
    fetched = 0
    while queue and fetched < max_files and len(result.urls) < max_urls:
        sitemap_url = queue.popleft()
        fetched += 1
        document = await _read(fetcher, sitemap_url, result, optional=sitemap_url in optional)
        if document is None:
            continue
        children = _new_locs(document.locs, sitemap_url, visited)
        if document.kind == "index":
            visited.update(children)
            queue.extend(children)
        else:
            _add_urls(result, seen_urls, children, max_urls)
    return result


async def _read(
    fetcher: Fetcher, url: str, result: SitemapResult, *, optional: bool
) -> SitemapDocument | None:
    """Fetch and parse one sitemap; record it (and any error) in `result`."""
    response = await fetcher.fetch(url, max_bytes=MAX_UNCOMPRESSED_BYTES)
    if response.error or response.status_code != HTTP_OK:
        if not (optional and response.status_code == HTTP_NOT_FOUND):
            result.errors[url] = response.error or f"HTTP {response.status_code}"
        return None
    result.sitemaps.append(url)
    document = parse_sitemap(response.body)
    if document.error:
        result.errors[url] = document.error
        return None
    if document.too_big:
        result.errors[url] = f"more than {MAX_URLS_PER_FILE} URLs; the rest were ignored"
    return document


def _new_locs(locs: tuple[str, ...], base: str, visited: set[str]) -> list[str]:
    """Normalised locs of a file, without itself and already-visited sitemaps."""
    out = []
    for loc in locs:
        url = normalize_url(loc, base)
        if url and url != base and url not in visited:
            out.append(url)
    return out


def _add_urls(result: SitemapResult, seen: set[str], urls: list[str], max_urls: int) -> None:
    for url in urls:
        if len(result.urls) >= max_urls:
            return
        if url not in seen:
            seen.add(url)
            result.urls.append(url)
