"""Duplicates across indexable pages: titles, descriptions, H1s and exact body text.

Grouping by value is one pass and one dict: no pair is ever compared. Near-duplicate
text is in near_duplicates.py.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator

from seology.audit.checks import crawl_check, listing
from seology.audit.config import AuditConfig
from seology.audit.index import PageFacts, SiteIndex
from seology.audit.model import Detail

Key = Callable[[PageFacts], str | None]


def duplicate_groups(index: SiteIndex, key: Key) -> Iterator[tuple[str, list[str]]]:
    """`(value, urls)` for every value shared by 2+ indexable pages."""
    groups: dict[str, list[str]] = defaultdict(list)
    for page in index.pages.values():
        value = key(page) if page.indexable else None
        if value:
            groups[value].append(page.url)
    for value, urls in groups.items():
        if len(urls) > 1:
            yield value, urls


def _issues(index: SiteIndex, key: Key, label: str) -> Iterator[tuple[str, Detail]]:
    for value, urls in duplicate_groups(index, key):
        for url in urls:
            others = [other for other in urls if other != url]
            yield url, {label: value, "pages": len(urls), "others": listing(others)}


@crawl_check("title.duplicate")
def title_duplicate(index: SiteIndex, config: AuditConfig) -> Iterator[tuple[str, Detail]]:
    return _issues(index, lambda page: page.title, "title")


@crawl_check("meta_desc.duplicate")
def meta_desc_duplicate(index: SiteIndex, config: AuditConfig) -> Iterator[tuple[str, Detail]]:
    return _issues(index, lambda page: page.meta_desc, "description")


@crawl_check("h1.duplicate")
def h1_duplicate(index: SiteIndex, config: AuditConfig) -> Iterator[tuple[str, Detail]]:
    return _issues(index, lambda page: page.h1, "h1")


@crawl_check("content.exact_duplicate")
def content_exact_duplicate(index: SiteIndex, config: AuditConfig) -> Iterator[tuple[str, Detail]]:
    """Identical normalised body text (same SHA-1); pages without text are not compared."""
    return _issues(index, lambda page: page.text_hash, "textHash")
