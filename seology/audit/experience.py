"""Section 12 of docs/audit-checks.md: lab page-experience figures of rendered pages.

Measured while rendering, in a tab with no throttling (`PageRecord.render.perf`): Largest
Contentful Paint and Cumulative Layout Shift by the time the DOM was taken, bytes and
requests as the crawler answered them, render-blocking tags of the raw `<head>`. When a
crawl loaded only essential resources (`perf.complete` false), the figures that need
every resource (LCP, weight, requests) are not judged.
"""

from __future__ import annotations

from seology.audit.checks import page_check
from seology.audit.config import AuditConfig
from seology.audit.model import Detail
from seology.crawler.records import PageRecord, PerfFacts


def _perf(page: PageRecord, *, complete: bool = False) -> PerfFacts | None:
    """The page's lab figures (only from a render that succeeded)."""
    render = page.render
    if render is None or render.error is not None or render.perf is None:
        return None
    if complete and not render.perf.complete:
        return None
    return render.perf


@page_check("perf.lcp_slow")
def lcp_slow(page: PageRecord, config: AuditConfig) -> Detail | None:
    perf = _perf(page, complete=True)
    if perf is None or perf.lcp_ms is None or perf.lcp_ms <= config.perf_lcp_max_ms:
        return None
    return {"lcpMs": perf.lcp_ms}


@page_check("perf.cls_high")
def cls_high(page: PageRecord, config: AuditConfig) -> Detail | None:
    perf = _perf(page)
    if perf is None or perf.cls is None or perf.cls <= config.perf_cls_max:
        return None
    return {"cls": perf.cls}


@page_check("perf.page_weight")
def page_weight(page: PageRecord, config: AuditConfig) -> Detail | None:
    perf = _perf(page, complete=True)
    if perf is None or perf.transferred_bytes <= config.perf_max_page_bytes:
        return None
    return {"bytes": perf.transferred_bytes}


@page_check("perf.too_many_requests")
def too_many_requests(page: PageRecord, config: AuditConfig) -> Detail | None:
    perf = _perf(page, complete=True)
    if perf is None or perf.requests <= config.perf_max_requests:
        return None
    return {"requests": perf.requests}


@page_check("perf.render_blocking")
def render_blocking(page: PageRecord, config: AuditConfig) -> Detail | None:
    perf = _perf(page)
    if perf is None or perf.render_blocking <= config.perf_max_render_blocking:
        return None
    return {"count": perf.render_blocking}
