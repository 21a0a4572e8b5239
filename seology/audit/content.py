"""Section 3 of docs/audit-checks.md: headings and content, per page (duplicates elsewhere).

`content.placeholder` reads the texts a record keeps (title, description, headings,
link texts, image alts) and the parser's flag for the body text, which the crawler does
not keep (only its word count, hashes and that flag).
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import pairwise

from seology.audit.checks import page_check
from seology.audit.config import AuditConfig
from seology.audit.facts import clean
from seology.audit.model import Detail
from seology.crawler.records import PageRecord

PLACEHOLDER = "lorem ipsum"


def _h1s(page: PageRecord) -> list[str]:
    return [clean(text) for text in page.headings.get("h1") or []]


@page_check("h1.missing")
def h1_missing(page: PageRecord, config: AuditConfig) -> Detail | None:
    h1s = _h1s(page)
    return None if any(h1s) else {"h1Count": len(h1s)}


@page_check("h1.multiple")
def h1_multiple(page: PageRecord, config: AuditConfig) -> Detail | None:
    h1s = _h1s(page)
    return {"h1s": h1s} if len(h1s) > 1 else None


@page_check("h1.too_long")
def h1_too_long(page: PageRecord, config: AuditConfig) -> Detail | None:
    h1 = clean(page.h1)
    if len(h1) <= config.h1_max_chars:
        return None
    return {"value": h1, "length": len(h1), "limit": config.h1_max_chars}


@page_check("headings.non_sequential")
def headings_non_sequential(page: PageRecord, config: AuditConfig) -> Detail | None:
    """The first place where a heading is more than one level below the one before it."""
    levels = page.heading_levels
    for before, after in pairwise(levels):
        if after > before + 1:
            return {"skip": f"h{before} → h{after}", "levels": levels[:50]}
    return None


@page_check("content.low_word_count")
def content_low_word_count(page: PageRecord, config: AuditConfig) -> Detail | None:
    if page.word_count >= config.min_word_count:
        return None
    return {"words": page.word_count, "minimum": config.min_word_count}


def _visible_texts(page: PageRecord) -> Iterator[tuple[str, str]]:
    yield from (("title", t) for t in page.titles)
    yield from (("meta description", d) for d in page.meta_descriptions)
    yield from ((level, t) for level, items in page.headings.items() for t in items)
    yield from (("link text", link.anchor_text) for link in page.links)
    yield from (("image alt", image.alt or "") for image in page.images)


@page_check("content.placeholder")
def content_placeholder(page: PageRecord, config: AuditConfig) -> Detail | None:
    for where, text in _visible_texts(page):
        if "lorem" in text.lower() and PLACEHOLDER in clean(text).lower():
            return {"where": where, "text": text[:200]}
    return {"where": "body text", "text": PLACEHOLDER} if page.placeholder_text else None
