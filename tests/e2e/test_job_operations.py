"""Every operation of the original queue, over HTTP, against a real Prefect server and worker.

Failing jobs, cancel (pending and running), manual retry, list, stats and cleanup; the
ownership matrix; and priority ordering with the worker held back.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from seology.testing.servers import free_port
from seology.testing.sites import SiteServer, generate_site
from tests.e2e.conftest import Stack, wait_for_job

pytestmark = pytest.mark.e2e


def patch_pool(stack: Stack, body: dict) -> None:
    """Change the pool, insisting: a busy SQLite server may answer 503 for a moment."""
    url = f"{stack.prefect_api_url}/work_pools/seology"
    for _ in range(20):
        try:
            if httpx.patch(url, json=body, timeout=10).status_code == 204:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"could not update the pool with {body}")


@contextmanager
def pool_paused(stack: Stack, concurrency: int | None = None) -> Iterator[None]:
    """Hold the worker back: runs stay SCHEDULED until the pool is resumed."""
    patch_pool(stack, {"is_paused": True})
    if concurrency is not None:
        patch_pool(stack, {"concurrency_limit": concurrency})
    try:
        yield
    finally:
        patch_pool(stack, {"is_paused": False})


def restore_pool(stack: Stack) -> None:
    patch_pool(stack, {"concurrency_limit": 5, "is_paused": False})


@pytest.fixture(scope="module")
def owner(stack: Stack) -> str:
    return stack.new_user("ops-owner")


@pytest.fixture(scope="module")
def intruder(stack: Stack) -> str:
    return stack.new_user("ops-intruder")


def new_site(client: httpx.Client, url: str) -> int:
    response = client.post("/api/sites", json={"url": url})
    assert response.status_code in (200, 201), response.text
    return response.json()["id"]


def enqueue_crawl(client: httpx.Client, site_id: int, **extra) -> str:
    response = client.post("/api/jobs/crawl", json={"siteId": site_id, **extra})
    assert response.status_code == 202, response.text
    return response.json()["jobId"]


def wait_for_status(client: httpx.Client, job_id: str, statuses: set[str], timeout=60.0) -> dict:
    deadline = time.monotonic() + timeout
    job: dict = {}
    while time.monotonic() < deadline:
        job = client.get(f"/api/jobs/{job_id}/status").json()["job"]
        if job["status"] in statuses:
            return job
        time.sleep(0.3)
    raise AssertionError(f"job {job_id} never reached {statuses}; last: {job}")


def test_unreachable_site_fails_after_max_attempts_then_retry_completes(stack: Stack, owner):
    """A crawl of a dead site is FAILED after JOB_MAX_ATTEMPTS (2 here) with a clear error;
    once the site is up, a manual retry runs the same job again to COMPLETED."""
    port = free_port()
    with stack.client(owner) as client:
        site_id = new_site(client, f"http://127.0.0.1:{port}/")
        job_id = enqueue_crawl(client, site_id, maxPages=5)
        failed = wait_for_job(client, job_id, timeout=120)
        assert failed["status"] == "FAILED", failed
        assert failed["attempts"] == 2
        assert "could not be fetched" in failed["error"]
        assert "Traceback" not in failed["error"]
        assert client.get(f"/api/crawls/{job_id}/report").json()["status"] == "failed"

        with SiteServer(generate_site(pages=8, seed=1), port=port):
            retried = client.post(f"/api/jobs/{job_id}/retry")
            assert retried.status_code == 200, retried.text
            assert retried.json()["job"]["status"] == "PENDING"
            done = wait_for_job(client, job_id)
        assert done["status"] == "COMPLETED", done
        assert done["attempts"] == 3
        assert done["result"]["pagesCrawled"] == 5

        again = client.post(f"/api/jobs/{job_id}/retry")
        assert again.status_code == 409
        assert again.json()["error"]["code"] == "conflict"


def test_cancel_pending_job_is_immediate(stack: Stack, owner):
    """A job nobody has started is CANCELLED at once; cancelling it again is a conflict."""
    with SiteServer(generate_site(pages=5, seed=2)) as site, stack.client(owner) as client:
        site_id = new_site(client, site.base_url)
        with pool_paused(stack):
            job_id = enqueue_crawl(client, site_id)
            cancelled = client.post(f"/api/jobs/{job_id}/cancel")
        assert cancelled.status_code == 200, cancelled.text
        assert cancelled.json()["job"]["status"] == "CANCELLED"
        assert client.post(f"/api/jobs/{job_id}/cancel").status_code == 409
        assert site.requests == []  # it never ran


def test_cancel_running_job_stops_it(stack: Stack, owner):
    """A running crawl sent a cancel is stopped by its worker and ends CANCELLED."""
    with stack.client(owner) as client:
        check_cancel_stops_a_running_crawl(client, pages=60, seed=3)


def check_cancel_stops_a_running_crawl(client: httpx.Client, *, pages: int, seed: int) -> None:
    """Crawl a slow site of `pages`, cancel once it runs: CANCELLED, nothing fetched after."""
    slow = {
        p: dataclasses.replace(r, delay=1.0) for p, r in generate_site(pages, seed=seed).items()
    }
    with SiteServer(slow) as site:
        site_id = new_site(client, site.base_url)
        job_id = enqueue_crawl(client, site_id, maxPages=pages)
        wait_for_status(client, job_id, {"PROCESSING"})
        time.sleep(1.0)
        response = client.post(f"/api/jobs/{job_id}/cancel")
        assert response.status_code == 200, response.text
        ended = wait_for_job(client, job_id, timeout=60)
        fetched_when_cancelled = len(site.requests)
        time.sleep(2.0)
        assert ended["status"] == "CANCELLED", ended
        assert len(site.requests) == fetched_when_cancelled  # nothing fetched after the stop
        assert fetched_when_cancelled < pages
        report = client.get(f"/api/crawls/{job_id}/report").json()
        assert report["status"] == "cancelled", report  # not "running" forever


def test_list_and_stats_are_per_user_and_global_for_admin(stack: Stack, owner, intruder):
    """A user lists and counts their own jobs only; the admin secret sees everyone's."""
    with stack.client(owner) as client:
        mine = client.get("/api/jobs", params={"type": "crawl", "limit": 200}).json()["jobs"]
        stats = client.get("/api/jobs/stats").json()
        failed = client.get("/api/jobs", params={"status": "CANCELLED"}).json()["jobs"]
    with stack.client(intruder) as client:
        theirs = client.get("/api/jobs").json()["jobs"]
        their_stats = client.get("/api/jobs/stats").json()
    with stack.client(stack.admin_secret) as client:
        everyone = client.get("/api/jobs", params={"limit": 200}).json()["jobs"]
        global_stats = client.get("/api/jobs/stats").json()

    assert mine and all(job["type"] == "crawl" for job in mine)
    assert {job["userId"] for job in mine} == {mine[0]["userId"]}
    assert failed and all(job["status"] == "CANCELLED" for job in failed)
    assert theirs == []
    assert their_stats["total"] == 0
    assert (
        stats["total"] == stats["byType"]["crawl"]["total"] + stats["byType"]["analysis"]["total"]
    )
    assert stats["cancelled"] >= 2
    assert stats["byType"]["crawl"]["avgDurationSeconds"] > 0
    assert {job["id"] for job in mine} <= {job["id"] for job in everyone}
    assert global_stats["total"] >= stats["total"]
    assert set(global_stats["byType"]) == {"crawl", "analysis", "daily", "monthly"}


def test_cleanup_is_admin_only_and_refuses_days_old_below_one(stack: Stack, owner):
    """Cleanup needs the admin secret, validates daysOld, and answers {deleted}."""
    with stack.client(owner) as client:
        assert client.post("/api/jobs/cleanup", json={"daysOld": 30}).status_code == 403
    with stack.client(stack.admin_secret) as client:
        assert client.post("/api/jobs/cleanup", json={"daysOld": 0}).status_code == 422
        response = client.post("/api/jobs/cleanup", json={"daysOld": 30})
    assert response.status_code == 200, response.text
    assert response.json() == {"deleted": 0}  # every job here is minutes old


def test_idempotency_key_and_one_crawl_per_site(stack: Stack, owner):
    """The same Idempotency-Key returns the same job; a second crawl of a busy site too."""
    with SiteServer(generate_site(pages=5, seed=4)) as site, stack.client(owner) as client:
        site_id = new_site(client, site.base_url)
        with pool_paused(stack):
            first = client.post("/api/jobs/crawl", json={"siteId": site_id})
            dedup = client.post("/api/jobs/crawl", json={"siteId": site_id})
            keyed = client.post(
                "/api/jobs/analysis", json={"siteId": site_id}, headers={"Idempotency-Key": "k1"}
            )
            keyed_again = client.post(
                "/api/jobs/analysis", json={"siteId": site_id}, headers={"Idempotency-Key": "k1"}
            )
            for job_id in {first.json()["jobId"], keyed.json()["jobId"]}:
                client.post(f"/api/jobs/{job_id}/cancel")
    assert first.status_code == 202
    assert dedup.status_code == 200
    assert dedup.json()["deduplicated"] is True
    assert dedup.json()["jobId"] == first.json()["jobId"]
    assert keyed.status_code == 202
    assert keyed_again.status_code == 200
    assert keyed_again.json()["jobId"] == keyed.json()["jobId"]


def _matrix_cases(job_id: str, site_id: int) -> list[tuple[str, str, dict | None]]:
    return [
        ("GET", f"/api/jobs/{job_id}/status", None),
        ("POST", f"/api/jobs/{job_id}/cancel", None),
        ("POST", f"/api/jobs/{job_id}/retry", None),
        ("GET", f"/api/sites/{site_id}", None),
        ("POST", "/api/jobs/crawl", {"siteId": site_id}),
        ("POST", "/api/jobs/analysis", {"siteId": site_id}),
    ]


def test_ownership_matrix(stack: Stack, owner, intruder):
    """Another user's job or site is 404 everywhere, no or a bad token is 401, and the
    admin reads any job; no response carries the other user's data."""
    with SiteServer(generate_site(pages=3, seed=5)) as site, stack.client(owner) as client:
        site_id = new_site(client, site.base_url)
        job_id = enqueue_crawl(client, site_id, maxPages=3)
        wait_for_job(client, job_id)
        for method, path, body in _matrix_cases(job_id, site_id):
            for token, expected in ((intruder, 404), (None, 401), ("seo_" + "x" * 43, 401)):
                with stack.client(token) as other:
                    response = other.request(method, path, json=body)
                assert response.status_code == expected, (method, path, token, response.text)
                assert job_id not in response.text or expected == 404
                assert site.base_url not in response.text
    with stack.client(stack.admin_secret) as admin:
        assert admin.get(f"/api/jobs/{job_id}/status").json()["job"]["id"] == job_id
        assert admin.post("/api/jobs/crawl", json={"siteId": site_id}).status_code == 403


def test_higher_priority_starts_first(stack: Stack, owner):
    """With the worker held back, 10 jobs at priority 2, then 3 at 9, then 3 at 5: with one
    run at a time, the 9s start first, then the 5s, then the 2s."""
    with SiteServer(generate_site(pages=2, seed=6)) as site, stack.client(owner) as client:
        site_id = new_site(client, site.base_url)
        enqueued: list[tuple[int, str]] = []
        try:
            with pool_paused(stack, concurrency=1):
                for priority in [2] * 10 + [9] * 3 + [5] * 3:
                    response = client.post(
                        "/api/jobs/analysis", json={"siteId": site_id, "priority": priority}
                    )
                    assert response.status_code == 202, response.text
                    enqueued.append((priority, response.json()["jobId"]))
            jobs = [(p, wait_for_job(client, job_id, timeout=240)) for p, job_id in enqueued]
        finally:
            restore_pool(stack)
    order = [p for p, job in sorted(jobs, key=lambda pair: pair[1]["startedAt"])]
    assert order == [9] * 3 + [5] * 3 + [2] * 10


def test_many_concurrent_status_polls_all_answer(stack: Stack, owner):
    """80 users' pollers at once (more than the API's threads and database pool): each
    gets its job. A request used to hold a pooled connection while it awaited Prefect,
    and at this concurrency the rest waited for the pool's 30 s timeout."""
    with SiteServer(generate_site(2, seed=41)) as site, stack.client(owner) as client:
        site_id = new_site(client, site.base_url)
        job_id = enqueue_crawl(client, site_id, maxPages=2)
        wait_for_job(client, job_id)

    async def poll_all() -> list[tuple[int, str]]:
        headers = {"Authorization": f"Bearer {owner}"}
        limits = httpx.Limits(max_connections=80)
        async with httpx.AsyncClient(
            base_url=stack.api_url, headers=headers, limits=limits, timeout=20
        ) as pollers:
            responses = await asyncio.gather(
                *(pollers.get(f"/api/jobs/{job_id}/status") for _ in range(80))
            )
        return [(r.status_code, r.json()["job"]["status"]) for r in responses]

    started = time.monotonic()
    answers = asyncio.run(poll_all())

    assert answers == [(200, "COMPLETED")] * 80
    assert time.monotonic() - started < 15  # not one pool timeout (30 s)
