"""HTML → the SEO fields of a PageRecord, as plain data.

Runs in the parser process pool, so it takes bytes/str and returns a dict of plain
values (no soup objects, no pydantic models) that pickles cheaply. The field readers
below are written once, against `reading.Finder`; two paths, one answer: `parse_html`
reads the full BeautifulSoup tree (the plain reading of every field, the reference);
`parse_html_fast` (what the crawler runs, far cheaper) reads lxml's own tree
(`tree.py`), or a bounded strained soup for a page of very many tags (`strained.py`),
plus an lxml text pass, and must give the identical dict
(tests/unit/crawler/test_fast_parse.py). Pages are untrusted:
malformed markup, binary served as text/html and lying charsets must all yield a
record, so decoding falls back with `errors="replace"` and `parse_page` turns any
parser failure into an `error` field instead of an exception.
"""

from __future__ import annotations

import functools
import gc
import json
from typing import Any
from urllib.parse import urljoin, urlsplit

from bs4 import BeautifulSoup

from seology.crawler.encoding import decode_html, header_charset
from seology.crawler.headers import (
    Headers,
    first_header,
    header_pairs,
    link_header,
    security_headers,
)
from seology.crawler.limits import PageLimits, cap_fields
from seology.crawler.reading import Finder, SoupFinder
from seology.crawler.strained import HEADING_TAGS, HIDDEN_TAGS, FieldSoup, TagIndex, visible_text
from seology.crawler.text import has_placeholder, text_fields, text_identity
from seology.crawler.tree import TreeFinder, fits
from seology.crawler.urls import is_internal, normalize_url, site_host

__all__ = [
    "HEADING_TAGS",
    "HIDDEN_TAGS",
    "decode_html",
    "has_placeholder",
    "parse_html",
    "parse_html_fast",
    "parse_page",
]


def parse_page(
    body: bytes, url: str, headers: list[tuple[str, str]], limits: PageLimits | None = None
) -> dict[str, Any]:
    """`parse_html_fast`, but a parser failure becomes `{"error": ...}` (pool-safe)."""
    try:
        return parse_html_fast(body, url, headers, limits)
    except (RecursionError, ValueError, TypeError, AttributeError, LookupError) as exc:
        return {"error": f"could not parse HTML: {type(exc).__name__}: {exc}"}


_FULL_COLLECT_EVERY = 500
_parsed_in_worker = 0


def init_worker() -> None:
    """Parser-process setup: no automatic cyclic GC (see `parse_in_worker`).

    A soup is a cyclic graph (parent ↔ children) of ~1,000 objects a page. With the
    default thresholds the collector runs mid-parse, scans the live tree and promotes
    it to older generations, which then cost more to scan. Freezing the imported
    modules and collecting the young generation once after each page, when the
    whole soup is garbage, saves part of every page's parse (docs/internals/crawler.md).
    """
    gc.freeze()
    gc.disable()


def parse_in_worker(
    body: bytes, url: str, headers: list[tuple[str, str]], limits: PageLimits | None = None
) -> dict[str, Any]:
    """`parse_page`, then free the page's soup (its cycles) while it is cheap to find."""
    global _parsed_in_worker
    fields = parse_page(body, url, headers, limits)
    _parsed_in_worker += 1
    gc.collect(0 if _parsed_in_worker % _FULL_COLLECT_EVERY else 2)
    return fields


def parse_html(
    html: str | bytes, url: str, headers: Headers, limits: PageLimits | None = None
) -> dict[str, Any]:
    """Every HTML-derived PageRecord field of the page at `url`, from one full soup.

    Lists are cut to `limits` (default: `PageLimits()`), what was cut counted in `capped`.
    """
    limits = limits or PageLimits()
    pairs, text = _prepare(html, headers)
    soup = BeautifulSoup(text, "lxml")
    fields = _tag_fields(SoupFinder(soup), url, pairs, limits=limits)
    cap_fields(fields, limits, {})
    fields.update(text_fields(soup))
    return fields


def parse_html_fast(
    html: str | bytes, url: str, headers: Headers, limits: PageLimits | None = None
) -> dict[str, Any]:
    """`parse_html`'s exact answer from lxml's tree and an lxml text pass.

    A page of more tags than a tree should hold (`tree.fits`) is read from a strained
    soup instead, which stops building tags past `limits.build_bound` and only counts
    them, so a page of a million anchors costs what one of a few thousand does
    (`limits.py`).
    """
    limits = limits or PageLimits()
    pairs, text = _prepare(html, headers)
    visible = visible_text(text)
    if visible is not None and fits(text):
        fields = _tag_fields(TreeFinder(text), url, pairs, limits=limits)
        cap_fields(fields, limits, {})
    else:
        soup = FieldSoup(text, limits.build_bound)
        fields = _tag_fields(TagIndex(soup), url, pairs, limits=limits)
        cap_fields(fields, limits, soup.skipped)
    if visible is None:  # deeper than lxml's tree goes: count on a full soup
        fields.update(text_fields(BeautifulSoup(text, "lxml")))
    else:
        fields.update(text_identity(visible))
    return fields


def _prepare(html: str | bytes, headers: Headers) -> tuple[list[tuple[str, str]], str]:
    """Lower-cased header pairs and the page as text without NULs (lxml stops at one)."""
    pairs = header_pairs(headers)
    content_type = first_header(pairs, "content-type") or ""
    text = decode_html(html, content_type) if isinstance(html, bytes) else html
    return pairs, text.replace("\x00", "")


def _tag_fields(
    soup: Finder, url: str, pairs: list[tuple[str, str]], *, limits: PageLimits
) -> dict[str, Any]:
    """The fields read from tags (all but the text fields)."""
    base = _base_href(soup)
    link_base = urljoin(url, base) if base else url
    fields: dict[str, Any] = {"base_href": base, "html_lang": soup.html_lang()}
    fields.update(_meta_fields(soup, first_header(pairs, "content-type") or ""))
    fields.update(_head_links(soup, pairs))
    fields.update(_headings(soup))
    titles = soup.find_all("title")
    fields["titles"] = [soup.text(t) for t in titles if not soup.inside(t, "svg")]
    fields["x_robots_tag"] = [v.strip() for k, v in pairs if k == "x-robots-tag"]
    fields["security_headers"] = security_headers(pairs)
    fields["images"] = _images(soup, link_base)
    fields["links"] = _links(soup, link_base, site_host(url))
    fields["json_ld"] = _json_ld(soup)
    https = url.startswith("https:")
    fields["mixed_content"] = _mixed_content(soup, link_base, limits.images) if https else []
    return fields


def _base_href(soup: Finder) -> str | None:
    base = next(iter(soup.find_all("base", "href")), None)
    href = soup.attr(base, "href") if base is not None else None
    return href.strip() if href is not None else None


def _meta_fields(soup: Finder, content_type: str) -> dict[str, Any]:
    """Description, robots, viewport, charset, refresh and Open Graph from `<meta>`."""
    out: dict[str, Any] = {"meta_descriptions": [], "meta_robots": [], "open_graph": {}}
    out.update(viewport=None, charset=None, meta_refresh=None, robots_meta_in_body=False)
    for meta in soup.find_all("meta"):
        _read_meta(soup, meta, out)
    out["charset"] = out["charset"] or header_charset(content_type)
    return out


def _read_meta(soup: Finder, meta: Any, out: dict[str, Any]) -> None:
    name = (soup.attr(meta, "name") or "").strip().lower()
    content = (soup.attr(meta, "content") or "").strip()
    prop = (soup.attr(meta, "property") or "").strip().lower()
    equiv = (soup.attr(meta, "http-equiv") or "").strip().lower()
    if name == "description":
        out["meta_descriptions"].append(content)
    elif name in ("robots", "googlebot"):
        out["meta_robots"].append(content if name == "robots" else f"{name}: {content}")
        out["robots_meta_in_body"] = out["robots_meta_in_body"] or soup.in_body(meta)
    elif name == "viewport" and out["viewport"] is None:
        out["viewport"] = content
    if prop.startswith("og:"):
        out["open_graph"].setdefault(prop, content)
    if equiv == "refresh" and out["meta_refresh"] is None:
        out["meta_refresh"] = content
    charset = soup.attr(meta, "charset") or (equiv == "content-type" and header_charset(content))
    if charset and not out["charset"]:
        out["charset"] = charset.strip().lower()


def _head_links(soup: Finder, pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Canonicals and hreflang alternates from `<link>` tags and `Link:` headers.

    Read as search engines read them (docs/audit-checks.md "Reading HTML"): a canonical in
    `<body>` is kept with its source (the audit reports and then ignores it), an
    hreflang alternate in `<body>` is dropped; the hreflang value is kept as written
    (`" x-default"` is not `x-default`); an alternate without an href is kept with an
    empty one (`hreflang.missing_href`).
    """
    canonicals, hreflang = [], []
    for link in soup.find_all("link"):
        rel = (soup.attr(link, "rel") or "").lower().split()
        href = soup.attr(link, "href")
        if "canonical" in rel and href is not None:
            source = "body" if soup.in_body(link) else "head"
            canonicals.append({"href": href.strip(), "source": source})
        lang = soup.attr(link, "hreflang")
        if "alternate" in rel and lang and not soup.in_body(link):
            hreflang.append({"lang": lang, "href": (href or "").strip()})
    for href, params in link_header(pairs):
        rel = params.get("rel", "").lower().split()
        if "canonical" in rel:
            canonicals.append({"href": href, "source": "header"})
        if "alternate" in rel and params.get("hreflang"):
            hreflang.append({"lang": params["hreflang"], "href": href})
    return {"canonicals": canonicals, "hreflang": hreflang}


def _headings(soup: Finder) -> dict[str, Any]:
    """Texts per level, plus the levels in document order (for skipped-level checks)."""
    headings: dict[str, list[str]] = {name: [] for name in HEADING_TAGS}
    levels = []
    for tag in soup.find_all(HEADING_TAGS):
        name = soup.name(tag)
        headings[name].append(soup.text(tag))
        levels.append(int(name[1]))
    return {"headings": headings, "heading_levels": levels}


def _images(soup: Finder, base: str) -> list[dict[str, str | None]]:
    """Every `<img>`: src as written, resolved like a link (`target`), alt and size."""
    origin = _origin(base)
    images = []
    for img in soup.find_all("img"):
        src = (soup.attr(img, "src") or "").strip()
        images.append(
            {
                "src": src,
                "target": _link_target(src, base, origin) if src else None,
                "alt": soup.attr(img, "alt"),
                "width": soup.attr(img, "width"),
                "height": soup.attr(img, "height"),
            }
        )
    return images


def _links(soup: Finder, base: str, site: str) -> list[dict[str, Any]]:
    """Every link of the page: raw href, normalised target, anchor text, rel, internal flag.

    An `<a>` inside `<svg>` may carry its target as `xlink:href`; an `<a>` without any
    href but with `onclick` (and no `role` or `name`, Lighthouse's passes) is a link a
    crawler cannot follow, kept with an empty href and `onclick` set.
    """
    links = []
    origin = _origin(base)
    for anchor in soup.find_all("a"):
        raw = soup.attr(anchor, "href")
        if raw is None:
            raw = soup.attr(anchor, "xlink:href")
        if raw is None and not _script_only(soup, anchor):
            continue
        href = (raw or "").strip()
        target = _link_target(href, base, origin) if href else None
        links.append(
            {
                "href": href,
                "target": target,
                "anchor_text": soup.text(anchor),
                "rel": (soup.attr(anchor, "rel") or "").strip().lower(),
                "internal": bool(target) and _is_internal(target, site),
                "image_alt": soup.first_image_alt(anchor),
                "onclick": raw is None,
            }
        )
    return links


def _script_only(soup: Finder, anchor: Any) -> bool:
    """An `<a onclick>` with no href: only script can follow it."""
    return (
        soup.has_attr(anchor, "onclick")
        and not soup.has_attr(anchor, "role")
        and not soup.has_attr(anchor, "name")
    )


def _origin(base: str) -> str | None:
    """`scheme://netloc/` of an http(s) base URL, else None."""
    try:
        parts = urlsplit(base)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}/"


def _link_target(href: str, base: str, origin: str | None) -> str | None:
    """`normalize_url(href, base)`, memoised for root-relative hrefs.

    A root-relative href ("/about") resolves the same against any page of the origin,
    and nav and footer links repeat on every page: normalising them once per parser
    process saves that work on most of a page's links.
    """
    if origin is not None and href.startswith("/") and not href.startswith("//"):
        return _root_relative_target(origin, href)
    return normalize_url(href, base)


@functools.lru_cache(maxsize=16384)
def _root_relative_target(origin: str, href: str) -> str | None:
    return normalize_url(href, origin)


# `is_internal` splits the URL; a site's pages link the same targets over and over.
_is_internal = functools.lru_cache(maxsize=16384)(is_internal)


def _json_ld(soup: Finder) -> list[dict[str, Any]]:
    blocks = []
    for script in soup.find_all("script", "type"):
        kind = (soup.attr(script, "type") or "").split(";")[0].strip().lower()
        if kind != "application/ld+json":
            continue
        try:
            blocks.append({"data": json.loads(soup.content(script)), "error": None})
        except ValueError as exc:
            blocks.append({"data": None, "error": f"invalid JSON: {exc}"})
    return blocks


def _mixed_content(soup: Finder, base: str, max_images: int) -> list[str]:
    """http:// images (the first `max_images`), scripts and stylesheets of an https page."""
    first_images = soup.find_all("img")[:max_images]  # kept alive: their ids must not
    images = {id(tag) for tag in first_images}  # be reused (lxml's proxies come and go)
    sources = [
        soup.attr(tag, "src")
        for tag in soup.find_all(("img", "script"), "src")
        if soup.name(tag) != "img" or id(tag) in images
    ]
    for link in soup.find_all("link", "href"):
        if "stylesheet" in (soup.attr(link, "rel") or "").lower().split():
            sources.append(soup.attr(link, "href"))
    resolved = (normalize_url(src, base) for src in sources if src)
    return [url for url in resolved if url and url.startswith("http://")]
