"""The Prefect tasks of analyze-site: find the crawl, build the plan, store and publish it.

The plan's model is `seology.analysis.model`; its storage `seology.store.analyses`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from prefect import task
from prefect.artifacts import create_markdown_artifact
from prefect.tasks import exponential_backoff

from seology.analysis.markdown import analysis_markdown
from seology.analysis.model import AnalysisUsage, CrawlInfo, SiteAnalysis, analysis_result
from seology.core.logs import get_logger
from seology.core.settings import get_settings
from seology.store.analyses import (
    latest_completed_crawl,
    read_audit_findings,
    read_crawl_pages,
    save_analysis,
)
from seology.store.crawls import SiteInfo
from seology.store.engine import flow_engine
from seology.store.usage import current_period
from tasks.artifacts import artifact_key
from tasks.retries import RETRY_OPTIONS, is_permanent

if TYPE_CHECKING:
    from prefect.client.schemas.objects import TaskRun
    from prefect.states import State
    from prefect.tasks import Task

    from seology.analysis.claude import ClaudeResult, EngineChoice


@task(name="find-latest-crawl", **RETRY_OPTIONS)
def find_latest_crawl(site_id: int) -> CrawlInfo | None:
    return latest_completed_crawl(flow_engine(), site_id=site_id)


@task(name="build-rules-analysis", **RETRY_OPTIONS)
def build_rules_analysis(site: SiteInfo, crawl: CrawlInfo) -> SiteAnalysis:
    """Read the crawl's pages and apply the rules; the pages never leave this task."""
    from seology.analysis.rules import analyze_pages, page_facts

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
    from seology.analysis.claude import choose_engine as choose

    choice = choose(get_settings())
    get_logger().info(f"engine {choice.engine}: {choice.reason} (action=choose_engine)")
    return choice


def retry_claude(task: Task[..., Any], task_run: TaskRun, state: State) -> bool:
    """Retry transient failures (429, 5xx, 529, timeouts, the database), never a
    `ClaudeError`: a missing key, a refused request or an answer invalid twice."""
    from seology.analysis.claude import ClaudeError

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
    from seology.analysis.claude import MissingApiKey, analyse, digest_crawl, resolve_api_key
    from seology.analysis.rules import page_facts

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
    return analysis_result(
        analysis_id, site_id=site.id, crawl_id=crawl.id, analysis=analysis, usage=usage
    )


@task(name="publish-analysis", retries=2, retry_delay_seconds=2)
def publish_analysis(
    site: SiteInfo, crawl: CrawlInfo, analysis: SiteAnalysis, usage: AnalysisUsage | None = None
) -> None:
    create_markdown_artifact(
        key=artifact_key("analysis", site.id),
        markdown=analysis_markdown(
            site_name=site.name, site_url=site.url, crawl=crawl, analysis=analysis, usage=usage
        ),
        description=f"Analysis of {site.url}",
    )
