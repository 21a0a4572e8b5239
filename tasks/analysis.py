"""The analysis of a site: its data model, its storage, and the Prefect tasks of analyze-site.

An analysis turns a site's latest completed crawl into a prioritised action plan. Two
engines produce the same `SiteAnalysis`: the offline rules engine (`tasks.analysis_rules`)
and, later, Claude. The plan is stored in the `analyses` table under the flow run id that
produced it, so a retried run overwrites its own row and counts once in the user's usage.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from prefect import task
from prefect.artifacts import create_markdown_artifact
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel
from sqlalchemy import Engine, select

from seology.db.engine import flow_engine, session_scope
from seology.db.models import Analysis, Crawl, Page
from seology.logs import get_logger
from seology.settings import get_settings
from tasks.reports import artifact_key
from tasks.retries import RETRY_OPTIONS
from tasks.storage import SiteInfo
from tasks.usage import count_usage, current_period

Severity = Literal["error", "warning", "notice"]
EngineName = Literal["rules", "claude"]


class _CamelModel(BaseModel):
    """JSON in camelCase (the API's shape), Python in snake_case."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class Problem(_CamelModel):
    """One problem of the site, with how many pages have it and how to fix it."""

    check_id: str
    title: str
    severity: Severity
    impact: int = Field(ge=1, le=10)
    affected_pages: int = Field(ge=0)
    sample_urls: list[str] = Field(default_factory=list, max_length=5)
    how_to_fix: str


class PageSuggestion(_CamelModel):
    """A rewrite of one page's title or meta description."""

    url: str
    field: Literal["title", "meta_description"]
    current: str | None
    suggested: str
    reason: str


class SiteAnalysis(_CamelModel):
    """The action plan of a site, whichever engine wrote it."""

    engine: EngineName
    summary: str
    top_problems: list[Problem] = Field(default_factory=list)
    quick_wins: list[str] = Field(default_factory=list)
    page_suggestions: list[PageSuggestion] = Field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)


@dataclass(frozen=True, kw_only=True)
class CrawlInfo:
    """The crawl an analysis reads; detached from any session."""

    id: int
    site_id: int
    finished_at: datetime | None
    pages_crawled: int


# --- reading ---------------------------------------------------------------------------


def latest_completed_crawl(engine: Engine, *, site_id: int) -> CrawlInfo | None:
    """The site's completed crawl that finished last, or None if it has none."""
    with session_scope(engine) as session:
        crawl = session.scalar(
            select(Crawl)
            .where(Crawl.site_id == site_id, Crawl.status == "completed")
            .order_by(Crawl.finished_at.desc(), Crawl.id.desc())
            .limit(1)
        )
        if crawl is None:
            return None
        return CrawlInfo(
            id=crawl.id,
            site_id=crawl.site_id,
            finished_at=crawl.finished_at,
            pages_crawled=crawl.pages_crawled,
        )


def read_crawl_pages(engine: Engine, *, crawl_id: int) -> list[dict[str, Any]]:
    """The crawl's pages as plain dicts: the rules engine needs no ORM."""
    columns = (
        Page.url,
        Page.status_code,
        Page.content_type,
        Page.title,
        Page.meta_description,
        Page.h1,
        Page.word_count,
        Page.record,
    )
    with session_scope(engine) as session:
        rows = session.execute(select(*columns).where(Page.crawl_id == crawl_id).order_by(Page.id))
        return [dict(row._mapping) for row in rows]


# --- writing ---------------------------------------------------------------------------


def save_analysis(
    engine: Engine,
    *,
    flow_run_id: str,
    site: SiteInfo,
    crawl: CrawlInfo,
    analysis: SiteAnalysis,
    period: str,
) -> tuple[int, bool]:
    """Write the analysis of `flow_run_id`; return its id and whether it is new.

    The row and the usage count change in one transaction: the first attempt of a run
    inserts and counts, a retry finds the row, overwrites it and does not count again.
    """
    with session_scope(engine) as session:
        row = session.scalar(select(Analysis).where(Analysis.flow_run_id == flow_run_id))
        created = row is None
        if row is None:
            row = Analysis(flow_run_id=flow_run_id, site_id=site.id, user_id=site.user_id)
            session.add(row)
        row.crawl_id = crawl.id
        row.engine = analysis.engine
        row.result = analysis.to_json()
        session.flush()
        if created:
            _count_analysis(session, user_id=site.user_id, period=period)
        return row.id, created


def _count_analysis(session: Any, *, user_id: int, period: str) -> None:
    """`analyses += 1` in SQL: concurrent analyses of one user never lose a count."""
    count_usage(session, user_id=user_id, period=period, analyses=1)


def analysis_result(
    analysis_id: int, site: SiteInfo, crawl: CrawlInfo, analysis: SiteAnalysis
) -> dict[str, Any]:
    """The job's result: ids and counts; the plan itself is in the analyses table."""
    return {
        "analysisId": analysis_id,
        "siteId": site.id,
        "crawlId": crawl.id,
        "engine": analysis.engine,
        "summary": analysis.summary,
        "topProblems": len(analysis.top_problems),
        "quickWins": len(analysis.quick_wins),
        "pageSuggestions": len(analysis.page_suggestions),
    }


# --- the markdown the UI shows ---------------------------------------------------------


def _cell(value: object) -> str:
    """A markdown table cell: no pipes or newlines to break the row."""
    return str(value if value is not None else "—").replace("|", "\\|").replace("\n", " ")


def analysis_markdown(site: SiteInfo, crawl: CrawlInfo, analysis: SiteAnalysis) -> str:
    """The analysis as a markdown page (plain function: tested without Prefect)."""
    problems = "\n".join(
        f"| {p.impact} | {p.severity} | {_cell(p.title)} | {p.affected_pages} "
        f"| {_cell(p.how_to_fix)} |"
        for p in analysis.top_problems
    )
    wins = "\n".join(f"- {win}" for win in analysis.quick_wins) or "- none"
    suggestions = "\n".join(
        f"| {_cell(s.url)} | {s.field} | {_cell(s.current)} | {_cell(s.suggested)} |"
        for s in analysis.page_suggestions
    )
    return (
        f"# Analysis of {_cell(site.name)} ({analysis.engine} engine)\n\n"
        f"Crawl #{crawl.id} of {site.url}, {crawl.pages_crawled} pages.\n\n"
        f"{analysis.summary}\n\n## Top problems\n\n"
        f"| impact | severity | problem | pages | how to fix |\n|---:|---|---|---:|---|\n"
        f"{problems}\n\n## Quick wins\n\n{wins}\n\n## Suggested rewrites\n\n"
        f"| URL | field | current | suggested |\n|---|---|---|---|\n{suggestions}\n"
    )


# --- the Prefect tasks -----------------------------------------------------------------


@task(name="find-latest-crawl", **RETRY_OPTIONS)
def find_latest_crawl(site_id: int) -> CrawlInfo | None:
    return latest_completed_crawl(flow_engine(), site_id=site_id)


@task(name="build-rules-analysis", **RETRY_OPTIONS)
def build_rules_analysis(site: SiteInfo, crawl: CrawlInfo) -> SiteAnalysis:
    """Read the crawl's pages and apply the rules; the pages never leave this task."""
    from tasks.analysis_rules import analyze_pages, page_facts

    pages = [page_facts(row) for row in read_crawl_pages(flow_engine(), crawl_id=crawl.id)]
    analysis = analyze_pages(pages, site_name=site.name)
    get_logger().info(
        f"analysed {len(pages)} pages: {len(analysis.top_problems)} problems "
        f"(action=build_analysis engine=rules site_id={site.id} crawl_id={crawl.id})"
    )
    return analysis


@task(name="store-analysis", **RETRY_OPTIONS)
def store_analysis(
    flow_run_id: str, site: SiteInfo, crawl: CrawlInfo, analysis: SiteAnalysis
) -> dict[str, Any]:
    """Save the analysis (once per run), count it in this month's usage, return the result."""
    period = current_period(get_settings().timezone)
    analysis_id, created = save_analysis(
        flow_engine(), flow_run_id=flow_run_id, site=site, crawl=crawl, analysis=analysis,
        period=period,
    )  # fmt: skip
    verb = "stored" if created else "overwrote"
    get_logger().info(
        f"{verb} analysis {analysis_id} (action=store_analysis site_id={site.id} "
        f"crawl_id={crawl.id} counted={created} period={period})"
    )
    return analysis_result(analysis_id, site, crawl, analysis)


@task(name="publish-analysis", retries=2, retry_delay_seconds=2)
def publish_analysis(site: SiteInfo, crawl: CrawlInfo, analysis: SiteAnalysis) -> None:
    create_markdown_artifact(
        key=artifact_key("analysis", site.id),
        markdown=analysis_markdown(site, crawl, analysis),
        description=f"Analysis of {site.url}",
    )
