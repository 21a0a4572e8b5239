"""`GET /api/sites/{id}/issues` and `GET /api/crawls/{jobId}/report`, over real HTTP."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from seology.audit import run_audit
from seology.store.audit import store_audit
from seology.store.engine import session_scope
from seology.store.models import Crawl
from tests.integration.api_answers import assert_error
from tests.unit.audit.builders import answered, home, page


def make_crawl(engine, site, *, finished_at, records, status="completed") -> str:
    """A finished crawl of `site` with the audit of `records` stored; returns its job id."""
    job_id = str(uuid.uuid4())
    with session_scope(engine) as session:
        crawl = Crawl(flow_run_id=job_id, site_id=site.id, user_id=site.user_id,
                      start_url=site.url, status=status, max_pages=10,
                      started_at=finished_at - timedelta(seconds=5), finished_at=finished_at,
                      summary={"crawlId": 0, "pagesCrawled": len(records)})  # fmt: skip
        session.add(crawl)
        session.flush()
        crawl_id = crawl.id
    store_audit(engine, crawl_id, run_audit(records))
    return job_id


@pytest.fixture
def audited(db_engine, user_factory, site_factory):
    """A user's site with an older and a newer crawl, and another user with a token."""
    owner, owner_token = user_factory()
    _, other_token = user_factory()
    site = site_factory(owner)
    now = datetime.now(UTC)
    old = make_crawl(db_engine, site, finished_at=now - timedelta(days=1),
                     records=[home(), page("/x", titles=[])])  # fmt: skip
    newest = [home(), page("/a", titles=[]), page("/b", word_count=10), answered("/gone", 404)]
    new = make_crawl(db_engine, site, finished_at=now, records=newest)
    return {
        "site": site,
        "old": old,
        "new": new,
        "owner": {"Authorization": f"Bearer {owner_token}"},
        "other": {"Authorization": f"Bearer {other_token}"},
    }


def test_the_owner_gets_the_latest_crawls_issues(api_client, audited) -> None:
    """Issues come from the newest completed crawl, with its job id and health score."""
    answer = api_client.get(f"/api/sites/{audited['site'].id}/issues", headers=audited["owner"])
    assert answer.status_code == 200
    body = answer.json()
    assert body["jobId"] == audited["new"]
    assert body["healthScore"] == 50.0
    assert body["total"] == len(body["issues"])
    assert {"checkId", "severity", "url", "detail"} <= set(body["issues"][0])
    assert all(not issue["url"].endswith("/x") for issue in body["issues"])


@pytest.mark.parametrize(
    ("query", "check_ids"),
    [
        ("severity=error", {"title.missing", "http.4xx"}),  # errors only
        ("check=content.low_word_count", {"content.low_word_count"}),  # one check
        ("severity=notice&check=title.missing", set()),  # both filters apply
    ],
)
def test_issues_filter_by_severity_and_check(api_client, audited, query, check_ids) -> None:
    """`severity` and `check` narrow the list."""
    answer = api_client.get(
        f"/api/sites/{audited['site'].id}/issues?{query}", headers=audited["owner"]
    )
    assert answer.status_code == 200
    assert {issue["checkId"] for issue in answer.json()["issues"]} == check_ids


@pytest.mark.parametrize(
    ("query", "status", "code"),
    [
        ("severity=fatal", 422, "validation_error"),  # not a severity
        ("check=title.nope", 400, "invalid_input"),  # not a check id of the registry
    ],
)
def test_bad_filters_are_refused(api_client, audited, query, status, code) -> None:
    """An unknown severity or check id is an error in the API's shape, not an empty list."""
    answer = api_client.get(
        f"/api/sites/{audited['site'].id}/issues?{query}", headers=audited["owner"]
    )
    assert assert_error(answer, status, code)


def test_another_users_site_is_not_found_but_the_admin_sees_it(
    api_client, audited, admin_headers
) -> None:
    """404 for others (as for an unknown id); the admin secret sees every site."""
    path = f"/api/sites/{audited['site'].id}/issues"
    assert api_client.get(path, headers=audited["other"]).status_code == 404
    assert api_client.get("/api/sites/999999/issues", headers=audited["owner"]).status_code == 404
    assert api_client.get(path, headers=admin_headers).json()["jobId"] == audited["new"]
    assert api_client.get(path).status_code == 401


def test_a_site_without_a_completed_crawl_has_no_issues_yet(
    api_client, user_factory, site_factory
) -> None:
    """404 with a message that says why, until a crawl of the site completes."""
    user, token = user_factory()
    site = site_factory(user)
    answer = api_client.get(
        f"/api/sites/{site.id}/issues", headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 404
    assert "no completed crawl" in answer.json()["error"]["message"]


def test_the_report_is_json_with_counts_per_check(api_client, audited) -> None:
    """Score, summary, checks ranked by count with explanation and fix, every issue."""
    answer = api_client.get(f"/api/crawls/{audited['old']}/report", headers=audited["owner"])
    assert answer.status_code == 200
    body = answer.json()
    assert body["jobId"] == audited["old"]
    assert body["summary"]["issuesBySeverity"]["error"] >= 1
    checks = {check["checkId"]: check for check in body["checks"]}
    assert checks["title.missing"]["count"] == 1
    assert checks["title.missing"]["fix"]
    assert sum(check["count"] for check in body["checks"]) == len(body["issues"])


def test_the_report_as_csv(api_client, audited) -> None:
    """`?format=csv`: one row per issue, detail as JSON."""
    answer = api_client.get(
        f"/api/crawls/{audited['new']}/report?format=csv", headers=audited["owner"]
    )
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert {"check_id", "severity", "url", "detail"} == set(rows[0])
    assert ("title.missing", "https://ex.com/a") in {(r["check_id"], r["url"]) for r in rows}


@pytest.mark.parametrize(
    ("job_id", "status", "code"),
    [
        ("not-a-uuid", 422, "invalid_job_id"),  # malformed, as the job routes answer
        (str(uuid.uuid4()), 404, "not_found"),  # unknown job
    ],
)
def test_report_of_an_unknown_or_malformed_job(api_client, audited, job_id, status, code) -> None:
    """Job ids are flow run UUIDs: 422 when malformed, 404 when unknown."""
    answer = api_client.get(f"/api/crawls/{job_id}/report", headers=audited["owner"])
    assert job_id in assert_error(answer, status, code)


def test_report_of_another_users_crawl_is_not_found(api_client, audited, admin_headers) -> None:
    """Only the owner and the admin read a crawl's report."""
    path = f"/api/crawls/{audited['new']}/report"
    assert api_client.get(path, headers=audited["other"]).status_code == 404
    assert api_client.get(path, headers=admin_headers).status_code == 200


def test_the_openapi_document_declares_what_the_routes_answer(api_client) -> None:
    """The issues route declares its 400 in the error shape; the report's job id is a
    UUID, declared as the job routes declare theirs."""
    document = api_client.get("/openapi.json").json()
    issues = document["paths"]["/api/sites/{site_id}/issues"]["get"]["responses"]
    assert issues["400"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorBody"
    }
    report = document["paths"]["/api/crawls/{job_id}/report"]["get"]
    status = document["paths"]["/api/jobs/{job_id}/status"]["get"]
    assert _path_parameter(report, "job_id") == _path_parameter(status, "job_id")
    assert _path_parameter(report, "job_id")["schema"]["format"] == "uuid"
    assert {"404", "422"} <= set(report["responses"])


def _path_parameter(operation: dict, name: str) -> dict:
    return next(p for p in operation["parameters"] if p["in"] == "path" and p["name"] == name)
