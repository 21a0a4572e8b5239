"""The analysis of a site: its data model, its storage, and the Prefect tasks of analyze-site.

An analysis turns a site's latest completed crawl into a prioritised action plan. Two
engines produce the same `SiteAnalysis`: the offline rules engine (`tasks.analysis_rules`)
and Claude (`tasks.claude`), chosen by SEOLOGY_ANALYSIS_ENGINE. The plan is stored in the
`analyses` table under the flow run id that produced it, with the tokens and estimated
cost of a Claude analysis, so a retried run overwrites its own row and counts once in the
user's usage.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from prefect import task
from prefect.artifacts import create_markdown_artifact
from prefect.tasks import exponential_backoff
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel
from sqlalchemy import Engine, func, select

from seology.db.engine import flow_engine, session_scope
from seology.db.models import Analysis, Crawl, Issue, Page
from seology.logs import get_logger
from seology.settings import get_settings
from tasks.reports import artifact_key
from tasks.retries import RETRY_OPTIONS, is_permanent
from tasks.storage import SiteInfo
from tasks.usage import count_usage, current_period

if TYPE_CHECKING:
    from prefect.client.schemas.objects import TaskRun
    from prefect.states import State
    from prefect.tasks import Task

    from tasks.claude import CheckFinding, ClaudeResult, EngineChoice

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
class AnalysisUsage:
    """What a Claude analysis consumed, over every answer billed; rules consume nothing."""

    model: str
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    #: Estimated from the list prices in `tasks.claude.PRICES`.
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


def read_audit_findings(engine: Engine, *, crawl_id: int, samples: int = 5) -> list[CheckFinding]:
    """The crawl's audit issues counted by check, with the first `samples` URLs of each.

    Empty when the crawl has no audit issues (an older crawl, or no audit step yet).
    """
    from tasks.claude import CheckFinding

    rank = func.row_number().over(partition_by=Issue.check_id, order_by=Issue.id)
    ranked = select(Issue.check_id, Issue.url, rank.label("rank")).where(Issue.crawl_id == crawl_id)
    sampled = ranked.subquery()
    with session_scope(engine) as session:
        counts = session.execute(
            select(Issue.check_id, func.max(Issue.severity), func.count())
            .where(Issue.crawl_id == crawl_id)
            .group_by(Issue.check_id)
        ).all()
        urls: dict[str, list[str]] = {}
        for check_id, url in session.execute(
            select(sampled.c.check_id, sampled.c.url).where(sampled.c.rank <= samples)
        ):
            urls.setdefault(check_id, []).append(url)
    return [
        CheckFinding(check_id=check_id, severity=severity, count=count,
                     sample_urls=tuple(urls.get(check_id, ())))
        for check_id, severity, count in counts
    ]  # fmt: skip


# --- writing ---------------------------------------------------------------------------


def save_analysis(
    engine: Engine,
    *,
    flow_run_id: str,
    site: SiteInfo,
    crawl: CrawlInfo,
    analysis: SiteAnalysis,
    period: str,
    usage: AnalysisUsage | None = None,
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
        _record_usage(row, usage)
        session.flush()
        if created:
            _count_analysis(session, user_id=site.user_id, period=period)
        return row.id, created


def _record_usage(row: Analysis, usage: AnalysisUsage | None) -> None:
    """The model, tokens and cost of the row (zeros for the rules engine)."""
    usage = usage or AnalysisUsage(model="")
    row.model = usage.model or None
    row.input_tokens = usage.input_tokens
    row.output_tokens = usage.output_tokens
    row.cache_read_tokens = usage.cache_read_tokens
    row.cache_write_tokens = usage.cache_write_tokens
    row.cost_usd = usage.cost_usd


def _count_analysis(session: Any, *, user_id: int, period: str) -> None:
    """`analyses += 1` in SQL: concurrent analyses of one user never lose a count."""
    count_usage(session, user_id=user_id, period=period, analyses=1)


def analysis_result(
    analysis_id: int,
    site: SiteInfo,
    crawl: CrawlInfo,
    analysis: SiteAnalysis,
    usage: AnalysisUsage | None = None,
) -> dict[str, Any]:
    """The flow's return value: ids and counts; the plan itself is in the analyses table."""
    result = {
        "analysisId": analysis_id,
        "siteId": site.id,
        "crawlId": crawl.id,
        "engine": analysis.engine,
        "summary": analysis.summary,
        "topProblems": len(analysis.top_problems),
        "quickWins": len(analysis.quick_wins),
        "pageSuggestions": len(analysis.page_suggestions),
    }
    if usage is not None:
        result["usage"] = usage.to_json()
    return result


# --- the markdown the UI shows ---------------------------------------------------------


def _cell(value: object) -> str:
    """A markdown table cell: no pipes or newlines to break the row."""
    return str(value if value is not None else "—").replace("|", "\\|").replace("\n", " ")


def usage_markdown(usage: AnalysisUsage | None) -> str:
    """The cost section of the artifact: tokens by kind and the estimated price."""
    if usage is None:
        return "## Cost\n\nThe rules engine runs offline: no tokens, no cost.\n"
    return (
        f"## Cost\n\nModel `{usage.model}`, {usage.calls} answer(s).\n\n"
        "| input | output | cache read | cache write | estimated cost |\n"
        "|---:|---:|---:|---:|---:|\n"
        f"| {usage.input_tokens} | {usage.output_tokens} | {usage.cache_read_tokens} "
        f"| {usage.cache_write_tokens} | ${usage.cost_usd:.4f} |\n"
    )


def analysis_markdown(
    site: SiteInfo, crawl: CrawlInfo, analysis: SiteAnalysis, usage: AnalysisUsage | None = None
) -> str:
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
        f"| URL | field | current | suggested |\n|---|---|---|---|\n{suggestions}\n\n"
        f"{usage_markdown(usage)}"
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


@task(name="choose-engine", **RETRY_OPTIONS)
def choose_engine() -> EngineChoice:
    """Claude or rules, per SEOLOGY_ANALYSIS_ENGINE and whether a key is configured."""
    from tasks.claude import choose_engine as choose

    choice = choose(get_settings())
    get_logger().info(f"engine {choice.engine}: {choice.reason} (action=choose_engine)")
    return choice


def retry_claude(task: Task[..., Any], task_run: TaskRun, state: State) -> bool:
    """Retry transient failures (429, 5xx, 529, timeouts, the database), never a
    `ClaudeError`: a missing key, a refused request or an answer invalid twice."""
    from tasks.claude import ClaudeError

    error = state.result(raise_on_failure=False, _sync=True)  # type: ignore[call-overload]
    return not is_permanent(error) and not isinstance(error, ClaudeError)


@task(
    name="build-claude-analysis",
    retries=2,
    retry_delay_seconds=exponential_backoff(backoff_factor=2),
    retry_jitter_factor=0.5,
    retry_condition_fn=retry_claude,
)
def build_claude_analysis(site: SiteInfo, crawl: CrawlInfo) -> ClaudeResult:
    """Digest the crawl and its audit, ask Claude, return the validated plan and its cost."""
    from tasks.analysis_rules import page_facts
    from tasks.claude import MissingApiKey, analyse, digest_crawl, resolve_api_key

    settings = get_settings()
    api_key = resolve_api_key(settings)
    if api_key is None:
        raise MissingApiKey
    engine = flow_engine()
    pages = [page_facts(row) for row in read_crawl_pages(engine, crawl_id=crawl.id)]
    audit = read_audit_findings(engine, crawl_id=crawl.id)
    digest = digest_crawl(pages, site_name=site.name, site_url=site.url, audit=audit)
    result = analyse(digest, settings=settings, api_key=api_key)
    usage = result.usage
    get_logger().info(
        f"Claude analysed {len(pages)} pages in {result.attempts} attempt(s): "
        f"{usage.input_tokens} input, {usage.cache_read_tokens} cache read, "
        f"{usage.cache_write_tokens} cache write, {usage.output_tokens} output tokens, "
        f"${usage.cost_usd:.4f} (action=build_analysis engine=claude model={usage.model} "
        f"site_id={site.id} crawl_id={crawl.id})"
    )
    return result


@task(name="store-analysis", **RETRY_OPTIONS)
def store_analysis(
    flow_run_id: str,
    site: SiteInfo,
    crawl: CrawlInfo,
    analysis: SiteAnalysis,
    usage: AnalysisUsage | None = None,
) -> dict[str, Any]:
    """Save the analysis (once per run), count it in this month's usage, return the result."""
    period = current_period(get_settings().timezone)
    analysis_id, created = save_analysis(
        flow_engine(), flow_run_id=flow_run_id, site=site, crawl=crawl, analysis=analysis,
        period=period, usage=usage,
    )  # fmt: skip
    verb = "stored" if created else "overwrote"
    get_logger().info(
        f"{verb} analysis {analysis_id} (action=store_analysis site_id={site.id} "
        f"crawl_id={crawl.id} engine={analysis.engine} counted={created} period={period})"
    )
    return analysis_result(analysis_id, site, crawl, analysis, usage)


@task(name="publish-analysis", retries=2, retry_delay_seconds=2)
def publish_analysis(
    site: SiteInfo, crawl: CrawlInfo, analysis: SiteAnalysis, usage: AnalysisUsage | None = None
) -> None:
    create_markdown_artifact(
        key=artifact_key("analysis", site.id),
        markdown=analysis_markdown(site, crawl, analysis, usage),
        description=f"Analysis of {site.url}",
    )
