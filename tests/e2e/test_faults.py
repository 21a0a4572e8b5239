"""Faults while jobs run: every job still ends in a correct final state, nothing twice.

One stack for the module (its own: these tests kill parts of it), on PostgreSQL with two
workers when `SEOLOGY_TEST_POSTGRES_URL` is set (as in CI), else on SQLite, with its own
fake Messages API. The faults:

- the crawled site goes down mid-crawl;
- the Prefect server is killed mid-run (and restarted by `seology up`);
- PostgreSQL drops every connection of the app and Prefect databases mid-run;
- the Messages API answers 529/500 for a while, or for good.

A worker SIGKILLed mid-job is tests/e2e/test_crash_recovery.py.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest
from sqlalchemy import create_engine, text

from seology.testing.anthropic_server import AnthropicServer, Reply
from seology.testing.sites import Response, SiteServer, generate_site
from seology.testing.stack import drop_stack_databases
from tests.e2e.conftest import Stack, clean_environment, running_stack, wait_for_job

pytestmark = pytest.mark.e2e

POSTGRES_URL = os.environ.get("SEOLOGY_TEST_POSTGRES_URL")
#: Long enough for a crash to be detected (90 s) and the job to run again.
RECOVERY_TIMEOUT = 300.0


@dataclass(frozen=True)
class FaultStack:
    stack: Stack
    anthropic: AnthropicServer
    token: str
    #: The PostgreSQL database prefix, or None on SQLite.
    prefix: str | None

    def app_database_url(self) -> str:
        if self.prefix is None:
            return f"sqlite:///{self.stack.home / 'seology.db'}"
        assert POSTGRES_URL is not None
        return f"{POSTGRES_URL.rsplit('/', 1)[0]}/{self.prefix}_app".replace(
            "postgresql://", "postgresql+psycopg://", 1
        )


@pytest.fixture(scope="module")
def faults(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FaultStack]:
    home = tmp_path_factory.mktemp("seology-faults")
    prefix = f"seo_faults_{uuid.uuid4().hex[:8]}" if POSTGRES_URL else None
    # Without a PostgreSQL server of the tests', the SQLite stack (the embedded server's
    # own faults are tests/e2e/test_embedded_stack.py).
    options: tuple[str, ...] = ("--workers", "2") if prefix else ("--workers", "2", "--sqlite")
    if prefix is not None:
        assert POSTGRES_URL is not None
        options += ("--postgres", POSTGRES_URL, "--postgres-prefix", prefix)
    with AnthropicServer() as anthropic:
        env = clean_environment()
        env.update({
            "SEOLOGY_HOME": str(home), "JOB_MAX_ATTEMPTS": "2",
            "ANTHROPIC_API_KEY": "test-key", "ANTHROPIC_BASE_URL": anthropic.base_url,
            "SEOLOGY_ANALYSIS_ENGINE": "claude",
        })  # fmt: skip
        try:
            with running_stack(home, env, *options) as stack:
                yield FaultStack(stack, anthropic, stack.new_user("fault-owner"), prefix)
        finally:
            if prefix is not None:
                assert POSTGRES_URL is not None
                drop_stack_databases(POSTGRES_URL, prefix)


# --- helpers ---------------------------------------------------------------------------


def slow_site(pages: int, delay: float, seed: int) -> dict[str, Response]:
    return {
        path: dataclasses.replace(route, delay=delay)
        for path, route in generate_site(pages, seed=seed).items()
    }


def new_site(client: httpx.Client, url: str) -> int:
    response = client.post("/api/sites", json={"url": url})
    assert response.status_code in (200, 201), response.text
    return response.json()["id"]


def enqueue_crawl(client: httpx.Client, site_id: int, max_pages: int) -> str:
    response = client.post("/api/jobs/crawl", json={"siteId": site_id, "maxPages": max_pages})
    assert response.status_code == 202, response.text
    return response.json()["jobId"]


def wait_until_crawling(client: httpx.Client, job_id: str, timeout: float = 90.0) -> None:
    """Until the crawl has stored some pages (its progress is above 0)."""
    deadline = time.monotonic() + timeout
    while client.get(f"/api/jobs/{job_id}/status").json()["job"]["progress"] in (None, 0.0):
        assert time.monotonic() < deadline, f"job {job_id} never made progress"
        time.sleep(0.3)


def stored_pages(faults: FaultStack, job_id: str) -> tuple[int, int, int, int]:
    """(crawl rows, pages, distinct page URLs, pages with an error) of one job."""
    engine = create_engine(faults.app_database_url())
    try:
        with engine.connect() as connection:
            crawls = connection.execute(
                text("SELECT COUNT(*) FROM crawls WHERE flow_run_id = :id"), {"id": job_id}
            ).scalar_one()
            pages, distinct, errors = connection.execute(
                text(
                    "SELECT COUNT(*), COUNT(DISTINCT url), COUNT(pages.error) FROM pages "
                    "JOIN crawls ON crawls.id = pages.crawl_id WHERE crawls.flow_run_id = :id"
                ),
                {"id": job_id},
            ).one()
    finally:
        engine.dispose()
    return crawls, pages, distinct, errors


def assert_stored_once(faults: FaultStack, job: dict) -> None:
    """One crawl row for the job, each page once, as many as the job reports."""
    crawls, pages, distinct, _ = stored_pages(faults, job["id"])
    assert crawls == 1
    assert pages == distinct == job["result"]["pagesCrawled"], (pages, distinct, job)


def child_group(stack: Stack, marker: bytes) -> int:
    """The pid of the child of `seology up` whose command line contains `marker`."""
    parent = str(stack.process.pid).encode()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            stat = (proc / "stat").read_bytes().rsplit(b")", 1)[-1].split()
            cmdline = (proc / "cmdline").read_bytes()
        except OSError:
            continue
        if len(stat) > 1 and stat[1] == parent and marker in cmdline:
            return int(proc.name)
    raise AssertionError(f"no child of seology up runs {marker!r}")


# --- the site goes down ----------------------------------------------------------------


def test_site_going_down_mid_crawl_completes_with_error_records(faults: FaultStack):
    """The site stops answering after a few pages: the crawl still COMPLETES, the pages
    it could not fetch are stored with an error, and no page is stored twice."""
    pages = 30
    site = SiteServer(slow_site(pages, delay=0.4, seed=41)).start()
    try:
        with faults.stack.client(faults.token) as client:
            job_id = enqueue_crawl(client, new_site(client, site.base_url + "/"), pages)
            deadline = time.monotonic() + 90
            while len(site.requests) < 8:
                assert time.monotonic() < deadline, "the crawl never started fetching"
                time.sleep(0.05)
            site.stop()  # connections are refused from now on
            job = wait_for_job(client, job_id, timeout=RECOVERY_TIMEOUT)
    finally:
        site.stop()

    assert job["status"] == "COMPLETED", job
    assert job["attempts"] == 1
    crawls, stored, distinct, errors = stored_pages(faults, job_id)
    assert crawls == 1
    assert stored == distinct == job["result"]["pagesCrawled"]
    assert 0 < errors < stored  # fetched pages, then error records for the rest


def test_site_down_from_the_start_fails_with_a_clear_error(faults: FaultStack):
    """Nothing can be fetched: FAILED after its attempts, saying so, no traceback."""
    site = SiteServer(generate_site(5, seed=42)).start()
    url = site.base_url + "/"
    site.stop()
    with faults.stack.client(faults.token) as client:
        job = wait_for_job(client, enqueue_crawl(client, new_site(client, url), 5), timeout=150)
    assert job["status"] == "FAILED", job
    assert "could not be fetched" in job["error"]
    assert "Traceback" not in job["error"]


# --- the Prefect server dies -----------------------------------------------------------


def poll_until(
    client: httpx.Client, job_id: str, done: Callable[[list[httpx.Response]], bool], what: str
) -> list[httpx.Response]:
    """Job API answers (a status and the stats, every 0.1 s) until `done(answers)`."""
    answers: list[httpx.Response] = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        answers.append(client.get(f"/api/jobs/{job_id}/status"))
        answers.append(client.get("/api/jobs/stats"))
        if done(answers):
            return answers
        time.sleep(0.1)
    raise AssertionError(f"{what} within 120 s: {answers[-1].text}")


def test_prefect_server_killed_mid_run_job_api_answers_503_and_job_completes(
    faults: FaultStack,
):
    """SIGKILL the Prefect server (its whole process group) mid-crawl: while it is down
    the job API answers 503 in the error shape, never 500; `seology up` restarts it,
    and the crawl ends COMPLETED (at once, or after the lost run is recovered)."""
    stack = faults.stack
    with (
        SiteServer(slow_site(30, delay=0.3, seed=43)) as site,
        stack.client(faults.token) as client,
    ):
        job_id = enqueue_crawl(client, new_site(client, site.base_url + "/"), 30)
        wait_until_crawling(client, job_id)

        # `seology up` restarts the server only once it is let go: on a fast machine a
        # restart within the job API's 5 s read bound would hide the outage.
        os.kill(stack.process.pid, signal.SIGSTOP)
        try:
            os.killpg(child_group(stack, b"server\0start"), signal.SIGKILL)
            answers = poll_until(
                client, job_id, lambda a: any(x.status_code == 503 for x in a), "no 503"
            )
        finally:
            os.kill(stack.process.pid, signal.SIGCONT)
        answers += poll_until(
            client, job_id, lambda a: a[-2].status_code == 200, "Prefect was not back"
        )
        stack.wait_healthy(120, request_timeout=5)
        job = wait_for_job(client, job_id, timeout=RECOVERY_TIMEOUT)

    statuses = {answer.status_code for answer in answers}
    assert statuses <= {200, 503}, statuses
    down = next(answer for answer in answers if answer.status_code == 503)
    assert down.json()["error"]["code"] == "prefect_unavailable", down.text
    assert job["status"] == "COMPLETED", job
    assert_stored_once(faults, job)


# --- PostgreSQL drops its connections --------------------------------------------------


def terminate_backends(databases: list[str]) -> int:
    """What a PostgreSQL restart or failover does to clients: every connection cut."""
    assert POSTGRES_URL is not None
    with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
        rows = connection.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = ANY(%s) AND pid <> pg_backend_pid()",
            (databases,),
        ).fetchall()
    return len(rows)


@pytest.mark.postgres
def test_postgres_connections_cut_mid_run_every_job_completes_once(faults: FaultStack):
    """Cut every connection to both databases twice while four crawls run: each job
    ends COMPLETED, with one crawl row and each page once; the job API never 500s."""
    if faults.prefix is None:
        pytest.skip("SEOLOGY_TEST_POSTGRES_URL is not set: the fault stack is on SQLite")
    databases = [f"{faults.prefix}_app", f"{faults.prefix}_prefect"]
    sites = [SiteServer(slow_site(20, delay=0.2, seed=50 + n)).start() for n in range(4)]
    answers: list[int] = []
    try:
        with faults.stack.client(faults.token) as client:
            jobs = [enqueue_crawl(client, new_site(client, s.base_url + "/"), 20) for s in sites]
            wait_until_crawling(client, jobs[0])
            for _ in range(2):
                assert terminate_backends(databases) > 0
                for job_id in jobs:
                    answers.append(client.get(f"/api/jobs/{job_id}/status").status_code)
                time.sleep(2.0)
            ended = [wait_for_job(client, job_id, timeout=RECOVERY_TIMEOUT) for job_id in jobs]
    finally:
        for site in sites:
            site.stop()

    assert 500 not in answers, answers
    for job in ended:
        assert job["status"] == "COMPLETED", job
        assert_stored_once(faults, job)


# --- the Messages API fails ------------------------------------------------------------


@pytest.fixture(scope="module")
def crawled_site(faults: FaultStack) -> Iterator[int]:
    """A site with a completed crawl, ready to be analysed."""
    with SiteServer(generate_site(8, seed=44)) as site, faults.stack.client(faults.token) as c:
        site_id = new_site(c, site.base_url + "/")
        job = wait_for_job(c, enqueue_crawl(c, site_id, 8))
        assert job["status"] == "COMPLETED", job
        yield site_id


def analyse(faults: FaultStack, site_id: int) -> dict:
    with faults.stack.client(faults.token) as client:
        response = client.post("/api/jobs/analysis", json={"siteId": site_id})
        assert response.status_code == 202, response.text
        return wait_for_job(client, response.json()["jobId"], timeout=RECOVERY_TIMEOUT)


def test_messages_api_failing_for_a_while_analysis_retries_and_completes(
    faults: FaultStack, crawled_site: int
):
    """Five 529s and a 500 in a row: the SDK's and the task's retries ride them out, and
    the analysis COMPLETES on its first attempt."""
    anthropic = faults.anthropic
    anthropic.reset()
    anthropic.enqueue(*[Reply.overloaded()] * 5, Reply.server_error())

    job = analyse(faults, crawled_site)

    assert job["status"] == "COMPLETED", job
    assert job["attempts"] == 1
    assert anthropic.pending() == 0
    assert len(anthropic.message_requests()) >= 7  # six failures, then the answer


def test_messages_api_down_for_good_analysis_fails_clearly(faults: FaultStack, crawled_site: int):
    """529 on every call: FAILED after its attempts (two here), saying the API is
    overloaded, without a traceback, and without hanging."""
    anthropic = faults.anthropic
    anthropic.reset()
    anthropic.enqueue(*[Reply.overloaded()] * 200)
    try:
        job = analyse(faults, crawled_site)
    finally:
        anthropic.reset()

    assert job["status"] == "FAILED", job
    assert job["attempts"] == 2
    assert "overloaded" in job["error"].lower() or "529" in job["error"], job["error"]
    assert "Traceback" not in job["error"]
