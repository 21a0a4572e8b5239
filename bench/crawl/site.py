"""The benchmark site: N pages of 20–60 KB with a dense link graph, written to a folder.

Every page carries every field both crawlers extract (title, description, robots,
canonical, hreflang, viewport, charset, Open Graph, JSON-LD, h1–h6, images, links with
anchors and rel), about 60 links (a 20-link nav, ~30 in the text, a 10-link footer) so
that the seen-set and request-building costs show, and prose for the word count. The
sitemap lists every page; robots.txt names it and disallows one unlinked path.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from seology.testing.sites import WORDS  # the generated sites' vocabulary

#: The one image every `<img>` of the site is (nginx maps /img/* to it): a 1×1 JPEG's bytes
#: are not what a resource check reads, only its status.
FIGURE = bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffd9")


def page_path(n: int) -> str:
    return "/" if n == 0 else f"/page/{n}"


def write_site(root: Path, *, pages: int, base_url: str, seed: int = 1) -> int:
    """Write the site under `root` (nginx's document root); return the bytes written."""
    rng = random.Random(seed)
    total = 0
    for n in range(pages):
        body = render_page(rng, n, pages, base_url).encode()
        target = root / "index.html" if n == 0 else root / "page" / str(n)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)
        total += len(body)
    (root / "static").mkdir(exist_ok=True)
    (root / "static" / "figure.jpg").write_bytes(FIGURE)
    (root / "sitemap.xml").write_text(sitemap(pages, base_url))
    (root / "robots.txt").write_text(
        f"User-agent: *\nDisallow: /private/\nSitemap: {base_url}/sitemap.xml\n"
    )
    return total


def sitemap(pages: int, base_url: str) -> str:
    entries = "".join(f"<url><loc>{base_url}{page_path(n)}</loc></url>" for n in range(pages))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>'
    )


def render_page(rng: random.Random, n: int, pages: int, base_url: str) -> str:
    size = rng.randint(20_000, 60_000)
    head = _head(rng, n, base_url)
    nav = _link_list(rng, pages, 20, "Section")
    footer = _link_list(rng, pages, 10, "More")
    article = _article(rng, n, pages, size - len(head) - 4_000)
    return (
        f'<!DOCTYPE html><html lang="en"><head>{head}</head><body>'
        f"<header><nav><ul>{nav}</ul></nav></header>"
        f'<main><a href="{page_path((n + 1) % pages)}">Next page</a>{article}</main>'
        f"<footer><ul>{footer}</ul></footer>"
        '<script src="/static/app.js"></script></body></html>'
    )


def _head(rng: random.Random, n: int, base_url: str) -> str:
    url = f"{base_url}{page_path(n)}"
    ld = {"@context": "https://schema.org", "@type": "Article", "headline": f"Page {n}"}
    robots = '<meta name="robots" content="noindex, follow">' if n % 50 == 7 else ""
    hreflang = "".join(
        f'<link rel="alternate" hreflang="{lang}" href="{base_url}/{lang}{page_path(n)}">'
        for lang in ("de", "fr", "x-default")
    )
    return (
        '<meta charset="utf-8"><meta name="viewport" content="width=device-width, '
        f'initial-scale=1"><title>Page {n}: {" ".join(rng.sample(WORDS, 6))}</title>'
        f'<meta name="description" content="Page {n}, {" ".join(rng.sample(WORDS, 12))}.">'
        f'{robots}<link rel="canonical" href="{url}">{hreflang}'
        f'<meta property="og:title" content="Page {n}"><meta property="og:url" content="{url}">'
        '<meta property="og:image" content="/static/og.png">'
        '<link rel="stylesheet" href="/static/site.css">'
        f'<script type="application/ld+json">{json.dumps(ld)}</script>'
    )


def _link_list(rng: random.Random, pages: int, count: int, label: str) -> str:
    return "".join(
        f'<li><a href="{page_path(t)}">{label} {t}</a></li>'
        for t in rng.sample(range(pages), min(count, pages))
    )


def _article(rng: random.Random, n: int, pages: int, size: int) -> str:
    """h1, then sections of h2/h3 and paragraphs with inline links and images, to `size`."""
    parts, length, section = [f"<h1>Page {n} heading</h1>"], 0, 0
    while length < size:
        section += 1
        parts.append(f"<h2>Section {section}</h2><h3>Detail {section}</h3>")
        for _ in range(3):
            parts.append(_paragraph(rng, pages))
        alt = f' alt="Figure {section}"' if section % 3 else ""
        parts.append(f'<img src="/img/{n}-{section}.jpg"{alt} width="640" height="480">')
        length = sum(map(len, parts))
    return "".join(parts)


def _paragraph(rng: random.Random, pages: int) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(60, 120))]
    target = rng.randrange(pages)
    rel = ' rel="nofollow"' if rng.random() < 0.1 else ""
    link = f'<a href="{page_path(target)}"{rel}>{" ".join(rng.sample(WORDS, 3))}</a>'
    words.insert(rng.randrange(len(words)), link)
    return f"<p>{' '.join(words)}.</p>"
