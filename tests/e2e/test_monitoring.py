"""Change detection between two real crawls of a site that changed in between."""

from __future__ import annotations

import pytest

from seology.testing.sites import SiteServer, html
from tests.e2e.conftest import Stack, wait_for_job

pytestmark = pytest.mark.e2e


def page(title: str, *links: str, status: int = 200) -> object:
    anchors = "".join(f'<p><a href="{link}">{link}</a></p>' for link in links)
    return html(
        f"<html lang='en'><head><title>{title}</title></head><body><h1>{title}</h1>"
        f"{anchors}</body></html>",
        status=status,
    )


BEFORE = {
    "/": page("Home", "/a", "/b", "/c"),
    "/a": page("Page A", "/"),
    "/b": page("Page B", "/"),
    "/c": page("Page C", "/"),
}
AFTER = {
    "/": page("Home", "/a", "/b", "/d"),  # /c no longer linked, /d new
    "/a": page("Page A", "/"),
    "/b": page("Gone", status=404),  # /b now broken
    "/d": page("Page D", "/"),
}


def test_second_crawl_reports_what_changed(stack: Stack):
    """A page dropped, one broken, one added: the second crawl's result counts each
    change, and GET /api/sites/{id}/changes lists them."""
    token = stack.new_user("monitor-owner")
    with SiteServer(BEFORE) as site, stack.client(token) as client:
        site_id = client.post("/api/sites", json={"url": site.base_url}).json()["id"]

        def crawl() -> dict:
            job_id = client.post("/api/jobs/crawl", json={"siteId": site_id, "maxPages": 50})
            return wait_for_job(client, job_id.json()["jobId"])

        first = crawl()
        assert first["status"] == "COMPLETED", first
        assert first["result"]["changes"] == {"previousCrawlId": None}

        site.routes = dict(AFTER)
        second = crawl()
        changes_response = client.get(f"/api/sites/{site_id}/changes")

    assert second["status"] == "COMPLETED", second
    counts = second["result"]["changes"]
    assert counts["previousCrawlId"] == first["result"]["crawlId"]
    assert (counts["pagesAppeared"], counts["pagesDisappeared"], counts["statusChanged"]) == (
        1,
        1,
        1,
    )
    assert changes_response.status_code == 200, changes_response.text
    listed = changes_response.json()["changes"]
    assert listed["pagesAppeared"] == [f"{site.base_url}/d"]
    assert listed["pagesDisappeared"] == [f"{site.base_url}/c"]
    assert listed["statusChanged"] == [{"url": f"{site.base_url}/b", "from": 200, "to": 404}]
