"""Monitoring against a real Prefect API: change detection after each crawl, and the chart
of the monthly report, for two sites over two months."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta
from typing import Any

import pytest
from prefect import flow
from sqlalchemy import delete, select

from flows.monthly import monthly_report
from seology.reports.charts import svg_data_uri
from seology.store.engine import session_scope
from seology.store.models import CrawlChange, Issue, Report
from tasks.changes import detect_changes
from tests.integration.flows.conftest import FEBRUARY, JANUARY, Seed, html_page, run

A, B = "https://a.test", "https://b.test"
NOINDEX_META = {"meta_robots": ["noindex"]}
NOINDEX_HEADER = {"x_robots_tag": ["noindex"]}


@flow(name="after-crawl-test", persist_result=False)
def after_crawl(crawl_id: int) -> dict[str, Any]:
    """What the crawl flow does after its audit step."""
    return detect_changes(crawl_id)


def add_issues(seed: Seed, crawl_id: int, issues: list[tuple[str, str, str]]) -> None:
    """Issue rows `(check_id, severity, url)` of a crawl."""
    with session_scope(seed.engine) as session:
        session.add_all(
            Issue(crawl_id=crawl_id, check_id=check, severity=severity, url=url)
            for check, severity, url in issues
        )


def crawl(seed: Seed, site: int, when, pages, issues=(), **options) -> int:
    crawl_id = seed.crawl(site, when, pages=pages, **options)
    add_issues(seed, crawl_id, list(issues))
    return crawl_id


def two_sites_two_months(seed: Seed) -> dict[str, int]:
    """Site A: Jan 10, a failed crawl on Jan 15, Feb 10 and an identical Feb 20.
    Site B: Jan 11 and Feb 11. Returns the site and crawl ids by name."""
    user = seed.user("monitor")
    a, b = seed.site(user, A), seed.site(user, B)
    jan_a = [html_page(f"{A}{path}") for path in ("/", "/about", "/old", "/blog")]
    jan_a_issues = [
        ("title.missing", "error", f"{A}/about"),
        ("meta.description_missing", "warning", f"{A}/blog"),
    ]
    feb_a = [
        html_page(f"{A}/"),
        html_page(f"{A}/about", status_code=404, record={"status_code": 404, "is_html": False}),
        html_page(f"{A}/blog", record=NOINDEX_META),
        html_page(f"{A}/new"),
    ]
    feb_a_issues = [
        ("http.4xx", "error", f"{A}/about"),
        ("meta.description_missing", "warning", f"{A}/blog"),
    ]
    jan_b = [
        html_page(f"{B}/", record=NOINDEX_HEADER),
        html_page(f"{B}/x", status_code=500, record={"status_code": 500}),
    ]
    feb_b = [html_page(f"{B}/"), html_page(f"{B}/x")]
    feb_b_issues = [("title.too_long", "notice", f"{B}/")]
    later = timedelta(days=1)
    return {
        "site_a": a,
        "site_b": b,
        "a1": crawl(seed, a, JANUARY, jan_a, jan_a_issues, health_score=60.0),
        "a_failed": crawl(seed, a, JANUARY + 5 * later, jan_a[:1], status="failed"),
        "a2": crawl(seed, a, FEBRUARY, feb_a, feb_a_issues, health_score=70.0),
        "a3": crawl(seed, a, FEBRUARY + 10 * later, feb_a, feb_a_issues),
        "b1": crawl(seed, b, JANUARY + later, jan_b),
        "b2": crawl(seed, b, FEBRUARY + later, feb_b, feb_b_issues, health_score=95.0),
    }


def stored(engine) -> dict[int, CrawlChange]:
    with session_scope(engine) as session:
        return {row.crawl_id: row for row in session.scalars(select(CrawlChange))}


@pytest.fixture
def crawls(seed) -> dict[str, int]:
    return two_sites_two_months(seed)


class TestDetectChanges:
    def test_changes_of_site_a(self, app_db, crawls):
        """Feb vs Jan on site A: every kind of change, the failed crawl skipped over."""
        summary = after_crawl(crawls["a2"])

        assert summary == {
            "previousCrawlId": crawls["a1"],
            "newIssues": 1, "fixedIssues": 1, "pagesAppeared": 1, "pagesDisappeared": 1,
            "statusChanged": 1, "becameNonIndexable": 2, "becameIndexable": 0,
            "pagesBefore": 4, "pagesAfter": 4, "issuesBefore": 2, "issuesAfter": 2,
        }  # fmt: skip
        row = stored(app_db)[crawls["a2"]]
        assert (row.site_id, row.previous_crawl_id) == (crawls["site_a"], crawls["a1"])
        changes = row.changes
        assert changes["newIssues"] == [
            {"checkId": "http.4xx", "severity": "error", "url": f"{A}/about"}
        ]
        assert changes["fixedIssues"] == [
            {"checkId": "title.missing", "severity": "error", "url": f"{A}/about"}
        ]
        assert (changes["pagesAppeared"], changes["pagesDisappeared"]) == (
            [f"{A}/new"],
            [f"{A}/old"],
        )
        assert changes["statusChanged"] == [{"url": f"{A}/about", "from": 200, "to": 404}]
        assert changes["becameNonIndexable"] == [f"{A}/about", f"{A}/blog"]
        assert (changes["becameIndexable"], changes["truncated"]) == ([], False)

    def test_changes_of_site_b(self, app_db, crawls):
        """Feb vs Jan on site B: a recovered 500 and a lifted X-Robots-Tag noindex."""
        summary = after_crawl(crawls["b2"])

        assert summary["previousCrawlId"] == crawls["b1"]
        changes = stored(app_db)[crawls["b2"]].changes
        assert changes["becameIndexable"] == [f"{B}/", f"{B}/x"]
        assert changes["statusChanged"] == [{"url": f"{B}/x", "from": 500, "to": 200}]
        assert changes["newIssues"] == [
            {"checkId": "title.too_long", "severity": "notice", "url": f"{B}/"}
        ]
        assert changes["counts"]["fixedIssues"] == changes["counts"]["becameNonIndexable"] == 0

    def test_identical_crawls(self, app_db, crawls):
        """Two identical crawls: a record with nothing in it, against the latest one before."""
        summary = after_crawl(crawls["a3"])

        assert summary["previousCrawlId"] == crawls["a2"]
        assert {k: v for k, v in summary.items() if k != "previousCrawlId" and v} == {
            "pagesBefore": 4, "pagesAfter": 4, "issuesBefore": 2, "issuesAfter": 2,
        }  # fmt: skip

    def test_first_crawl_has_nothing_to_compare(self, app_db, crawls):
        """A site's first crawl stores no record and says so."""
        assert after_crawl(crawls["a1"]) == {"previousCrawlId": None}
        assert after_crawl(crawls["b1"]) == {"previousCrawlId": None}
        assert stored(app_db) == {}

    def test_rerun_overwrites_its_record(self, app_db, seed, crawls):
        """A retried run rewrites the crawl's one record with what it finds now."""
        after_crawl(crawls["a2"])
        with session_scope(app_db) as session:
            session.execute(delete(Issue).where(Issue.crawl_id == crawls["a2"]))

        summary = after_crawl(crawls["a2"])

        rows = stored(app_db)
        assert list(rows) == [crawls["a2"]]
        assert (summary["newIssues"], summary["fixedIssues"]) == (0, 2)
        assert rows[crawls["a2"]].changes["counts"]["fixedIssues"] == 2

    def test_unfinished_crawl_fails_without_retries(self, app_db, crawls):
        """A failed crawl is partial: comparing it is refused at once, not retried."""
        state = after_crawl(crawls["a_failed"], return_state=True)

        assert state.is_failed()
        assert "only completed crawls compare" in state.message
        assert stored(app_db) == {}


async def _markdown_of(flow_run_id) -> dict[str, str]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    async with get_client() as client:
        found = await client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id]))
        )
    return {artifact.key: artifact.data for artifact in found}


class TestMonthlyChart:
    @pytest.mark.parametrize(
        ("period", "expected"),
        [
            # A: one completed crawl (the failed one is left out); B: crawled, never scored
            ("2025-01", {"site_a": (1, 1), "site_b": (1, 0)}),
            # A: two crawls, the second not scored; B: one scored crawl
            ("2025-02", {"site_a": (2, 1), "site_b": (1, 1)}),
        ],
    )
    def test_chart_in_report_and_artifact(self, app_db, crawls, period, expected):
        """Each report stores its chart, one bar per crawl and a dot per score, and the
        Prefect UI artifact shows the same chart as an inline image."""
        state = monthly_report(period, return_state=True)

        markdown = run(_markdown_of(state.state_details.flow_run_id))
        for site, (bars, dots) in expected.items():
            svg = _report_data(app_db, crawls[site], period)["chartSvg"]
            classes = [element.get("class") for element in ET.fromstring(svg).iter()]
            assert (classes.count("pages"), classes.count("health")) == (bars, dots)
            assert svg_data_uri(svg) in markdown[f"monthly-report-site-{crawls[site]}"]


def _report_data(engine, site_id: int, period: str) -> dict[str, Any]:
    with session_scope(engine) as session:
        query = select(Report).where(Report.site_id == site_id, Report.period == period)
        return session.scalars(query).one().data
