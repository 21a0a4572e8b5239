"""The crawl's job result: rendering and its lab figures, in camelCase.

The result is built from a `CrawlOutcome` as the store builds it, without a database.
"""

from __future__ import annotations

from seology.crawler.lab import LabFigures
from seology.crawler.records import (
    CrawlOutcome,
    PerfFacts,
    RenderingSummary,
    ResourceCounts,
)
from seology.store.crawls import rendering_summary


def measured_rendering(urls: list[str] | None = None) -> RenderingSummary:
    """`always` over four pages, one of them loaded with essential resources only."""
    urls = urls or [f"https://ex.com/{n}" for n in range(3)]
    lab = LabFigures()
    for n, url in enumerate(urls):
        lab.add(
            url,
            PerfFacts(
                lcp_ms=1000.0 * (n + 1),
                cls=0.05 * n,
                transferred_bytes=100_000 * (n + 1),
                requests=10 + n,
                render_blocking=n,
            ),
        )
    lab.add("https://ex.com/essential", PerfFacts(lcp_ms=9000.0, cls=0.5, complete=False))
    return RenderingSummary(
        mode="always",
        pages_rendered=len(urls) + 2,
        reasons={"always": len(urls) + 2},
        failures=1,
        seconds=4.2,
        browser="HeadlessChrome/140.0",
        lab=lab.summary(),
    )


def outcome(rendering: RenderingSummary | None, **resources: ResourceCounts) -> CrawlOutcome:
    return CrawlOutcome(
        start_url="https://ex.com/",
        pages_crawled=5,
        html_pages=5,
        resources=resources,
        rendering=rendering,
    )


# --- the job result -----------------------------------------------------------------


def test_the_job_result_has_the_lab_figures_in_camel_case() -> None:
    rendering = rendering_summary(outcome(measured_rendering()))
    assert rendering is not None
    lab = rendering["lab"]
    assert lab["pagesMeasured"] == 4
    # LCP, weight and requests of the three complete pages; CLS and blocking of all four.
    assert lab["lcpMs"] == {"pages": 3, "p50": 2000.0, "p75": 3000.0, "max": 3000.0}
    assert lab["transferredBytes"] == {"pages": 3, "p50": 200_000, "p75": 300_000, "max": 300_000}
    assert lab["requests"] == {"pages": 3, "p50": 11, "p75": 12, "max": 12}
    assert lab["cls"] == {"pages": 4, "p50": 0.05, "p75": 0.1, "max": 0.5}
    assert lab["renderBlocking"] == {"pages": 4, "p50": 0, "p75": 1, "max": 2}
    assert lab["slowest"][0] == {
        "url": "https://ex.com/2",
        "lcpMs": 3000.0,
        "cls": 0.1,
        "transferredBytes": 300_000,
        "requests": 12,
        "renderBlocking": 2,
    }
    assert [page["url"] for page in lab["slowest"]] == [f"https://ex.com/{n}" for n in (2, 1, 0)]


def test_a_crawl_that_rendered_nothing_has_empty_lab_figures() -> None:
    rendering = rendering_summary(outcome(RenderingSummary(mode="never")))
    assert rendering is not None
    empty = {"pages": 0, "p50": None, "p75": None, "max": None}
    assert rendering["lab"] == {
        "pagesMeasured": 0,
        "lcpMs": empty,
        "cls": empty,
        "transferredBytes": empty,
        "requests": empty,
        "renderBlocking": empty,
        "slowest": [],
    }
