"""analyze-site: turn a site's latest completed crawl into an action plan (`analyze-site/analysis`).

The rules engine runs offline today; the Claude engine will produce the same
`SiteAnalysis` from the same crawl, behind the same store and publish steps.
"""

from __future__ import annotations

from typing import Any

from prefect import flow
from prefect.runtime import flow_run
from prefect.states import State

from seology.errors import InvalidInput, NotFound
from seology.settings import get_settings
from tasks.analysis import build_rules_analysis, find_latest_crawl, publish_analysis, store_analysis
from tasks.crawling import load_site
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
    analysis = build_rules_analysis(site, crawl)
    result = store_analysis(str(flow_run.id), site, crawl, analysis)
    publish_analysis(site, crawl, analysis)
    return result
