"""The foundation, end to end: a user enqueues a crawl over HTTP and a real worker runs it."""

from __future__ import annotations

import pytest

from seology.api.timing import parse_header
from seology.testing.sites import SiteServer, generate_site
from tests.e2e.conftest import Stack, wait_for_job

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def site_server():
    with SiteServer(generate_site(pages=25, seed=7)) as server:
        yield server


def test_health_reports_prefect_and_database(stack: Stack):
    """/api/health answers 200 with both dependencies up, without a token."""
    with stack.client() as client:
        response = client.get("/api/health")
    assert response.status_code == 200
    body = response.json()
    assert body["prefect"] == "ok"
    assert body["database"] == "ok"


def test_pool_queues_and_deployments_exist(stack: Stack):
    """`seology up` made the pool with four prioritised queues and the four deployments."""
    import httpx

    api = stack.prefect_api_url
    pool = httpx.get(f"{api}/work_pools/seology", timeout=10).json()
    assert pool["type"] == "process"
    assert pool["concurrency_limit"] == 5
    queues = httpx.post(f"{api}/work_pools/seology/queues/filter", json={}, timeout=10).json()
    assert {q["name"]: q["priority"] for q in queues} == {
        "critical": 1,
        "high": 2,
        "default": 3,
        "low": 4,
    }
    deployments = httpx.post(f"{api}/deployments/filter", json={}, timeout=10).json()
    # Other tests of the session add deployments to pools of their own.
    by_name = {d["name"]: d for d in deployments if d["work_pool_name"] == "seology"}
    assert set(by_name) == {"crawl", "analysis", "daily", "monthly", "recover"}
    crons = {name: [s["schedule"]["cron"] for s in d["schedules"]] for name, d in by_name.items()}
    assert crons == {
        "crawl": [],
        "analysis": [],
        "daily": ["0 0 * * *"],
        "monthly": ["0 0 1 * *"],
        "recover": [],
    }
    for name in ("daily", "monthly"):
        assert by_name[name]["schedules"][0]["schedule"]["timezone"] == "UTC"


def test_crawl_enqueued_over_http_completes_with_pages_stored(stack: Stack, site_server):
    """Create a user and a site, enqueue a crawl, poll to COMPLETED; pages are in the database."""
    token = stack.new_user("alice")
    with stack.client(token) as client:
        site = client.post("/api/sites", json={"url": site_server.base_url, "name": "Gen"})
        assert site.status_code == 201, site.text
        site_id = site.json()["id"]

        enqueued = client.post("/api/jobs/crawl", json={"siteId": site_id, "maxPages": 20})
        assert enqueued.status_code == 202, enqueued.text
        body = enqueued.json()
        assert body["success"] is True
        assert body["statusUrl"] == f"/api/jobs/{body['jobId']}/status"
        # Where the enqueue spent its time, for clients and bench/load.
        parts = parse_header(enqueued.headers["server-timing"])
        assert list(parts) == ["auth", "site", "prefect", "app"]
        assert sum(parts.values()) - parts["app"] <= parts["app"]

        job = wait_for_job(client, body["jobId"])
        status = client.get(body["statusUrl"])
        assert list(parse_header(status.headers["server-timing"])) == [
            "auth", "run", "outputs", "app",
        ]  # fmt: skip

    assert job["status"] == "COMPLETED", job
    assert job["type"] == "crawl"
    assert job["siteId"] == site_id
    assert job["attempts"] == 1
    assert job["progress"] == 100.0
    assert job["createdAt"].endswith("Z")
    assert job["result"]["pagesCrawled"] == 20
    assert job["result"]["statusCodes"] == {"200": 20}

    ((crawl_id,),) = stack.query("SELECT id FROM crawls WHERE flow_run_id = :id", id=body["jobId"])
    pages = stack.query(
        "SELECT url, status_code, title FROM pages WHERE crawl_id = :id", id=crawl_id
    )
    (links,) = stack.query("SELECT COUNT(*) FROM links WHERE crawl_id = :id", id=crawl_id)
    assert len(pages) == 20
    assert len({url for url, _, _ in pages}) == 20
    assert all(status == 200 and title for _, status, title in pages)
    assert links[0] > 20


def test_unknown_site_is_refused_before_queueing(stack: Stack):
    """Enqueueing a crawl of a site that does not exist answers 404 in the error shape."""
    token = stack.new_user("bob")
    with stack.client(token) as client:
        response = client.post("/api/jobs/crawl", json={"siteId": 999999})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_status_of_unknown_and_malformed_job_ids(stack: Stack):
    """An unknown UUID is 404; something that is not a UUID is 422."""
    token = stack.new_user("carol")
    with stack.client(token) as client:
        unknown = client.get("/api/jobs/00000000-0000-0000-0000-000000000000/status")
        malformed = client.get("/api/jobs/not-a-uuid/status")
    assert unknown.status_code == 404
    assert malformed.status_code == 422
    assert malformed.json()["error"]["code"] == "invalid_job_id"
