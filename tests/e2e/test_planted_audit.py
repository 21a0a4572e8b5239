"""The planted audit sites, end to end: enqueued over the job API, crawled by a real
worker, audited, and read back from the report route with precision = recall = 1.0.

A stack of its own: the crawl's settings differ from the shared stack's (a read
timeout shorter than the planted `/no-response` page's silence, and the local
certificate authority of the https variant, trusted through `SEOLOGY_CRAWL_CA_FILE`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from seology.testing.audit_https import HTTP_MARK, https_site, to_https
from seology.testing.audit_site import bare_site, planted_site
from seology.testing.sites import SiteServer
from seology.testing.stack import clean_environment, seology_up
from seology.testing.tls import LocalAuthority
from tests.e2e.conftest import Stack, wait_for_job
from tests.integration.audit.conftest import serve_planted
from tests.integration.audit.test_planted_site import precision_recall

pytestmark = pytest.mark.e2e
START_TIMEOUT = 400.0


@dataclass(frozen=True)
class Audited:
    found: set[tuple[str, str]]
    expected: set[tuple[str, str]]
    result: dict


@pytest.fixture(scope="module")
def authority() -> LocalAuthority:
    return LocalAuthority.create()


@pytest.fixture(scope="module")
def audit_stack(
    tmp_path_factory: pytest.TempPathFactory, authority: LocalAuthority
) -> Iterator[Stack]:
    home = tmp_path_factory.mktemp("seology-audit-home")
    env = clean_environment()
    env.update({
        "SEOLOGY_HOME": str(home),
        "SEOLOGY_CRAWL_CONNECT_TIMEOUT": "5",
        "SEOLOGY_CRAWL_READ_TIMEOUT": "4",
        "SEOLOGY_CRAWL_CA_FILE": str(authority.write(home / "local-ca.pem")),
    })  # fmt: skip
    # SQLite: the lightest stack to start; a busy machine gets a longer start.
    with seology_up(
        home, env, "--sqlite", kind=Stack, start_timeout=START_TIMEOUT, stop_timeout=60
    ) as started:
        yield started


def audit_over_api(stack: Stack, start_url: str) -> tuple[set[tuple[str, str]], dict]:
    """A user adds the site, enqueues a crawl, waits for it, reads the report."""
    token = stack.new_user(f"auditor-{abs(hash(start_url))}")
    with stack.client(token) as client:
        site = client.post("/api/sites", json={"url": start_url, "name": "Planted"})
        assert site.status_code == 201, site.text
        enqueued = client.post("/api/jobs/crawl", json={"siteId": site.json()["id"],
                                                        "maxPages": 1000})  # fmt: skip
        assert enqueued.status_code == 202, enqueued.text
        job_id = enqueued.json()["jobId"]
        job = wait_for_job(client, job_id, timeout=600)
        assert job["status"] == "COMPLETED", job
        report = client.get(f"/api/crawls/{job_id}/report")
        assert report.status_code == 200, report.text
    issues = report.json()["issues"]
    return {(issue["checkId"], issue["url"]) for issue in issues}, job["result"]


def assert_exact(audited: Audited, *, timing: bool = True) -> None:
    """Precision = recall = 1.0; `timing=False` leaves `http.slow_response` out (a site
    that plants no slow page, served with TLS by a Python test server)."""
    if not timing:
        audited = Audited(
            {pair for pair in audited.found if pair[0] != "http.slow_response"},
            audited.expected,
            audited.result,
        )
    scores = precision_recall(audited.found, audited.expected)
    imperfect = {check: score for check, score in scores.items() if score != (1.0, 1.0)}
    missed, extra = audited.expected - audited.found, audited.found - audited.expected
    assert imperfect == {}, (sorted(extra), sorted(missed))


def test_the_planted_site_through_the_job_api(audit_stack: Stack) -> None:
    """Every planted issue, resources and HTML-reading cases included, and nothing else;
    the job's result counts the resource checks."""
    site = planted_site()
    with serve_planted(site) as server:
        found, result = audit_over_api(audit_stack, server.base_url)
        expected = site.expected_urls(server.base_url)
    assert_exact(Audited(found, expected, result))
    resources = result["resources"]
    assert resources["checked"] > 0 and resources["failed"] > 0
    assert resources["byKind"]["image"]["failed"] >= 2


def test_the_bare_site_through_the_job_api(audit_stack: Stack) -> None:
    site = bare_site()
    with SiteServer(site.routes) as server:
        found, _ = audit_over_api(audit_stack, server.base_url)
        expected = site.expected_urls(server.base_url)
    assert_exact(Audited(found, expected, {}))


def test_the_https_site_through_the_job_api(audit_stack: Stack, authority) -> None:
    """Mixed content, a missing HSTS header, http→https redirects: every `security.*`
    check an https site can have, trusted through the stack's CA-file setting."""
    site = https_site()
    https = SiteServer(site.routes, tls=authority.server_context())
    http = SiteServer(fallback=to_https(https.base_url))
    https.marks[HTTP_MARK] = http.base_url
    with https, http:
        found, _ = audit_over_api(audit_stack, http.base_url)
        expected = site.expected_urls(https.base_url, {HTTP_MARK: http.base_url})
    assert_exact(Audited(found, expected, {}), timing=False)
    assert {"security.mixed_content", "security.missing_hsts"} <= {c for c, _ in found}
