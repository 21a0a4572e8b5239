"""A crawl's lab figures: nearest-rank percentiles, which pages count, the slowest kept.

Expected values are computed by hand in the comments (nearest rank: the value at
position ceil(p/100 × n) of the sorted values, counting from 1).
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from seology.crawler.fetch import FetchResult
from seology.crawler.intercept import InterceptRules
from seology.crawler.lab import LabFigures, nearest_rank
from seology.crawler.records import LabFigure, LabSummary, PerfFacts, RenderFacts
from seology.crawler.render import RenderConfig, RenderOutput
from seology.crawler.rendering import PageRendering
from seology.crawler.safety import AddressBook

LCP = [1200.0, 300.0, 900.0, 2500.0, 450.0, 700.0, 1800.0, 600.0, 4000.0, 1500.0]
CLS = [0.0, 0.05, 0.3, 0.01, 0.12, 0.0, 0.02, 0.2, 0.08, 0.0]
REQUESTS = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3]
BLOCKING = [0, 0, 0, 0, 0, 0, 0, 0, 1, 7]


def perf(lcp: float | None = 1000.0, *, complete: bool = True, **figures: Any) -> PerfFacts:
    return PerfFacts(lcp_ms=lcp, complete=complete, **figures)


def ten_pages() -> LabFigures:
    lab = LabFigures()
    for n in range(10):
        lab.add(
            f"https://ex.com/{n}",
            perf(
                LCP[n],
                cls=CLS[n],
                transferred_bytes=10_000 * (n + 1),
                requests=REQUESTS[n],
                render_blocking=BLOCKING[n],
            ),
        )
    return lab


@pytest.mark.parametrize(
    ("values", "percent", "expected"),
    [
        ([7], 50, 7),  # one value is every percentile
        ([1, 2, 3, 4], 50, 2),  # ceil(2.0) = 2
        ([1, 2, 3, 4], 75, 3),  # ceil(3.0) = 3
        ([10, 20, 30], 50, 20),  # ceil(1.5) = 2
        ([10, 20, 30], 75, 30),  # ceil(2.25) = 3
        ([1, 2, 3, 4, 5], 100, 5),
    ],
)
def test_nearest_rank(values: list[int], percent: int, expected: int) -> None:
    assert nearest_rank(values, percent) == expected


def test_percentiles_and_maxima_of_every_figure() -> None:
    """Ten pages: the 5th and 8th sorted values are p50 and p75."""
    summary = ten_pages().summary()
    assert summary.pages_measured == 10
    # 300 450 600 700 [900] 1200 1500 [1800] 2500 4000
    assert summary.lcp_ms == LabFigure(pages=10, p50=900.0, p75=1800.0, max=4000.0)
    # 0 0 0 0.01 [0.02] 0.05 0.08 [0.12] 0.2 0.3
    assert summary.cls == LabFigure(pages=10, p50=0.02, p75=0.12, max=0.3)
    # 10k 20k … 100k
    assert summary.transferred_bytes == LabFigure(pages=10, p50=50_000, p75=80_000, max=100_000)
    # 1 1 2 3 [3] 4 5 [5] 6 9
    assert summary.requests == LabFigure(pages=10, p50=3, p75=5, max=9)
    assert summary.render_blocking == LabFigure(pages=10, p50=0, p75=0, max=7)
    # Counts stay whole numbers in the job result.
    assert isinstance(summary.requests.p50, int)
    assert isinstance(summary.transferred_bytes.max, int)


def test_the_five_slowest_pages_by_lcp_slowest_first() -> None:
    summary = ten_pages().summary()
    assert [page.lcp_ms for page in summary.slowest] == [4000.0, 2500.0, 1800.0, 1500.0, 1200.0]
    first = summary.slowest[0]  # page 8
    assert first.url == "https://ex.com/8"
    assert (first.cls, first.transferred_bytes, first.requests, first.render_blocking) == (
        0.08,
        90_000,
        5,
        1,
    )


def test_only_k_pages_are_kept_and_ties_keep_the_earlier_page() -> None:
    """A thousand pages leave three in the heap; at equal LCP the page seen first stays."""
    lab = LabFigures(worst=3)
    for n in range(1000):
        lab.add(f"https://ex.com/{n}", perf(float(n % 100)))
    assert len(lab.slow) == 3
    assert [(p.url, p.lcp_ms) for p in lab.summary().slowest] == [
        ("https://ex.com/99", 99.0),
        ("https://ex.com/199", 99.0),
        ("https://ex.com/299", 99.0),
    ]


def test_incomplete_pages_count_only_for_cls_and_render_blocking() -> None:
    """Essential resources only: LCP, weight and requests are not figures of the page."""
    lab = LabFigures()
    lab.add("https://ex.com/all", perf(1000.0, cls=0.1, transferred_bytes=5000, requests=10))
    lab.add(
        "https://ex.com/essential",
        perf(9000.0, complete=False, cls=0.5, transferred_bytes=100, requests=2, render_blocking=3),
    )
    summary = lab.summary()
    assert summary.pages_measured == 2
    assert summary.lcp_ms == LabFigure(pages=1, p50=1000.0, p75=1000.0, max=1000.0)
    assert summary.transferred_bytes == LabFigure(pages=1, p50=5000, p75=5000, max=5000)
    assert summary.requests == LabFigure(pages=1, p50=10, p75=10, max=10)
    assert summary.cls == LabFigure(pages=2, p50=0.1, p75=0.5, max=0.5)
    assert summary.render_blocking == LabFigure(pages=2, p50=0, p75=3, max=3)
    assert [page.url for page in summary.slowest] == ["https://ex.com/all"]


def test_a_page_without_lcp_counts_for_the_rest_but_is_not_among_the_slowest() -> None:
    lab = LabFigures()
    lab.add("https://ex.com/blank", perf(None, cls=None, transferred_bytes=800, requests=1))
    summary = lab.summary()
    assert summary.lcp_ms == LabFigure() and summary.cls == LabFigure()
    assert summary.requests.max == 1
    assert summary.slowest == []


def test_nothing_measured_gives_none_everywhere() -> None:
    summary = LabFigures().summary()
    assert summary == LabSummary()
    assert summary.lcp_ms.p50 is None and summary.lcp_ms.max is None
    assert summary.pages_measured == 0 and summary.slowest == []


# --- fed by the crawl's render step -------------------------------------------------


class FakeRenderer:
    """Answers each page with the output planted for its URL (no browser)."""

    version = "Fake/1.0"

    def __init__(self, outputs: dict[str, RenderOutput]) -> None:
        self.outputs = outputs

    async def start(self) -> None:
        return None

    async def render(self, raw: FetchResult, **_: Any) -> RenderOutput:
        return self.outputs[raw.url]

    async def close(self) -> None:
        return None


async def parse(body: bytes, url: str, headers: list[tuple[str, str]]) -> dict[str, Any]:
    return {"titles": ["Rendered"], "links": []}


def html_page(url: str) -> FetchResult:
    return FetchResult(
        url=url, status_code=200, headers=[("content-type", "text/html")], body=b"<html></html>"
    )


def test_rendered_pages_feed_the_summary_and_failed_renders_do_not() -> None:
    """Only a render that succeeded counts; the summary's `lab` is filled on exit."""
    outputs = {
        "https://ex.com/ok": RenderOutput(html="<html></html>", perf=perf(1500.0, requests=4)),
        "https://ex.com/failed": RenderOutput(error="not rendered within 15 s"),
    }
    rules = InterceptRules(user_agent="test", can_fetch=lambda url: True)
    rendering = PageRendering(
        "never",
        RenderConfig(),
        rules=rules,
        book=AddressBook(allow_private=False),
        site="ex.com",
        parse=parse,
    )
    rendering.mode, rendering.renderer = "always", FakeRenderer(outputs)  # type: ignore[assignment]

    async def crawl() -> list[RenderFacts]:
        async with rendering:
            fields = [await rendering.apply(html_page(url), {"links": []}) for url in outputs]
        return [f["render"] for f in fields]

    facts = asyncio.run(crawl())
    assert [f.error is None for f in facts] == [True, False]
    lab = rendering.summary.lab
    assert lab.pages_measured == 1
    assert lab.requests == LabFigure(pages=1, p50=4, p75=4, max=4)
    assert [(p.url, p.lcp_ms) for p in lab.slowest] == [("https://ex.com/ok", 1500.0)]
    assert rendering.summary.failures == 1


class BrokenRenderer(FakeRenderer):
    """A browser that stopped working for good: every render says so."""

    closed = 0

    async def render(self, raw: FetchResult, **_: Any) -> RenderOutput:
        from seology.core.errors import RenderingUnavailable

        raise RenderingUnavailable("Chromium stopped working 3 times")

    async def close(self) -> None:
        self.closed += 1


SHELL = b'<html><body><div id="root"></div><script src="/app.js"></script></body></html>'


def test_auto_closes_a_renderer_that_stopped_working_and_crawls_raw() -> None:
    """Under `auto`, a browser that cannot go on is closed at once (its interceptor's
    connections with it), the page keeps its raw fields, and the summary says why."""
    rules = InterceptRules(user_agent="test", can_fetch=lambda url: True)
    book = AddressBook(allow_private=False)
    rendering = PageRendering("never", RenderConfig(), rules=rules, book=book, site="ex.com",
                              parse=parse)  # fmt: skip
    broken = BrokenRenderer({})
    rendering.mode, rendering.renderer = "auto", broken  # type: ignore[assignment]
    shell = FetchResult(url="https://ex.com/", status_code=200, body=SHELL,
                        headers=[("content-type", "text/html")])  # fmt: skip

    async def crawl() -> dict[str, Any]:
        async with rendering:
            return await rendering.apply(shell, {"links": [], "word_count": 0, "titles": []})

    fields = asyncio.run(crawl())
    assert "render" not in fields
    assert broken.closed == 1 and rendering.renderer is None
    assert rendering.summary.available is False
    assert "stopped working" in (rendering.summary.unavailable_reason or "")
