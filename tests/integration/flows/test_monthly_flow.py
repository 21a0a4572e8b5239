"""monthly-report against a real Prefect API and a real app database."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from flows.monthly import monthly_report
from seology.store.engine import session_scope
from seology.store.models import Report, Usage
from seology.store.usage import current_period, previous_period
from tests.integration.flows.conftest import FEBRUARY, JANUARY, html_page, run, run_count


async def _artifact_keys() -> set[str]:
    from prefect.client.orchestration import get_client

    async with get_client() as client:
        return {a.key for a in await client.read_artifacts() if a.key}


def _two_sites_two_months(seed) -> tuple[int, int, int]:
    """Site A crawled twice in January and once in February; site B once in January."""
    user = seed.user("reporter")
    a = seed.site(user, "https://a.test")
    b = seed.site(user, "https://b.test")
    pages = [html_page("https://a.test/"), html_page("https://a.test/x", status_code=404)]
    seed.crawl(a, JANUARY, pages=pages, health_score=50.0, issues=[("http.4xx", "error")])
    seed.crawl(a, JANUARY + timedelta(days=5), pages=pages[:1], health_score=100.0,
               duration=timedelta(seconds=90))  # fmt: skip
    seed.crawl(a, JANUARY + timedelta(days=6), status="failed")
    seed.crawl(a, FEBRUARY, pages=pages, health_score=10.0)
    seed.crawl(b, JANUARY, pages=[html_page("https://b.test/")])
    return user, a, b


def _reports(app_db) -> dict[int, Report]:
    with session_scope(app_db) as session:
        return {r.site_id: r for r in session.scalars(select(Report))}


def test_reports_every_site_for_the_month(app_db, seed):
    """Each site's January numbers are stored and shown; February's crawls stay out."""
    _, a, b = _two_sites_two_months(seed)

    result = monthly_report("2025-01")

    assert (result["period"], result["sitesReported"], result["crawls"]) == ("2025-01", 2, 3)
    reports = _reports(app_db)
    first = reports[a].data
    assert (first["crawls"], first["failedCrawls"], first["pagesCrawled"]) == (2, 1, 3)
    assert (first["healthScoreAvg"], first["healthScoreLast"]) == (75.0, 100.0)
    assert first["crawlDurationMeanSeconds"] == 60.0
    assert first["pagesByStatus"] == {"2xx": 2, "3xx": 0, "4xx": 1, "5xx": 0}
    assert first["issuesBySeverity"] == {"error": 1}
    assert reports[b].data["healthScoreAvg"] is None  # never scored: None, not NaN
    assert {f"monthly-report-site-{a}", f"monthly-report-site-{b}"} <= run(_artifact_keys())


def test_rerun_overwrites_the_month(app_db, seed):
    """Reporting a month twice leaves one report per site, written by the latest run."""
    _, a, _ = _two_sites_two_months(seed)

    monthly_report("2025-02")
    first_run = _reports(app_db)[a].flow_run_id
    monthly_report("2025-02")

    reports = _reports(app_db)
    assert len(reports) == 2
    assert reports[a].flow_run_id != first_run
    assert reports[a].data["healthScoreLast"] == 10.0


def test_usage_starts_afresh_and_history_is_kept(app_db, seed):
    """The new month gets zeroed usage rows for every user; last month's row is kept."""
    user, _, _ = _two_sites_two_months(seed)
    other = seed.user("idle")
    with session_scope(app_db) as session:
        session.add(Usage(user_id=user, period="2025-01", pages_crawled=120, analyses=4))

    result = monthly_report()

    assert result["period"] == previous_period("UTC")
    assert result["usagePeriod"] == current_period("UTC")
    assert result["usageRowsOpened"] == 2
    with session_scope(app_db) as session:
        rows = {
            (u.user_id, u.period): (u.pages_crawled, u.analyses)
            for u in session.scalars(select(Usage))
        }
    assert rows == {
        (user, "2025-01"): (120, 4),
        (user, current_period("UTC")): (0, 0),
        (other, current_period("UTC")): (0, 0),
    }
    assert monthly_report()["usageRowsOpened"] == 0  # idempotent: rows exist already


def test_malformed_period_fails_at_once(app_db):
    """A period that is not YYYY-MM fails with a message and is not retried."""
    state = monthly_report("2025-1", return_state=True)

    assert state.is_failed()
    assert "YYYY-MM" in state.message
    assert run_count(state.state_details.flow_run_id) == 1
