"""Section 11 of docs/audit-checks.md: the raw HTML against the rendered DOM.

These checks see only rendered pages (`PageRecord.render` is set): the record's own
fields are the rendered DOM's, `render.raw` what the server sent. Search engines index
the rendered page but may act on the raw one first (a noindex in raw HTML can stop
Google before it ever renders), so a difference between the two is a finding.
"""

from __future__ import annotations

from seology.audit import facts
from seology.audit.checks import listing, page_check
from seology.audit.config import AuditConfig
from seology.audit.model import Detail
from seology.crawler.records import Canonical, PageRecord, RenderFacts


def _rendered(page: PageRecord) -> RenderFacts | None:
    """The render facts of a page whose render succeeded, else None."""
    render = page.render
    return render if render is not None and render.error is None else None


def _only_in_raw(page: PageRecord, directives: frozenset[str]) -> Detail | None:
    render = _rendered(page)
    if render is None:
        return None
    raw = facts.directive_tokens(render.raw.meta_robots) & directives
    rendered = facts.directive_tokens(page.meta_robots) & directives
    if raw and not rendered:
        return {"raw": render.raw.meta_robots, "rendered": page.meta_robots}
    return None


@page_check("js.noindex_only_in_raw")
def noindex_only_in_raw(page: PageRecord, config: AuditConfig) -> Detail | None:
    return _only_in_raw(page, facts.NOINDEX)


@page_check("js.nofollow_only_in_raw")
def nofollow_only_in_raw(page: PageRecord, config: AuditConfig) -> Detail | None:
    return _only_in_raw(page, facts.NOFOLLOW)


def _head_canonical(canonicals: list[Canonical], base: str) -> str | None:
    href = next((c.href for c in canonicals if c.source == "head"), None)
    return facts.resolve(href, base) if href is not None else None


@page_check("js.canonical_only_rendered")
def canonical_only_rendered(page: PageRecord, config: AuditConfig) -> Detail | None:
    render = _rendered(page)
    if render is None:
        return None
    base = facts.page_url(page)
    rendered = _head_canonical(page.canonicals, base)
    raw = _head_canonical(render.raw.canonicals, base)
    return {"rendered": rendered} if rendered and not raw else None


@page_check("js.canonical_mismatch")
def canonical_mismatch(page: PageRecord, config: AuditConfig) -> Detail | None:
    render = _rendered(page)
    if render is None:
        return None
    base = facts.page_url(page)
    rendered = _head_canonical(page.canonicals, base)
    raw = _head_canonical(render.raw.canonicals, base)
    return {"raw": raw, "rendered": rendered} if raw and rendered and raw != rendered else None


def _first(values: list[str]) -> str:
    return facts.clean(values[0]) if values else ""


def _raw_and_rendered(page: PageRecord, field: str) -> tuple[str, str] | None:
    """The first title, meta description or H1 (`field`) of the raw HTML and the DOM."""
    render = _rendered(page)
    if render is None:
        return None
    raw = {"title": render.raw.titles, "desc": render.raw.meta_descriptions, "h1": render.raw.h1s}
    dom = {"title": page.titles, "desc": page.meta_descriptions, "h1": page.headings.get("h1", [])}
    return _first(raw[field]), _first(dom[field])


def _only_rendered(page: PageRecord, field: str) -> Detail | None:
    pair = _raw_and_rendered(page, field)
    if pair is None or pair[0] or not pair[1]:
        return None
    return {"rendered": pair[1]}


def _changed(page: PageRecord, field: str) -> Detail | None:
    pair = _raw_and_rendered(page, field)
    if pair is None or not all(pair) or pair[0] == pair[1]:
        return None
    return {"raw": pair[0], "rendered": pair[1]}


@page_check("js.title_only_rendered")
def title_only_rendered(page: PageRecord, config: AuditConfig) -> Detail | None:
    return _only_rendered(page, "title")


@page_check("js.title_changed")
def title_changed(page: PageRecord, config: AuditConfig) -> Detail | None:
    return _changed(page, "title")


@page_check("js.meta_desc_only_rendered")
def meta_desc_only_rendered(page: PageRecord, config: AuditConfig) -> Detail | None:
    return _only_rendered(page, "desc")


@page_check("js.meta_desc_changed")
def meta_desc_changed(page: PageRecord, config: AuditConfig) -> Detail | None:
    return _changed(page, "desc")


@page_check("js.h1_only_rendered")
def h1_only_rendered(page: PageRecord, config: AuditConfig) -> Detail | None:
    return _only_rendered(page, "h1")


@page_check("js.h1_changed")
def h1_changed(page: PageRecord, config: AuditConfig) -> Detail | None:
    return _changed(page, "h1")


@page_check("js.links_only_rendered")
def links_only_rendered(page: PageRecord, config: AuditConfig) -> Detail | None:
    render = _rendered(page)
    if render is None or not render.links_only_rendered_count:
        return None
    return {"count": render.links_only_rendered_count, "examples": render.links_only_rendered}


@page_check("js.content_only_rendered")
def content_only_rendered(page: PageRecord, config: AuditConfig) -> Detail | None:
    render = _rendered(page)
    if render is None:
        return None
    raw = render.raw.word_count
    if page.word_count > 2 * raw and raw < config.min_word_count:
        return {"rawWords": raw, "renderedWords": page.word_count}
    return None


@page_check("js.blocked_resources")
def blocked_resources(page: PageRecord, config: AuditConfig) -> Detail | None:
    blocked = page.render.blocked_resources if page.render is not None else []
    return {"count": len(blocked), "resources": listing(blocked)} if blocked else None


@page_check("js.errors")
def js_errors(page: PageRecord, config: AuditConfig) -> Detail | None:
    errors = page.render.js_errors if page.render is not None else []
    return {"count": len(errors), "messages": listing(errors, 5)} if errors else None


@page_check("js.render_failed")
def render_failed(page: PageRecord, config: AuditConfig) -> Detail | None:
    render = page.render
    return {"error": render.error} if render is not None and render.error else None
