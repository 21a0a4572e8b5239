"""The analysis of a site: the action plan both engines produce, and what it cost.

An analysis turns a site's latest completed crawl into a prioritised action plan. Two
engines produce the same `SiteAnalysis`: the offline rules engine (`seology.analysis.rules`)
and Claude (`seology.analysis.claude`), chosen by SEOLOGY_ANALYSIS_ENGINE.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from seology.core.models import CamelModel

Severity = Literal["error", "warning", "notice"]
EngineName = Literal["rules", "claude"]


class Problem(CamelModel):
    """One problem of the site, with how many pages have it and how to fix it."""

    check_id: str
    title: str
    severity: Severity
    impact: int = Field(ge=1, le=10)
    affected_pages: int = Field(ge=0)
    sample_urls: list[str] = Field(default_factory=list, max_length=5)
    how_to_fix: str


class PageSuggestion(CamelModel):
    """A rewrite of one page's title or meta description."""

    url: str
    field: Literal["title", "meta_description"]
    current: str | None
    suggested: str
    reason: str


class SiteAnalysis(CamelModel):
    """The action plan of a site, whichever engine wrote it."""

    engine: EngineName
    summary: str
    top_problems: list[Problem] = Field(default_factory=list)
    quick_wins: list[str] = Field(default_factory=list)
    page_suggestions: list[PageSuggestion] = Field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)


@dataclass(frozen=True, kw_only=True)
class AnalysisUsage:
    """What a Claude analysis consumed, over every answer billed; rules consume nothing."""

    model: str
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    #: Estimated from the list prices in `seology.analysis.claude.PRICES`.
    cost_usd: float = 0.0
    #: Answers billed: 2 when the first one did not validate.
    calls: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "inputTokens": self.input_tokens,
            "outputTokens": self.output_tokens,
            "cacheReadTokens": self.cache_read_tokens,
            "cacheWriteTokens": self.cache_write_tokens,
            "costUsd": self.cost_usd,
            "calls": self.calls,
        }


@dataclass(frozen=True, kw_only=True)
class CrawlInfo:
    """The crawl an analysis reads; detached from any session."""

    id: int
    site_id: int
    finished_at: datetime | None
    pages_crawled: int


def analysis_result(
    analysis_id: int,
    *,
    site_id: int,
    crawl_id: int,
    analysis: SiteAnalysis,
    usage: AnalysisUsage | None = None,
) -> dict[str, Any]:
    """The flow's return value: ids and counts; the plan itself is in the analyses table."""
    result = {
        "analysisId": analysis_id,
        "siteId": site_id,
        "crawlId": crawl_id,
        "engine": analysis.engine,
        "summary": analysis.summary,
        "topProblems": len(analysis.top_problems),
        "quickWins": len(analysis.quick_wins),
        "pageSuggestions": len(analysis.page_suggestions),
    }
    if usage is not None:
        result["usage"] = usage.to_json()
    return result
