"""The pages of the planted audit sites: a clean page spec, changed by what it plants.

`PageSpec` renders a page with every field right (title, description, H1, canonical,
Open Graph, 260 words of text, an image that loads); a spec's fields plant one
problem; `expect` names the checks it must trigger. `{{base_url}}` and
`{{external_url}}` are filled in when served (the ports are known only then).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from seology.testing.sites import BASE_URL_MARK, Response, paragraphs

EXTERNAL_MARK = "{{external_url}}"
EXTERNAL_HOST = "127.0.0.2"
PNG = b"\x89PNG\r\n\x1a\n planted image"


@dataclass(kw_only=True)
class PageSpec:
    """One HTML page: clean defaults, changed by the planted problem."""

    path: str
    slug: str
    title: str | list[str] | None = None
    description: str | list[str] | None = None
    h1: str | list[str] | None = None
    headings: str = "<h2>Details of this topic</h2>"
    words: int = 260
    text_seed: int | None = None
    extra_words: str = ""
    canonical: str | None = "self"
    head: str = ""
    body: str = ""
    nav: str = '<a href="/">Home page</a>'
    lang: str | None = "en"
    viewport: bool = True
    charset: bool = True
    og: bool = True
    image: str = '<img src="/img/photo.png" alt="A photo of the topic" width="640" height="480">'
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "text/html; charset=utf-8"
    delay: float = 0.0
    padding: int = 0
    listed: bool = True
    linked: bool = True
    expect: tuple[str, ...] = ()


def _text_or_default(value: str | list[str] | None, default: str) -> list[str]:
    if value is None:
        return [default]
    return [value] if isinstance(value, str) else value


def render(spec: PageSpec) -> str:
    """The HTML of a page spec ({{base_url}} is filled in when served)."""
    titles = _text_or_default(spec.title, f"Planted audit page about the {spec.slug} topic")
    descriptions = _text_or_default(
        spec.description,
        f"This planted page explains the {spec.slug} topic for the audit test site, plainly.",
    )
    h1s = _text_or_default(spec.h1, f"All about {spec.slug}")
    head = "".join(f"<title>{escape(t)}</title>" for t in titles if t is not None)
    head += "".join(f'<meta name="description" content="{escape(d)}">' for d in descriptions)
    head += _head_defaults(spec) + spec.head
    header = "".join(f"<h1>{escape(h)}</h1>" for h in h1s if h is not None)
    rng = random.Random(spec.text_seed if spec.text_seed is not None else spec.slug)  # noqa: S311
    prose = paragraphs(rng, spec.words) + (f"<p>{spec.extra_words}</p>" if spec.extra_words else "")
    nav = f"<nav>{spec.nav}</nav>" if spec.nav else ""
    lang = f' lang="{spec.lang}"' if spec.lang else ""
    return (
        f"<!DOCTYPE html><html{lang}><head>{head}</head><body>{nav}<header>{header}</header>"
        f"<main>{spec.headings}{prose}{spec.image}</main>{spec.body}{_padding(spec)}</body></html>"
    )


def _padding(spec: PageSpec) -> str:
    """An HTML comment of `padding` bytes: size without text, links or parse cost."""
    return f"<!--{'x' * spec.padding}-->" if spec.padding else ""


def _head_defaults(spec: PageSpec) -> str:
    parts = ['<meta charset="utf-8">'] if spec.charset else []
    if spec.viewport:
        parts.append('<meta name="viewport" content="width=device-width, initial-scale=1">')
    if spec.canonical is not None:
        href = spec.path if spec.canonical == "self" else spec.canonical
        absolute = href if "://" in href or not href.startswith("/") else BASE_URL_MARK + href
        parts.append(f'<link rel="canonical" href="{escape(absolute)}">')
    if spec.og:
        parts.append(f'<meta property="og:title" content="{spec.slug}">')
        parts.append(f'<meta property="og:description" content="About {spec.slug}.">')
        parts.append(f'<meta property="og:image" content="{BASE_URL_MARK}/img/og.png">')
    return "".join(parts)


def page_response(spec: PageSpec) -> Response:
    return Response(
        body=render(spec).encode("utf-8"),
        headers=spec.headers,
        content_type=spec.content_type,
        delay=spec.delay,
        templated=True,
    )


def alternates(*pairs: tuple[str, str]) -> str:
    """hreflang links; a path starting with "/" is made absolute, "rel:" stays relative;
    values are written as given (a space in one stays)."""
    links = []
    for lang, href in pairs:
        if href.startswith("rel:"):
            href = href.removeprefix("rel:")
        elif href.startswith("/"):
            href = BASE_URL_MARK + href
        links.append(f'<link rel="alternate" hreflang="{lang}" href="{href}">')
    return "".join(links)
