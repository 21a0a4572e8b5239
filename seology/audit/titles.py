"""Section 2 of docs/audit-checks.md: titles and meta descriptions (duplicates in duplicates.py)."""

from __future__ import annotations

from seology.audit.checks import page_check
from seology.audit.config import AuditConfig
from seology.audit.facts import clean
from seology.audit.model import Detail
from seology.crawler.records import PageRecord


def _length_detail(value: str, limit: int) -> Detail:
    return {"value": value, "length": len(value), "limit": limit}


@page_check("title.missing")
def title_missing(page: PageRecord, config: AuditConfig) -> Detail | None:
    return None if clean(page.title) else {"titles": len(page.titles)}


@page_check("title.too_long")
def title_too_long(page: PageRecord, config: AuditConfig) -> Detail | None:
    title, limit = clean(page.title), config.title_max_chars
    return _length_detail(title, limit) if len(title) > limit else None


@page_check("title.too_short")
def title_too_short(page: PageRecord, config: AuditConfig) -> Detail | None:
    title, limit = clean(page.title), config.title_min_chars
    return _length_detail(title, limit) if title and len(title) < limit else None


@page_check("title.same_as_h1")
def title_same_as_h1(page: PageRecord, config: AuditConfig) -> Detail | None:
    title = clean(page.title)
    same = bool(title) and title.casefold() == clean(page.h1).casefold()
    return {"value": title} if same else None


@page_check("title.multiple")
def title_multiple(page: PageRecord, config: AuditConfig) -> Detail | None:
    return {"titles": page.titles} if len(page.titles) > 1 else None


@page_check("meta_desc.missing")
def meta_desc_missing(page: PageRecord, config: AuditConfig) -> Detail | None:
    present = any(clean(value) for value in page.meta_descriptions)
    return None if present else {"descriptions": len(page.meta_descriptions)}


@page_check("meta_desc.too_long")
def meta_desc_too_long(page: PageRecord, config: AuditConfig) -> Detail | None:
    value, limit = clean(page.meta_description), config.meta_desc_max_chars
    return _length_detail(value, limit) if len(value) > limit else None


@page_check("meta_desc.too_short")
def meta_desc_too_short(page: PageRecord, config: AuditConfig) -> Detail | None:
    value, limit = clean(page.meta_description), config.meta_desc_min_chars
    return _length_detail(value, limit) if value and len(value) < limit else None


@page_check("meta_desc.multiple")
def meta_desc_multiple(page: PageRecord, config: AuditConfig) -> Detail | None:
    values = page.meta_descriptions
    return {"descriptions": values} if len(values) > 1 else None
