"""`/api/sites/{id}/changes`, `/api/sites/{id}/reports` and `/api/reports/{id}` over real HTTP."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest

from seology.reports.charts import month_chart_svg
from seology.reports.report import SiteReport
from seology.store.changes import crawl_changes
from seology.store.engine import session_scope
from seology.store.models import Crawl, Issue, Page
from seology.store.monthly import save_reports
from tests.integration.api_answers import assert_error, bearer

DAY = datetime(2025, 3, 1, 12, tzinfo=UTC)
SERIAL = itertools.count(1)


def add_crawl(engine, site, finished_at: datetime, urls: list[str], issues=()) -> int:
    """A completed crawl of `site` with 200 pages at `urls` and `(check, url)` errors."""
    with session_scope(engine) as session:
        crawl = Crawl(
            flow_run_id=f"00000000-0000-0000-0000-{next(SERIAL):012d}", site_id=site.id,
            user_id=site.user_id, start_url=site.url, status="completed", max_pages=10,
            pages_crawled=len(urls), started_at=finished_at - timedelta(minutes=1),
            finished_at=finished_at,
        )  # fmt: skip
        session.add(crawl)
        session.flush()
        session.add_all(
            Page(crawl_id=crawl.id, url=url, status_code=200, content_type="text/html",
                 record={"is_html": True})
            for url in urls
        )  # fmt: skip
        session.add_all(
            Issue(crawl_id=crawl.id, check_id=check, severity="error", url=url)
            for check, url in issues
        )
        return crawl.id


def add_report(engine, site, period: str, *, chart: bool = True) -> None:
    numbers = {"crawls": 1, "pagesCrawled": 3, "healthScoreAvg": 80.0}
    if chart:
        numbers["chartSvg"] = month_chart_svg(["Mar 01"], [80.0], [3], title=f"{site.name}")
    report = SiteReport(
        site_id=site.id, site_name=site.name, site_url=site.url, period=period, numbers=numbers
    )
    save_reports(engine, flow_run_id="11111111-1111-1111-1111-111111111111", reports=[report])


@pytest.fixture
def alice(user_factory):
    return user_factory("alice")


@pytest.fixture
def bob(user_factory):
    return user_factory("bob")


@pytest.fixture
def monitored(db_engine, alice, site_factory):
    """Alice's site crawled three times, each crawl compared with the one before."""
    user, _ = alice
    site = site_factory(user, "https://a.test/")
    home, about, shop = "https://a.test/", "https://a.test/about", "https://a.test/shop"
    ids = [
        add_crawl(db_engine, site, DAY, [home, about], [("title.missing", about)]),
        add_crawl(db_engine, site, DAY + timedelta(days=1), [home, about, shop]),
        add_crawl(db_engine, site, DAY + timedelta(days=2), [home, shop]),
    ]
    for crawl_id in ids[1:]:
        crawl_changes(db_engine, crawl_id)
    return site, ids


class TestChanges:
    def test_latest(self, api_client, alice, monitored):
        """Without crawlId: the latest crawl's changes, with its job id and predecessor."""
        site, ids = monitored
        response = api_client.get(f"/api/sites/{site.id}/changes", headers=bearer(alice[1]))

        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["siteId"], body["crawlId"], body["previousCrawlId"]) == (
            site.id,
            ids[2],
            ids[1],
        )
        assert body["jobId"].startswith("00000000-")
        assert body["finishedAt"] == "2025-03-03T12:00:00.000Z"
        assert body["changes"]["pagesDisappeared"] == ["https://a.test/about"]
        assert body["changes"]["counts"]["pagesDisappeared"] == 1

    def test_one_crawl(self, api_client, alice, monitored):
        """With crawlId: that crawl's changes."""
        site, ids = monitored
        response = api_client.get(
            f"/api/sites/{site.id}/changes", params={"crawlId": ids[1]}, headers=bearer(alice[1])
        )

        assert response.status_code == 200, response.text
        changes = response.json()["changes"]
        assert changes["pagesAppeared"] == ["https://a.test/shop"]
        assert changes["fixedIssues"] == [
            {"checkId": "title.missing", "severity": "error", "url": "https://a.test/about"}
        ]

    def test_first_crawl_has_none(self, api_client, alice, monitored):
        """The first crawl has no record: 404 with a message that says which crawl."""
        site, ids = monitored
        response = api_client.get(
            f"/api/sites/{site.id}/changes", params={"crawlId": ids[0]}, headers=bearer(alice[1])
        )

        assert f"crawl {ids[0]}" in assert_error(response, 404, "not_found")

    def test_site_never_compared(self, api_client, alice, site_factory):
        """A site with no change record yet: 404 explaining when records start."""
        site = site_factory(alice[0], "https://new.test/")
        response = api_client.get(f"/api/sites/{site.id}/changes", headers=bearer(alice[1]))

        assert "second completed crawl" in assert_error(response, 404, "not_found")

    def test_other_user_and_admin(self, api_client, bob, admin_headers, monitored):
        """Another user gets the 404 of an unknown site; the admin sees every site."""
        site, ids = monitored
        url = f"/api/sites/{site.id}/changes"

        assert_error(api_client.get(url, headers=bearer(bob[1])), 404, "not_found")
        assert api_client.get(url, headers=admin_headers).json()["crawlId"] == ids[2]

    def test_malformed_crawl_id(self, api_client, alice, monitored):
        """A crawlId that is not a positive integer is a 422."""
        site, _ = monitored
        response = api_client.get(
            f"/api/sites/{site.id}/changes", params={"crawlId": "x"}, headers=bearer(alice[1])
        )

        assert_error(response, 422, "validation_error")


@pytest.fixture
def reported(db_engine, alice, site_factory):
    """Alice's site with reports for January (no chart) and February (with a chart)."""
    site = site_factory(alice[0], "https://a.test/")
    add_report(db_engine, site, "2025-01", chart=False)
    add_report(db_engine, site, "2025-02")
    return site


class TestReports:
    def list(self, api_client, site, headers):
        response = api_client.get(f"/api/sites/{site.id}/reports", headers=headers)
        assert response.status_code == 200, response.text
        return response.json()["reports"]

    def test_list_newest_first_without_svg(self, api_client, alice, reported):
        """Reports come newest first, their numbers without the SVG, linking to the chart."""
        reports = self.list(api_client, reported, bearer(alice[1]))

        assert [r["period"] for r in reports] == ["2025-02", "2025-01"]
        latest = reports[0]
        assert latest["chartUrl"] == f"/api/reports/{latest['id']}/chart.svg"
        assert "chartSvg" not in latest["data"]
        assert latest["data"]["healthScoreAvg"] == 80.0
        assert latest["createdAt"].endswith("Z")
        assert reports[1]["chartUrl"] is None  # a report without a chart links to none

    def test_one_report(self, api_client, alice, reported):
        """One report by id has the same shape as in the list."""
        listed = self.list(api_client, reported, bearer(alice[1]))[0]
        response = api_client.get(f"/api/reports/{listed['id']}", headers=bearer(alice[1]))

        assert response.status_code == 200
        assert response.json()["report"] == listed

    def test_chart(self, api_client, alice, admin_headers, reported):
        """The chart is an SVG document, for its owner and for the admin."""
        chart_url = self.list(api_client, reported, bearer(alice[1]))[0]["chartUrl"]

        for headers in (bearer(alice[1]), admin_headers):
            response = api_client.get(chart_url, headers=headers)
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("image/svg+xml")
            assert ET.fromstring(response.text).tag == "{http://www.w3.org/2000/svg}svg"

    def test_other_user_gets_404(self, api_client, alice, bob, reported):
        """Another user's site, report and chart are all 404s, like unknown ids."""
        report_id = self.list(api_client, reported, bearer(alice[1]))[0]["id"]

        for url in (f"/api/sites/{reported.id}/reports", f"/api/reports/{report_id}",
                    f"/api/reports/{report_id}/chart.svg"):  # fmt: skip
            assert_error(api_client.get(url, headers=bearer(bob[1])), 404, "not_found")

    def test_missing_chart_and_unknown_report(self, api_client, alice, reported):
        """A report without a chart, and an unknown report, are 404s that say so."""
        old = self.list(api_client, reported, bearer(alice[1]))[1]["id"]

        message = assert_error(
            api_client.get(f"/api/reports/{old}/chart.svg", headers=bearer(alice[1])),
            404,
            "not_found",
        )
        assert "no chart" in message
        unknown = api_client.get("/api/reports/999999/chart.svg", headers=bearer(alice[1]))
        assert "No report with id 999999" in assert_error(unknown, 404, "not_found")

    def test_needs_a_token(self, api_client, reported):
        """Without a token: 401."""
        assert_error(api_client.get(f"/api/sites/{reported.id}/reports"), 401, "unauthorized")
