"""analyze-site: turn a site's latest completed crawl into an action plan (`analyze-site/analysis`).

Two engines write the same `SiteAnalysis` behind the same store and publish steps:
Claude, through the Messages API, and the offline rules. SEOLOGY_ANALYSIS_ENGINE picks
(auto: Claude when an API key is configured); see docs/internals/analysis.md.
"""

from __future__ import annotations

from typing import Any

from prefect import flow
from prefect.runtime import flow_run
from prefect.states import State

from seology.analysis.claude import ClaudeError
from seology.analysis.model import AnalysisUsage, CrawlInfo, SiteAnalysis
from seology.core.errors import InvalidInput, NotFound
from seology.core.settings import get_settings
from seology.store.crawls import SiteInfo
from tasks.analysis import (
    build_claude_analysis,
    build_rules_analysis,
    choose_engine,
    find_latest_crawl,
    publish_analysis,
    store_analysis,
)
from tasks.crawl import load_site
from tasks.retries import fail_without_retry


def no_crawl_message(site_id: int) -> str:
    return f"Site {site_id} has no completed crawl yet; run a crawl first."


@flow(
    name="analyze-site",
    retries=get_settings().job_max_attempts - 1,
    retry_delay_seconds=5,
    persist_result=False,
)
def analyze_site(site_id: int, user_id: int) -> dict[str, Any] | State:
    """Load the site and its latest completed crawl, analyse it, store and publish the plan."""
    try:
        site = load_site(site_id, user_id)
    except (InvalidInput, NotFound) as exc:
        return fail_without_retry(exc.message)  # the same input fails the same way
    crawl = find_latest_crawl(site.id)
    if crawl is None:
        return fail_without_retry(no_crawl_message(site.id))
    choice = choose_engine()
    if choice.engine is None:
        return fail_without_retry(choice.reason)  # engine=claude and no key: say how to set one
    if choice.engine == "rules":
        analysis, usage = build_rules_analysis(site, crawl), None
    else:
        try:
            analysis, usage = claude_analysis(site, crawl)
        except ClaudeError as exc:
            return fail_without_retry(exc.message)  # asking again would fail the same way
    result = store_analysis(str(flow_run.id), site, crawl, analysis, usage)
    publish_analysis(site, crawl, analysis, usage)
    return result


def claude_analysis(site: SiteInfo, crawl: CrawlInfo) -> tuple[SiteAnalysis, AnalysisUsage]:
    """The plan and its cost from the Claude task (which retries transient API errors)."""
    result = build_claude_analysis(site, crawl)
    return result.analysis, result.usage
