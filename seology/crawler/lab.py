"""A crawl's lab figures in a few numbers: percentiles, maxima and the slowest pages.

    lab = LabFigures()                 # one per crawl
    lab.add(url, perf)                 # each page rendered without an error
    summary = lab.summary()            # LabSummary, for the job result

The crawl's records leave in batches and are never held, so the figures are kept as
numbers only: one compact array per figure (8 bytes a page; a crawl has at most its
`max_pages`) and a heap of the `worst` pages by LCP. A render that loaded only the
essential resources (`perf.complete` false) counts for CLS and render-blocking but not
for the figures that need every resource (LCP, weight, requests), as in `perf.*`.
"""

from __future__ import annotations

import heapq
from array import array
from dataclasses import dataclass

from seology.crawler.records import LabFigure, LabSummary, PerfFacts, SlowPage

#: How many of the slowest pages the summary lists.
WORST_PAGES = 5


@dataclass(frozen=True)
class _Figure:
    """A `PerfFacts` field, how its values are stored, and whether it needs every resource."""

    field: str
    typecode: str
    needs_complete: bool


_FIGURES = (
    _Figure("lcp_ms", "d", needs_complete=True),
    _Figure("cls", "d", needs_complete=False),
    _Figure("transferred_bytes", "q", needs_complete=True),
    _Figure("requests", "q", needs_complete=True),
    _Figure("render_blocking", "q", needs_complete=False),
)


class LabFigures:
    """The lab figures of one crawl's rendered pages, bounded by numbers, not records."""

    def __init__(self, worst: int = WORST_PAGES) -> None:
        self.worst = worst
        self.pages_measured = 0
        self.values: dict[str, array[float] | array[int]] = {
            figure.field: array(figure.typecode) for figure in _FIGURES
        }
        # A min-heap of (LCP, -order, url, perf): its top is the page to drop next; at
        # equal LCP the later page goes first, so the list is the same on every run.
        self.slow: list[tuple[float, int, str, PerfFacts]] = []

    def add(self, url: str, perf: PerfFacts) -> None:
        """Count one page's figures (a page whose render succeeded)."""
        self.pages_measured += 1
        for figure in _FIGURES:
            value = getattr(perf, figure.field)
            if value is None or (figure.needs_complete and not perf.complete):
                continue
            self.values[figure.field].append(value)
        if perf.lcp_ms is None or not perf.complete or self.worst <= 0:
            return
        entry = (perf.lcp_ms, -self.pages_measured, url, perf)
        if len(self.slow) < self.worst:
            heapq.heappush(self.slow, entry)
        elif entry[:2] > self.slow[0][:2]:
            heapq.heapreplace(self.slow, entry)

    def summary(self) -> LabSummary:
        """Percentiles and maxima of every figure, and the slowest pages, slowest first."""
        figures = {figure.field: figure_of(self.values[figure.field]) for figure in _FIGURES}
        slowest = [
            SlowPage(
                url=url,
                lcp_ms=lcp,
                cls=perf.cls,
                transferred_bytes=perf.transferred_bytes,
                requests=perf.requests,
                render_blocking=perf.render_blocking,
            )
            for lcp, _, url, perf in sorted(self.slow, key=lambda e: e[:2], reverse=True)
        ]
        return LabSummary(pages_measured=self.pages_measured, slowest=slowest, **figures)


def figure_of(values: array[float] | array[int]) -> LabFigure:
    """p50, p75 and max of `values` (nearest rank); None for each when there are none."""
    if not values:
        return LabFigure()
    ordered = sorted(values)
    return LabFigure(
        pages=len(ordered),
        p50=nearest_rank(ordered, 50),
        p75=nearest_rank(ordered, 75),
        max=ordered[-1],
    )


def nearest_rank(ordered: list[float] | list[int], percent: int) -> float | int:
    """The smallest value that at least `percent` % of `ordered` (sorted) do not exceed.

    Nearest rank, not interpolation: the figure is one a page really had (a request
    count stays a whole number), and the rank is exact integer arithmetic.
    """
    rank = -(-percent * len(ordered) // 100)  # ceil(percent / 100 × n)
    return ordered[max(rank, 1) - 1]
