"""Section 9 of docs/audit-checks.md: hreflang and the page language.

Return links are checked between crawled pages only: "A lists B but crawled B does not
list A". An alternate with no href is `hreflang.missing_href` and nothing else; the
other checks judge the alternates that have one. `hreflang.to_non_200` judges what the
crawl or its resource checks asked for; an alternate neither asked for is not judged.
"""

from __future__ import annotations

from collections.abc import Iterator

from seology.audit import facts
from seology.audit.checks import crawl_check, listing, page_check
from seology.audit.config import AuditConfig
from seology.audit.index import PageFacts, SiteIndex
from seology.audit.language_codes import valid_hreflang
from seology.audit.model import Detail
from seology.crawler.records import Hreflang, PageRecord

X_DEFAULT = "x-default"


def _alternates(page: PageRecord) -> list[Hreflang]:
    """The alternates that have an href (the others are `hreflang.missing_href`)."""
    return [h for h in page.hreflang if h.href]


@page_check("hreflang.missing_href")
def hreflang_missing_href(page: PageRecord, config: AuditConfig) -> Detail | None:
    missing = [h.lang for h in page.hreflang if not h.href]
    return {"codes": missing} if missing else None


@page_check("hreflang.invalid_code")
def hreflang_invalid_code(page: PageRecord, config: AuditConfig) -> Detail | None:
    bad = [h.lang for h in page.hreflang if not valid_hreflang(h.lang)]
    return {"codes": bad} if bad else None


@page_check("hreflang.relative_url")
def hreflang_relative_url(page: PageRecord, config: AuditConfig) -> Detail | None:
    relative = [h.href for h in _alternates(page) if not facts.is_absolute(h.href)]
    return {"hrefs": relative} if relative else None


@page_check("hreflang.missing_self")
def hreflang_missing_self(page: PageRecord, config: AuditConfig) -> Detail | None:
    alternates = _alternates(page)
    if not alternates:
        return None
    url = facts.page_url(page)
    targets = {facts.resolve(h.href, url) for h in alternates}
    return None if url in targets else {"alternates": listing(sorted(t or "" for t in targets))}


@page_check("hreflang.missing_x_default")
def hreflang_missing_x_default(page: PageRecord, config: AuditConfig) -> Detail | None:
    if not page.hreflang or any(h.lang.lower() == X_DEFAULT for h in page.hreflang):
        return None
    return {"codes": [h.lang for h in page.hreflang]}


@page_check("html.lang_missing")
def html_lang_missing(page: PageRecord, config: AuditConfig) -> Detail | None:
    return None if (page.html_lang or "").strip() else {"lang": page.html_lang}


def _lists(page: PageFacts, url: str) -> bool:
    return any(target == url for _, target in page.hreflang)


@crawl_check("hreflang.missing_return")
def hreflang_missing_return(index: SiteIndex, config: AuditConfig) -> Iterator[tuple[str, Detail]]:
    for page in index.pages.values():
        missing = []
        for lang, target in page.hreflang:
            other = index.pages.get(target or "")
            if other is not None and other.url != page.url and not _lists(other, page.url):
                missing.append({"alternate": target, "hreflang": lang})
        if missing:
            yield page.url, {"count": len(missing), "alternates": listing(missing)}


@crawl_check("hreflang.to_non_200")
def hreflang_to_non_200(index: SiteIndex, config: AuditConfig) -> Iterator[tuple[str, Detail]]:
    for page in index.pages.values():
        bad = [
            {"alternate": target, "hreflang": lang, "status": answer.describe()}
            for lang, target in page.hreflang
            if (answer := index.answer(target or "")) and (answer.is_redirect or answer.is_broken)
        ]
        if bad:
            yield page.url, {"count": len(bad), "alternates": listing(bad)}
