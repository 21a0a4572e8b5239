"""The job commands of the CLI, end to end: `seology crawl|analyze|jobs|job|stats|cancel|
retry|cleanup` against the session's real stack, in subprocesses, as a user runs them.

Each command gets `--api-url` and `--token` explicitly, as from another machine. The
assertions look at exit codes, stdout (`--json` is parsed) and stderr: failures are one
`Error: ...` line and never a traceback.
"""

from __future__ import annotations

import json
import re
import subprocess
from typing import Any

import pytest

from seology.testing.servers import free_port
from seology.testing.sites import SiteServer, generate_site
from tests.e2e.conftest import Stack, wait_for_job

pytestmark = pytest.mark.e2e

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@pytest.fixture(scope="module")
def site_server():
    with SiteServer(generate_site(pages=12, seed=11)) as server:
        yield server


@pytest.fixture(scope="module")
def user_token(stack: Stack) -> str:
    return stack.new_user("cli-user")


@pytest.fixture(scope="module")
def cli(stack: Stack, user_token: str):
    """`cli(*args, token=…) -> CompletedProcess` of `seology`, as the user by default."""

    def run(*args: str, token: str = user_token) -> subprocess.CompletedProcess[str]:
        return stack.seology(*args, "--api-url", stack.api_url, "--token", token)

    return run


@pytest.fixture(scope="module")
def crawled(cli, site_server) -> subprocess.CompletedProcess[str]:
    """One crawl of the site, queued by URL and followed with `--wait`."""
    return cli("crawl", site_server.base_url + "/", "--max-pages", "5", "--wait")


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert "Traceback" not in result.stderr
    return result


def parsed(result: subprocess.CompletedProcess[str]) -> Any:
    return json.loads(ok(result).stdout)


def failed_with(result: subprocess.CompletedProcess[str], text: str) -> None:
    """Exit 1, one `Error: ...` line on stderr containing `text`, no traceback."""
    assert result.returncode == 1, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert "Traceback" not in result.stderr
    error_lines = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert len(error_lines) == 1, result.stderr
    assert text in error_lines[0], result.stderr


def crawl_job_id(crawled: subprocess.CompletedProcess[str]) -> str:
    match = UUID.search(ok(crawled).stdout)
    assert match, crawled.stdout
    return match.group(0)


class TestCrawl:
    def test_by_url_with_wait_prints_the_result(self, crawled, site_server):
        """The URL becomes a site, the job runs to COMPLETED, its result is printed."""
        out = ok(crawled).stdout
        assert re.search(rf"Site \d+: {re.escape(site_server.base_url)}/", out), out
        assert "COMPLETED" in out
        assert '"pagesCrawled": 5' in out
        assert site_server.count("/") >= 1

    def test_analyze_with_wait_json(self, cli, crawled):
        """An analysis of the crawled site, followed to its end: the final job as JSON."""
        job = parsed(cli("job", crawl_job_id(crawled), "--json"))["job"]
        final = parsed(cli("analyze", str(job["siteId"]), "--wait", "--json"))["job"]
        assert final["type"] == "analysis"
        assert final["status"] == "COMPLETED", final
        assert final["siteId"] == job["siteId"]

    def test_unknown_site_id(self, cli):
        """A site id that is not the user's: exit 1 with the API's not-found message."""
        failed_with(cli("crawl", "999999"), "Error: ")


class TestReading:
    def test_jobs_json_lists_the_crawl(self, cli, crawled):
        """`jobs --json` is the API's `{jobs}`; the crawl is there, COMPLETED."""
        job_id = crawl_job_id(crawled)
        jobs = parsed(cli("jobs", "--json", "--type", "crawl", "--status", "completed"))["jobs"]
        assert job_id in [job["id"] for job in jobs]
        assert all(job["status"] == "COMPLETED" and job["type"] == "crawl" for job in jobs)

    def test_jobs_table_shows_whole_ids(self, cli, crawled):
        """The human table keeps each id on one line, so it can be copied."""
        assert crawl_job_id(crawled) in ok(cli("jobs")).stdout

    def test_job_json(self, cli, crawled):
        """`job ID --json` is the API's `{job}` with the crawl's result."""
        job_id = crawl_job_id(crawled)
        job = parsed(cli("job", job_id, "--json"))["job"]
        assert job["id"] == job_id
        assert job["status"] == "COMPLETED"
        assert job["progress"] == 100.0
        assert job["result"]["pagesCrawled"] == 5

    def test_job_pretty(self, cli, crawled):
        """`job ID` shows the fields and the result."""
        out = ok(cli("job", crawl_job_id(crawled))).stdout
        for text in ("COMPLETED", "Attempts", "Result:", "pagesCrawled"):
            assert text in out, out

    def test_stats_json(self, cli, crawled):
        """`stats --json` counts the user's jobs, with a row per type."""
        crawl_job_id(crawled)
        counts = parsed(cli("stats", "--json"))
        assert counts["completed"] >= 1
        assert counts["byType"]["crawl"]["completed"] >= 1
        assert counts["total"] == sum(
            counts[k] for k in ("pending", "processing", "completed", "failed", "cancelled")
        )
        assert "crawl" in ok(cli("stats")).stdout


class TestActions:
    def test_cancel_of_a_finished_job_is_a_conflict(self, cli, crawled):
        """Cancelling a COMPLETED job: exit 1 and the API's conflict message."""
        failed_with(cli("cancel", crawl_job_id(crawled)), "only a pending or running job")

    def test_retry_of_a_completed_job_is_a_conflict(self, cli, crawled):
        """Retrying a COMPLETED job: exit 1 and the API's conflict message."""
        failed_with(cli("retry", crawl_job_id(crawled)), "only a failed or cancelled job")

    def test_cleanup_with_the_admin_secret(self, cli, stack):
        """`cleanup --days-old 30` with the admin secret reports how many were deleted."""
        assert parsed(cli("cleanup", "--days-old", "30", "--json", token=stack.admin_secret)) == {
            "deleted": 0
        }

    def test_cleanup_defaults_to_cron_secret(self, stack):
        """Without --token, cleanup uses CRON_SECRET from the data directory's .env."""
        result = ok(stack.seology("cleanup", "--days-old", "30", "--api-url", stack.api_url))
        assert "Deleted 0 finished job(s)" in result.stdout

    def test_cleanup_with_a_user_token_is_refused(self, cli):
        """A user token may not clean up: 403 becomes exit 1 with the API's message."""
        failed_with(cli("cleanup", "--days-old", "30"), "needs the admin secret")


class TestFailures:
    def test_wrong_token(self, cli):
        """An unknown token: exit 1, `Error: ...` on stderr, no traceback."""
        failed_with(cli("jobs", token="seo_not_a_real_token"), "Error: ")

    def test_no_token(self, stack):
        """No --token and no SEOLOGY_TOKEN: said before any request is sent."""
        failed_with(stack.seology("stats", "--api-url", stack.api_url), "No API token")

    def test_api_not_running(self, stack, user_token):
        """Nothing at --api-url: exit 1 saying it is unreachable."""
        dead = f"http://127.0.0.1:{free_port()}"
        result = stack.seology("stats", "--api-url", dead, "--token", user_token)
        failed_with(result, f"The job API at {dead} is unreachable")

    def test_malformed_job_id(self, cli):
        """A job id that is not a UUID: exit 1 with the API's validation message."""
        failed_with(cli("job", "not-a-uuid"), "Error: ")


class TestQueueOnly:
    """Last in the module: it leaves a crawl running, which the tests above must not see."""

    def test_by_id_without_wait_json(self, cli, crawled, stack, user_token):
        """A site id queues at once; `--json` prints the API's 202 body only."""
        site_id = parsed(cli("job", crawl_job_id(crawled), "--json"))["job"]["siteId"]
        answer = parsed(cli("crawl", str(site_id), "--max-pages", "3", "--json"))
        assert answer["success"] is True
        assert answer["deduplicated"] is False
        assert answer["statusUrl"] == f"/api/jobs/{answer['jobId']}/status"
        with stack.client(user_token) as client:
            assert wait_for_job(client, answer["jobId"])["status"] == "COMPLETED"
