"""Rendered crawls end to end: the job API, a real worker, the machine's Chromium.

A generated single-page app (`seology.testing.csr_site`: app shells whose script builds
title, meta, H1, text and links from JSON) is crawled in each render mode through
`POST /api/jobs/crawl`; the crawl's report must hold exactly the planted `js.*` and
`perf.*` findings (precision = recall = 1.0), and the job result's lab figures must
show the planted slow, heavy, busy, shifting and blocking pages. Its hostile pages (a
hung script, a dialog, a popup, a script redirect, a network that never settles) must
not stop the crawl or the worker. Cancelling a rendering crawl must leave no Chromium
behind.
"""

from __future__ import annotations

import time

import pytest

from seology.crawler.browser import find_chromium, marked_processes
from seology.testing.csr_site import (
    BIG_IMAGE_BYTES,
    MANY_IMAGES,
    RENDER_BLOCKING_SCRIPTS,
    SLOW_JSON_SECONDS,
    client_rendered_site,
)
from seology.testing.sites import SiteServer, html
from tests.e2e.conftest import Stack, wait_for_job

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not find_chromium().available, reason="rendering needs Chromium"),
]
SITE = client_rendered_site()
RENDERED_PREFIXES = ("js.", "perf.")
HOSTILE_PAGES = 5  # hung script, dialog, popup, script redirect, never settles


@pytest.fixture(scope="module")
def spa():
    with SiteServer(SITE.routes) as server:
        yield server


@pytest.fixture(scope="module")
def owner(stack: Stack, spa: SiteServer) -> tuple[str, int]:
    token = stack.new_user("spa-owner")
    with stack.client(token) as client:
        site = client.post("/api/sites", json={"url": spa.base_url, "name": "SPA"})
        assert site.status_code == 201, site.text
    return token, site.json()["id"]


def crawl(stack: Stack, owner: tuple[str, int], render: str | None) -> tuple[dict, dict]:
    """Enqueue a crawl with `render` (None: the default), wait; the job and its report."""
    token, site_id = owner
    body = {"siteId": site_id, "maxPages": 200}
    if render is not None:
        body["render"] = render
    with stack.client(token) as client:
        enqueued = client.post("/api/jobs/crawl", json=body)
        assert enqueued.status_code == 202, enqueued.text
        job = wait_for_job(client, enqueued.json()["jobId"], timeout=300)
        report = client.get(f"/api/crawls/{job['id']}/report").json()
    return job, report


def findings(report: dict) -> set[tuple[str, str]]:
    return {
        (issue["checkId"], issue["url"])
        for issue in report["issues"]
        if issue["checkId"].startswith(RENDERED_PREFIXES)
    }


def test_never_finds_the_app_shell_only(stack: Stack, owner, spa: SiteServer) -> None:
    """Raw HTML has no links: one page, nothing rendered, no `js.*` finding."""
    job, report = crawl(stack, owner, "never")
    assert job["status"] == "COMPLETED", job
    assert job["result"]["pagesCrawled"] == 1
    assert job["result"]["rendering"]["pagesRendered"] == 0
    assert job["result"]["rendering"]["lab"]["pagesMeasured"] == 0
    assert job["result"]["rendering"]["lab"]["lcpMs"]["max"] is None
    assert findings(report) == set()


@pytest.mark.parametrize("render", ["always", None])  # None: the default, `auto`
def test_rendering_finds_every_page_and_every_planted_problem(
    stack: Stack, owner, spa: SiteServer, render: str | None
) -> None:
    """Every page is found and rendered; the report's `js.*`/`perf.*` findings are
    exactly the planted ones; the result says how many pages were rendered, why, how
    long rendering took and what it measured; no Chromium process is left once the job
    is done."""
    job, report = crawl(stack, owner, render)
    assert job["status"] == "COMPLETED", job
    result = job["result"]
    assert result["pagesCrawled"] == len(SITE.pages)
    rendering = result["rendering"]
    assert rendering["mode"] == (render or "auto")
    assert rendering["pagesRendered"] == len(SITE.pages)
    failed = {i["url"]: i["detail"] for i in report["issues"] if i["checkId"] == "js.render_failed"}
    assert findings(report) == SITE.expected_urls(spa.base_url), failed
    assert rendering["failures"] == HOSTILE_PAGES
    assert rendering["seconds"] > 0
    expected_reasons = {"always"} if render == "always" else {"empty_app_root"}
    assert set(rendering["reasons"]) >= expected_reasons
    assert_lab_figures(rendering["lab"], spa)
    assert marked_processes() == []


def assert_lab_figures(lab: dict, spa: SiteServer) -> None:
    """Every page that rendered is measured (all resources loaded); the maxima are the
    planted pages' figures, and the slow page (its content waits for a JSON answer)
    is among the slowest pages."""
    measured = len(SITE.pages) - HOSTILE_PAGES
    assert lab["pagesMeasured"] == measured
    for key in ("lcpMs", "cls", "transferredBytes", "requests", "renderBlocking"):
        figure = lab[key]
        # A page may have no LCP or CLS entry (nothing painted in time); counts it has.
        assert 0 < figure["pages"] <= measured, key
        assert figure["p50"] <= figure["p75"] <= figure["max"], key
    for key in ("transferredBytes", "requests", "renderBlocking"):
        assert lab[key]["pages"] == measured, key
    assert lab["transferredBytes"]["max"] > BIG_IMAGE_BYTES  # /planted/heavy
    assert lab["requests"]["max"] > MANY_IMAGES  # /planted/many-requests
    assert lab["renderBlocking"]["max"] == RENDER_BLOCKING_SCRIPTS  # /planted/render-blocking
    assert lab["renderBlocking"]["p75"] == 0
    assert lab["cls"]["max"] > 0.1  # /planted/layout-shift
    slowest = lab["slowest"]
    assert 1 <= len(slowest) <= 5
    lcps = [page["lcpMs"] for page in slowest]
    assert lcps == sorted(lcps, reverse=True)
    assert slowest[0]["lcpMs"] == lab["lcpMs"]["max"]
    slow = {page["url"]: page for page in slowest}.get(spa.url("/planted/slow-content"))
    assert slow is not None, slowest
    assert slow["lcpMs"] >= SLOW_JSON_SECONDS * 1000
    assert slow["requests"] > 1 and slow["transferredBytes"] > 0
    assert lab["lcpMs"]["p50"] < SLOW_JSON_SECONDS * 1000


def test_render_must_be_a_known_mode(stack: Stack, owner) -> None:
    """A render mode we do not have is a 422 in the error shape, before anything is queued."""
    token, site_id = owner
    with stack.client(token) as client:
        answer = client.post("/api/jobs/crawl", json={"siteId": site_id, "render": "sometimes"})
    assert answer.status_code == 422
    assert set(answer.json()["error"]) >= {"code", "message"}


def test_cancelling_a_rendering_crawl_leaves_no_chromium(stack: Stack) -> None:
    """A crawl rendering a page that hangs is cancelled: the job ends CANCELLED and every
    Chromium process of it is gone."""
    hung = '<html><body><div id="root"></div><script>while (true) {}</script></body></html>'
    token = stack.new_user("spa-canceller")
    with SiteServer({"/": html(hung)}) as site, stack.client(token) as client:
        site_id = client.post("/api/sites", json={"url": site.base_url}).json()["id"]
        body = {"siteId": site_id, "render": "always"}
        job_id = client.post("/api/jobs/crawl", json=body).json()["jobId"]
        deadline = time.monotonic() + 120
        while not marked_processes() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert marked_processes(), "the crawl never started its browser"
        assert client.post(f"/api/jobs/{job_id}/cancel").status_code == 200
        job = wait_for_job(client, job_id, timeout=60)
    assert job["status"] == "CANCELLED"
    deadline = time.monotonic() + 30
    while marked_processes() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert marked_processes() == []
