"""`GET /api/sites/{id}/analysis` over real HTTP."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from seology.analysis.model import PageSuggestion, Problem, SiteAnalysis
from seology.store.engine import session_scope
from seology.store.models import Analysis
from tests.integration.api_answers import bearer

ANALYSIS_FIELDS = {
    "id", "jobId", "siteId", "crawlId", "engine", "model", "createdAt", "usage", "plan",
}  # fmt: skip


def plan(summary: str, engine: str = "claude") -> SiteAnalysis:
    return SiteAnalysis(
        engine=engine,
        summary=summary,
        top_problems=[
            Problem(check_id="title.missing", title="Pages without a title", severity="error",
                    impact=8, affected_pages=3, sample_urls=["https://a.test/"],
                    how_to_fix="Write titles.")
        ],
        quick_wins=["Add a title to https://a.test/"],
        page_suggestions=[
            PageSuggestion(url="https://a.test/", field="title", current=None,
                           suggested="Oak tables | A", reason="No title.")
        ],
    )  # fmt: skip


@pytest.fixture
def add_analysis(db_engine):
    """`add(site, plan, created_at=..., **columns) -> flow_run_id`: an analysis row."""

    def add(site, analysis: SiteAnalysis, created_at: datetime, **columns) -> str:
        run_id = str(uuid.uuid4())
        with session_scope(db_engine) as session:
            session.add(
                Analysis(
                    flow_run_id=run_id, site_id=site.id, user_id=site.user_id,
                    engine=analysis.engine, result=analysis.to_json(), created_at=created_at,
                    **columns,
                )
            )  # fmt: skip
        return run_id

    return add


@pytest.fixture
def alice_site(user_factory, site_factory):
    user, token = user_factory("alice")
    return site_factory(user, "https://a.test/"), token


class TestLatestAnalysis:
    def test_owner_reads_the_newest_plan_with_its_cost(self, api_client, alice_site, add_analysis):
        """The newest analysis of the site: camelCase fields, the plan, tokens and cost."""
        site, token = alice_site
        now = datetime.now(UTC)
        add_analysis(site, plan("old", engine="rules"), now - timedelta(days=1))
        newest = add_analysis(
            site, plan("new"), now, model="claude-sonnet-4-5", input_tokens=1200,
            output_tokens=300, cache_read_tokens=1234, cache_write_tokens=0, cost_usd=0.0085,
        )  # fmt: skip

        response = api_client.get(f"/api/sites/{site.id}/analysis", headers=bearer(token))

        assert response.status_code == 200, response.text
        body = response.json()["analysis"]
        assert set(body) == ANALYSIS_FIELDS
        assert (body["jobId"], body["siteId"], body["crawlId"]) == (newest, site.id, None)
        assert (body["engine"], body["model"]) == ("claude", "claude-sonnet-4-5")
        assert body["createdAt"].endswith("Z")
        assert body["usage"] == {
            "inputTokens": 1200,
            "outputTokens": 300,
            "cacheReadTokens": 1234,
            "cacheWriteTokens": 0,
            "costUsd": 0.0085,
        }
        assert SiteAnalysis.model_validate(body["plan"]) == plan("new")
        assert body["plan"]["topProblems"][0]["checkId"] == "title.missing"

    def test_admin_reads_any_site(self, api_client, alice_site, add_analysis, admin_headers):
        site, _ = alice_site
        add_analysis(site, plan("for the admin"), datetime.now(UTC))

        response = api_client.get(f"/api/sites/{site.id}/analysis", headers=admin_headers)

        assert response.status_code == 200
        assert response.json()["analysis"]["plan"]["summary"] == "for the admin"

    def test_rules_analysis_has_no_model_and_no_cost(self, api_client, alice_site, add_analysis):
        site, token = alice_site
        add_analysis(site, plan("offline", engine="rules"), datetime.now(UTC))

        body = api_client.get(f"/api/sites/{site.id}/analysis", headers=bearer(token)).json()

        assert (body["analysis"]["engine"], body["analysis"]["model"]) == ("rules", None)
        assert body["analysis"]["usage"]["costUsd"] == 0.0


class TestNotFound:
    def test_site_never_analysed(self, api_client, alice_site):
        """404 with a message saying how to get an analysis."""
        site, token = alice_site

        response = api_client.get(f"/api/sites/{site.id}/analysis", headers=bearer(token))

        assert response.status_code == 404
        error = response.json()["error"]
        assert error["code"] == "not_found"
        assert error["message"] == (
            f"Site {site.id} has no analysis yet; enqueue one with POST /api/jobs/analysis."
        )

    def test_another_users_site_is_unknown(
        self, api_client, alice_site, add_analysis, user_factory
    ):
        """Bob cannot read Alice's analysis: the same 404 as an unknown site."""
        site, _ = alice_site
        add_analysis(site, plan("private"), datetime.now(UTC))
        _, bob_token = user_factory("bob")

        theirs = api_client.get(f"/api/sites/{site.id}/analysis", headers=bearer(bob_token))
        unknown = api_client.get("/api/sites/999999/analysis", headers=bearer(bob_token))

        assert theirs.status_code == unknown.status_code == 404
        assert theirs.json()["error"]["code"] == unknown.json()["error"]["code"] == "not_found"
        assert "private" not in theirs.text

    @pytest.mark.parametrize(
        ("site_id", "status"),
        [
            ("abc", 422),  # not an integer
            ("0", 422),  # ids start at 1
            (str(2**31), 422),  # beyond a 32-bit id
        ],
    )
    def test_malformed_site_id(self, api_client, alice_site, site_id, status):
        _, token = alice_site
        response = api_client.get(f"/api/sites/{site_id}/analysis", headers=bearer(token))
        assert response.status_code == status

    def test_no_token(self, api_client, alice_site):
        site, _ = alice_site
        response = api_client.get(f"/api/sites/{site.id}/analysis")
        assert response.status_code == 401
