"""`seology up --postgres`: Prefect and the app database on PostgreSQL, two workers, a crawl."""

from __future__ import annotations

import os
import uuid

import psycopg
import pytest

from seology.testing.sites import SiteServer, generate_site
from seology.testing.stack import drop_stack_databases
from tests.e2e.conftest import clean_environment, running_stack, wait_for_job

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

SERVER_URL = os.environ.get("SEOLOGY_TEST_POSTGRES_URL")


@pytest.fixture(scope="module")
def pg_stack(tmp_path_factory):
    if not SERVER_URL:
        pytest.skip("SEOLOGY_TEST_POSTGRES_URL is not set")
    prefix = f"seo_e2e_{uuid.uuid4().hex[:8]}"
    home = tmp_path_factory.mktemp("seology-pg-home")
    env = {**clean_environment(), "SEOLOGY_HOME": str(home)}
    options = ("--postgres", SERVER_URL, "--postgres-prefix", prefix, "--workers", "2")
    try:
        with running_stack(home, env, *options) as stack:
            yield stack, prefix
    finally:
        drop_stack_databases(SERVER_URL, prefix)


def test_crawl_runs_on_postgres_with_two_workers(pg_stack):
    """Both databases are on PostgreSQL; a crawl completes and its pages land there."""
    stack, prefix = pg_stack
    token = stack.new_user("pg-alice")  # the CLI finds the app database via the home .env
    with SiteServer(generate_site(pages=12, seed=11)) as site, stack.client(token) as client:
        site_id = client.post("/api/sites", json={"url": site.base_url}).json()["id"]
        job_id = client.post("/api/jobs/crawl", json={"siteId": site_id}).json()["jobId"]
        job = wait_for_job(client, job_id)
    assert job["status"] == "COMPLETED", job
    assert job["result"]["pagesCrawled"] == 10

    app_url = SERVER_URL.rsplit("/", 1)[0] + f"/{prefix}_app"
    with psycopg.connect(app_url) as connection:
        (pages,) = connection.execute(
            "SELECT COUNT(*) FROM pages JOIN crawls ON crawls.id = pages.crawl_id "
            "WHERE crawls.flow_run_id = %s",
            (job_id,),
        ).fetchone()
    assert pages == 10
    prefect_url = SERVER_URL.rsplit("/", 1)[0] + f"/{prefix}_prefect"
    with psycopg.connect(prefect_url) as connection:
        (runs,) = connection.execute(
            "SELECT COUNT(*) FROM flow_run WHERE id = %s", (job_id,)
        ).fetchone()
    assert runs == 1
    assert (stack.home / "logs" / "worker-2.log").exists()
