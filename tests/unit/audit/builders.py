"""Clean page records and crawl outcomes for audit tests: change one thing, see one check."""

from __future__ import annotations

import hashlib
from typing import Any

from seology.crawler.records import (
    Canonical,
    CrawlOutcome,
    Hreflang,
    Image,
    LinkRecord,
    PageRecord,
    PerfFacts,
    RawFacts,
    RedirectHop,
    RenderFacts,
)

SITE = "https://ex.com"
ROBOTS_OK = "User-agent: *\nDisallow:\n"


def url(path: str) -> str:
    return SITE + path


def link(path: str, text: str = "Read the full guide", **changes: Any) -> LinkRecord:
    """An internal link to `path`."""
    values = {"href": path, "target": url(path), "anchor_text": text, "internal": True}
    return LinkRecord(**(values | changes))


def external(target: str, text: str = "Partner site", **changes: Any) -> LinkRecord:
    return LinkRecord(**({"href": target, "target": target, "anchor_text": text} | changes))


def _digest(path: str) -> str:
    return hashlib.sha1(path.encode(), usedforsecurity=False).hexdigest()


def page(path: str = "/a", **changes: Any) -> PageRecord:
    """A 2xx HTML page with no problem at all; `changes` replace fields."""
    slug = path.strip("/").replace("/", " ") or "home"
    values: dict[str, Any] = {
        "url": url(path),
        "final_url": url(path),
        "depth": 1,
        "status_code": 200,
        "response_time_ms": 120.0,
        "content_type": "text/html; charset=utf-8",
        "size_bytes": 20_000,
        "in_sitemap": True,
        "is_html": True,
        "titles": [f"A clean page about {slug} for the tests"],
        "meta_descriptions": [
            f"Everything about {slug}, explained plainly for the audit tests here."
        ],
        "canonicals": [Canonical(href=url(path), source="head")],
        "html_lang": "en",
        "viewport": "width=device-width, initial-scale=1",
        "charset": "utf-8",
        "headings": {"h1": [f"All about {slug}"], "h2": ["Details"]},
        "heading_levels": [1, 2],
        "word_count": 320,
        "text_hash": _digest(path),
        "text_fingerprint": _digest("fp" + path)[:16],
        "links": [link("/")],
        "open_graph": {"og:title": slug, "og:description": slug, "og:image": url("/og.png")},
        "security_headers": {"strict-transport-security": "max-age=31536000"},
    }
    return PageRecord(**(values | changes))


def home(**changes: Any) -> PageRecord:
    return page("/", **({"depth": 0} | changes))


def rendered(
    path: str = "/a",
    *,
    raw: dict[str, Any] | None = None,
    perf: dict[str, Any] | None = None,
    render: dict[str, Any] | None = None,
    **changes: Any,
) -> PageRecord:
    """A clean page rendered in a crawl: its raw HTML said the same as its DOM.

    `raw` changes the raw facts, `perf` the lab figures, `render` the render facts.
    """
    record = page(path, **changes)
    facts = RawFacts(
        titles=record.titles,
        meta_descriptions=record.meta_descriptions,
        meta_robots=record.meta_robots,
        canonicals=record.canonicals,
        h1s=record.headings.get("h1", []),
        word_count=record.word_count,
        internal_links=1,
    )
    lab = PerfFacts(lcp_ms=800.0, cls=0.01, transferred_bytes=400_000, requests=20)
    values = {
        "reason": "always",
        "raw": facts.model_copy(update=raw or {}),
        "perf": lab.model_copy(update=perf or {}),
    }
    return record.model_copy(update={"render": RenderFacts(**(values | (render or {})))})


def redirected(path: str, *targets: str, status: int = 200, **changes: Any) -> PageRecord:
    """`path` redirecting through `targets` (the last one answers `status`)."""
    chain = [path, *targets]
    hops = [
        RedirectHop(url=url(a), status_code=301, location=b)
        for a, b in zip(chain, targets, strict=False)
    ]
    final = targets[-1]
    values = {"redirects": hops, "final_url": url(final), "status_code": status}
    return page(final, **(values | {"url": url(path)} | changes))


def answered(path: str, status: int | None, **changes: Any) -> PageRecord:
    """A URL that answered `status` (None: no answer) with no parsed HTML."""
    values = {
        "url": url(path),
        "final_url": url(path) if status else None,
        "status_code": status,
        "is_html": status is not None,
        "error": None if status else "connection failed: refused",
        "titles": [],
        "links": [],
    }
    return PageRecord(**(values | changes))


def outcome(**changes: Any) -> CrawlOutcome:
    values = {
        "start_url": url("/"),
        "robots_status": 200,
        "robots_txt": ROBOTS_OK,
        "sitemaps": [url("/sitemap.xml")],
    }
    return CrawlOutcome(**(values | changes))


def alternates(*pairs: tuple[str, str]) -> list[Hreflang]:
    return [Hreflang(lang=lang, href=href if "://" in href else url(href)) for lang, href in pairs]


def image(src: str = "/img/a.png", alt: str | None = "A photo", **changes: Any) -> Image:
    return Image(**({"src": src, "alt": alt, "width": "10", "height": "10"} | changes))


def flip_bits(fingerprint: str, bits: int) -> str:
    """`fingerprint` with its lowest `bits` bits inverted."""
    return f"{int(fingerprint, 16) ^ ((1 << bits) - 1):016x}"
