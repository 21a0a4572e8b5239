"""analyze-site against a real Prefect API and a real app database."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import func, select

from flows.analysis import analyze_site
from seology.analysis.model import CrawlInfo, SiteAnalysis
from seology.store.analyses import save_analysis
from seology.store.crawls import SiteInfo
from seology.store.engine import session_scope
from seology.store.models import Analysis, Usage
from seology.store.usage import current_period
from tests.integration.flows.conftest import (
    FEBRUARY,
    JANUARY,
    artifact_markdown,
    html_page,
    run,
    run_count,
)


def _problem_pages(base: str) -> list[dict]:
    return [
        html_page(f"{base}/", title=None),
        html_page(f"{base}/thin", word_count=40),
        html_page(f"{base}/gone", status_code=404, title=None, record={"is_html": False}),
        html_page(f"{base}/hidden", record={"meta_robots": ["noindex, follow"]}),
    ]


def test_analysis_of_latest_completed_crawl(app_db, seed):
    """The newest completed crawl is analysed (failed ones skipped), stored, counted, shown."""
    user = seed.user("ana")
    site = seed.site(user, "https://oak.test")
    seed.crawl(site, JANUARY, pages=[html_page("https://oak.test/")])
    latest = seed.crawl(site, FEBRUARY, pages=_problem_pages("https://oak.test"))
    seed.crawl(site, FEBRUARY + timedelta(days=1), status="failed")

    state = analyze_site(site, user, return_state=True)
    result = state.result()

    assert result["crawlId"] == latest
    assert (result["siteId"], result["engine"]) == (site, "rules")
    with session_scope(app_db) as session:
        row = session.get(Analysis, result["analysisId"])
        usage = session.scalar(select(Usage).where(Usage.user_id == user))
    plan = SiteAnalysis.model_validate(row.result)
    checks = {problem.check_id for problem in plan.top_problems}
    assert {"http.4xx", "title.missing", "content.low_word_count", "indexability.noindex"} <= checks
    assert result["topProblems"] == len(plan.top_problems)
    assert (usage.period, usage.analyses) == (current_period("UTC"), 1)
    markdown = run(artifact_markdown(f"analysis-site-{site}", state.state_details.flow_run_id))
    assert markdown is not None
    assert "Pages without a title" in markdown


def test_no_completed_crawl_fails_without_retrying(app_db, seed):
    """A site never crawled fails at once with a message that says what to do."""
    user = seed.user("new")
    site = seed.site(user, "https://new.test")
    seed.crawl(site, FEBRUARY, status="failed")

    state = analyze_site(site, user, return_state=True)

    assert state.is_failed()
    assert state.message == f"Site {site} has no completed crawl yet; run a crawl first."
    assert run_count(state.state_details.flow_run_id) == 1


def test_foreign_site_is_not_found(app_db, seed):
    """Another user's site is reported as unknown, and nothing is written or counted."""
    owner = seed.user("owner")
    other = seed.user("other")
    site = seed.site(owner, "https://mine.test")
    seed.crawl(site, FEBRUARY, pages=[html_page("https://mine.test/")])

    state = analyze_site(site, other, return_state=True)

    assert state.is_failed()
    assert "does not exist or belongs to another user" in state.message
    assert run_count(state.state_details.flow_run_id) == 1
    with session_scope(app_db) as session:
        assert session.scalar(select(func.count()).select_from(Analysis)) == 0
        assert session.scalar(select(func.count()).select_from(Usage)) == 0


def test_retry_overwrites_and_counts_once(app_db, seed):
    """A second attempt of one flow run rewrites its analysis and does not count again."""
    user = seed.user("retry")
    site_id = seed.site(user, "https://retry.test")
    crawl_id = seed.crawl(site_id, FEBRUARY)
    site = SiteInfo(id=site_id, user_id=user, url="https://retry.test", name="retry.test")
    crawl = CrawlInfo(id=crawl_id, site_id=site_id, finished_at=FEBRUARY, pages_crawled=0)
    run_id = str(uuid.uuid4())

    first = SiteAnalysis(engine="rules", summary="first")
    second = SiteAnalysis(engine="rules", summary="second")
    id1, created1 = save_analysis(
        app_db, flow_run_id=run_id, site=site, crawl=crawl, analysis=first, period="2025-02"
    )
    id2, created2 = save_analysis(
        app_db, flow_run_id=run_id, site=site, crawl=crawl, analysis=second, period="2025-02"
    )

    assert (id1, created1, created2) == (id2, True, False)
    with session_scope(app_db) as session:
        assert session.get(Analysis, id1).result["summary"] == "second"
        usage = session.scalar(select(Usage).where(Usage.user_id == user))
    assert usage.analyses == 1
