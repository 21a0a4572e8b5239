"""Issue 6, end to end: crawl a site, enqueue an analysis over HTTP, and read Claude's plan.

The stack's worker runs the real `anthropic` SDK against this session's fake Messages
API (`anthropic_server` in conftest.py), which the tests script and inspect.
"""

from __future__ import annotations

import json

import httpx
import pytest

from seology.analysis.model import SiteAnalysis
from seology.testing.anthropic_server import AnthropicServer, Reply
from seology.testing.sites import SiteServer, generate_site
from tests.e2e.conftest import E2E_ANTHROPIC_MODEL, Stack, wait_for_job

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def site_server():
    with SiteServer(generate_site(pages=30, seed=11)) as server:
        yield server


def plan_for(base_url: str) -> dict:
    """A valid answer about the generated site, in the API's camelCase."""
    return {
        "engine": "claude",
        "summary": "The site is healthy; tighten a few titles.",
        "topProblems": [
            {
                "checkId": "title.too_short",
                "title": "Short titles",
                "severity": "notice",
                "impact": 3,
                "affectedPages": 4,
                "sampleUrls": [base_url],
                "howToFix": "Name the page's topic and add a qualifier.",
            }
        ],
        "quickWins": [f"Lengthen the title of {base_url}"],
        "pageSuggestions": [
            {
                "url": base_url,
                "field": "title",
                "current": "Home",
                "suggested": "Generated test site: every page, linked",
                "reason": "The title says too little.",
            }
        ],
    }


def crawled_site(client: httpx.Client, site_url: str) -> int:
    """A site of the caller's, crawled to COMPLETED; returns its id."""
    site = client.post("/api/sites", json={"url": site_url, "name": "Gen"})
    assert site.status_code in (200, 201), site.text
    site_id = site.json()["id"]
    crawl = client.post("/api/jobs/crawl", json={"siteId": site_id, "maxPages": 20})
    assert crawl.status_code == 202, crawl.text
    job = wait_for_job(client, crawl.json()["jobId"])
    assert job["status"] == "COMPLETED", job
    return site_id


def analyse(client: httpx.Client, site_id: int) -> dict:
    enqueued = client.post("/api/jobs/analysis", json={"siteId": site_id})
    assert enqueued.status_code == 202, enqueued.text
    return wait_for_job(client, enqueued.json()["jobId"])


def test_analysis_enqueued_over_http_returns_claudes_validated_plan(
    stack: Stack, site_server, anthropic_server: AnthropicServer
):
    """Crawl, then analyse: COMPLETED with engine claude; the plan is served by the API."""
    token = stack.new_user("dana")
    with stack.client(token) as client:
        site_id = crawled_site(client, site_server.base_url)
        seen = len(anthropic_server.message_requests())
        anthropic_server.enqueue(Reply.json(plan_for(site_server.base_url)))

        job = analyse(client, site_id)
        served = client.get(f"/api/sites/{site_id}/analysis")

    assert job["status"] == "COMPLETED", job
    assert (job["type"], job["siteId"], job["attempts"]) == ("analysis", site_id, 1)
    assert job["result"]["engine"] == "claude"
    assert served.status_code == 200, served.text
    analysis = served.json()["analysis"]
    assert (analysis["jobId"], analysis["engine"]) == (job["id"], "claude")
    assert analysis["model"] == E2E_ANTHROPIC_MODEL
    plan = SiteAnalysis.model_validate(analysis["plan"])
    assert plan.summary == "The site is healthy; tighten a few titles."
    assert analysis["usage"]["inputTokens"] > 0
    assert analysis["usage"]["costUsd"] > 0

    (request,) = anthropic_server.message_requests()[seen:]
    assert request.body["model"] == E2E_ANTHROPIC_MODEL
    assert request.body["system"][-1]["cache_control"] == {"type": "ephemeral"}
    text = request.body["messages"][0]["content"][0]["text"]
    digest = json.loads(text.split("<crawl_digest>")[1].split("</crawl_digest>")[0])
    assert digest["pages"]["crawled"] == 20


def test_invalid_answers_fail_the_job_once_with_a_clear_error(
    stack: Stack, site_server, anthropic_server: AnthropicServer
):
    """Two answers that do not validate: FAILED on the first attempt, saying why."""
    token = stack.new_user("erin")
    with stack.client(token) as client:
        site_id = crawled_site(client, site_server.base_url)
        anthropic_server.enqueue(Reply.message("not json"), Reply.message('{"summary": 1}'))

        job = analyse(client, site_id)

    assert job["status"] == "FAILED", job
    assert job["attempts"] == 1
    assert "did not validate as a SiteAnalysis twice" in job["error"]


def test_anthropic_concurrency_limit_is_set_up(stack: Stack):
    """`seology up` created the global concurrency limit the Claude calls hold."""
    response = httpx.get(f"{stack.prefect_api_url}/v2/concurrency_limits/anthropic", timeout=10)
    assert response.status_code == 200, response.text
    assert (response.json()["limit"], response.json()["active"]) == (2, True)
