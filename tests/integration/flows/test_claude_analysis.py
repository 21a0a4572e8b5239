"""analyze-site with the Claude engine: a real Prefect API, a real app database, and the
real `anthropic` SDK talking over HTTP to the local Messages-API server."""

from __future__ import annotations

import json
import secrets

import pytest
from sqlalchemy import func, select

from flows.analysis import analyze_site
from seology.analysis.claude import CONCURRENCY_LIMIT_NAME
from seology.analysis.model import SiteAnalysis
from seology.core.settings import get_settings
from seology.jobs.pool import ensure_concurrency_limit
from seology.store.engine import session_scope
from seology.store.models import Analysis
from seology.testing.anthropic_server import AnthropicServer, Reply
from tests.integration.flows.conftest import FEBRUARY, artifact_markdown, html_page, run, run_count

MODEL = "claude-haiku-4-5"

PLAN = {
    "engine": "claude",
    "summary": "Two pages lack a title; fix those first.",
    "topProblems": [
        {
            "checkId": "title.missing",
            "title": "Pages without a title",
            "severity": "error",
            "impact": 8,
            "affectedPages": 2,
            "sampleUrls": ["https://oak.test/"],
            "howToFix": "Write a unique title for each page.",
        }
    ],
    "quickWins": ["Add a title to https://oak.test/"],
    "pageSuggestions": [
        {
            "url": "https://oak.test/",
            "field": "title",
            "current": None,
            "suggested": "Oak tables for small kitchens | Oak",
            "reason": "The page has no title.",
        }
    ],
}
INVALID_PLAN = {**PLAN, "topProblems": [{**PLAN["topProblems"][0], "impact": 42}]}


async def _ensure_limit(limit: int) -> None:
    from prefect.client.orchestration import get_client

    async with get_client() as client:
        await ensure_concurrency_limit(client, name=CONCURRENCY_LIMIT_NAME, limit=limit)


@pytest.fixture(scope="module")
def anthropic_server():
    """One fake Messages API for the module, and the `anthropic` limit in the harness."""
    run(_ensure_limit(2))
    with AnthropicServer() as server:
        yield server


@pytest.fixture
def claude(app_db, anthropic_server, monkeypatch):
    """The flows' settings point the SDK at the fake server with a dummy key."""
    anthropic_server.reset()
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", anthropic_server.base_url)
    monkeypatch.setenv("ANTHROPIC_MODEL", MODEL)
    monkeypatch.setenv("SEOLOGY_ANALYSIS_ENGINE", "claude")
    get_settings.cache_clear()
    yield anthropic_server
    get_settings.cache_clear()


@pytest.fixture
def crawled(seed):
    """(user, site, crawl) of a site whose latest crawl has title and description problems."""
    user = seed.user(f"u-{secrets.token_hex(3)}")
    site = seed.site(user, "https://oak.test")
    pages = [
        html_page("https://oak.test/", title=None),
        html_page("https://oak.test/a", title=None, meta_description=None),
        html_page("https://oak.test/b", title="x" * 90),
        html_page("https://oak.test/c"),
    ]
    crawl = seed.crawl(site, FEBRUARY, pages=pages)
    return user, site, crawl


def _analysis_row(engine, flow_run_id) -> Analysis | None:
    with session_scope(engine) as session:
        return session.scalar(select(Analysis).where(Analysis.flow_run_id == str(flow_run_id)))


def _count_analyses(engine) -> int:
    with session_scope(engine) as session:
        return session.scalar(select(func.count()).select_from(Analysis))


class TestValidAnswer:
    def test_plan_is_stored_with_tokens_and_cost(self, app_db, claude, crawled):
        """A valid answer: COMPLETED, engine claude, the model, tokens and cost stored."""
        user, site, crawl = crawled
        claude.enqueue(Reply.json(PLAN))

        state = analyze_site(site, user, return_state=True)

        assert state.is_completed(), state.message
        result = state.result()
        assert (result["engine"], result["crawlId"], result["topProblems"]) == ("claude", crawl, 1)
        row = _analysis_row(app_db, state.state_details.flow_run_id)
        plan = SiteAnalysis.model_validate(row.result)
        assert plan.engine == "claude"
        assert plan.page_suggestions[0].suggested == "Oak tables for small kitchens | Oak"
        assert row.model == MODEL
        assert row.input_tokens > 0 and row.output_tokens > 0
        assert row.cache_write_tokens > 0 or row.cache_read_tokens > 0
        assert row.cost_usd > 0
        assert result["usage"]["costUsd"] == row.cost_usd
        markdown = run(artifact_markdown(f"analysis-site-{site}", state.state_details.flow_run_id))
        assert "(claude engine)" in markdown
        assert f"Model `{MODEL}`" in markdown
        assert f"${row.cost_usd:.4f}" in markdown

    def test_request_caches_the_stable_part_and_sends_a_bounded_digest(self, claude, crawled):
        """One request: the model from settings, the key, cache_control on the stable
        system block, the structured-output schema, and the crawl digest."""
        user, site, _ = crawled
        claude.enqueue(Reply.json(PLAN))

        analyze_site(site, user)

        (request,) = claude.message_requests()
        body = request.body
        assert body["model"] == MODEL
        assert request.headers["authorization"] == "Bearer test-key"
        *_, stable = body["system"]
        assert stable["cache_control"] == {"type": "ephemeral"}
        assert "title.missing (error)" in stable["text"]
        assert body["output_config"]["format"]["type"] == "json_schema"
        assert "topProblems" in body["output_config"]["format"]["schema"]["properties"]
        (message,) = body["messages"]
        text = message["content"][0]["text"]
        digest = json.loads(text.split("<crawl_digest>")[1].split("</crawl_digest>")[0])
        assert digest["pages"]["crawled"] == 4
        assert digest["findingsSource"] == "rules"
        candidates = {c["url"]: c["checks"] for c in digest["rewriteCandidates"]}
        assert candidates["https://oak.test/a"] == ["title.missing", "meta_desc.missing"]
        assert candidates["https://oak.test/b"] == ["title.too_long"]

    def test_second_analysis_reads_the_cache(self, app_db, claude, crawled):
        """The stable prefix is written once and read on the next analysis."""
        user, site, _ = crawled
        claude.enqueue(Reply.json(PLAN), Reply.json(PLAN))

        first = analyze_site(site, user, return_state=True)
        second = analyze_site(site, user, return_state=True)

        row1 = _analysis_row(app_db, first.state_details.flow_run_id)
        row2 = _analysis_row(app_db, second.state_details.flow_run_id)
        assert (row1.cache_write_tokens > 0, row1.cache_read_tokens) == (True, 0)
        assert (row2.cache_write_tokens, row2.cache_read_tokens) == (0, row1.cache_write_tokens)
        assert row2.cost_usd < row1.cost_usd

    def test_audit_issues_are_the_findings_when_present(self, claude, seed):
        """A crawl with audit issues is summarised by them, counted per check."""
        user = seed.user("audited")
        site = seed.site(user, "https://audited.test")
        issues = [("links.to_broken_internal", "error")] * 3 + [("http.slow_response", "warning")]
        seed.crawl(site, FEBRUARY, pages=[html_page("https://audited.test/")], issues=issues)
        claude.enqueue(Reply.json(PLAN))

        analyze_site(site, user)

        text = claude.message_requests()[0].body["messages"][0]["content"][0]["text"]
        digest = json.loads(text.split("<crawl_digest>")[1].split("</crawl_digest>")[0])
        assert digest["findingsSource"] == "audit"
        assert [(f["check"], f["pages"]) for f in digest["findings"]] == [
            ("links.to_broken_internal", 3),
            ("http.slow_response", 1),
        ]


class TestInvalidAnswer:
    def test_invalid_then_valid_is_asked_again_with_the_error(self, app_db, claude, crawled):
        """An answer that does not validate is sent back with the validation error once."""
        user, site, _ = crawled
        claude.enqueue(Reply.json(INVALID_PLAN), Reply.json(PLAN))

        state = analyze_site(site, user, return_state=True)

        assert state.is_completed(), state.message
        first, second = claude.message_requests()
        assert len(second.body["messages"]) == 3
        assistant, correction = second.body["messages"][1:]
        assert assistant["role"] == "assistant"
        assert json.loads(assistant["content"][0]["text"]) == INVALID_PLAN
        assert "topProblems.0.impact" in correction["content"][0]["text"]
        assert second.body["system"] == first.body["system"]
        row = _analysis_row(app_db, state.state_details.flow_run_id)
        assert state.result()["usage"]["calls"] == 2
        assert row.output_tokens > 0

    def test_invalid_twice_fails_at_once_with_a_clear_error(self, app_db, claude, crawled):
        """Two invalid answers: FAILED without task or flow retries; nothing stored."""
        user, site, _ = crawled
        claude.enqueue(Reply.message("not json"), Reply.json(INVALID_PLAN))

        state = analyze_site(site, user, return_state=True)

        assert state.is_failed()
        assert "did not validate as a SiteAnalysis twice" in state.message
        assert "topProblems.0.impact" in state.message
        assert run_count(state.state_details.flow_run_id) == 1
        assert len(claude.message_requests()) == 2
        assert _count_analyses(app_db) == 0


class TestTransientErrors:
    def test_overloaded_then_success(self, claude, crawled):
        """A 529 is retried by the SDK and the analysis completes."""
        user, site, _ = crawled
        claude.enqueue(Reply.overloaded(), Reply.json(PLAN))

        state = analyze_site(site, user, return_state=True)

        assert state.is_completed(), state.message
        assert len(claude.message_requests()) == 2

    def test_rate_limit_waits_for_retry_after(self, claude, crawled):
        """A 429 with `retry-after: 1` is retried no sooner than a second later."""
        user, site, _ = crawled
        claude.enqueue(Reply.rate_limited(1), Reply.json(PLAN))

        state = analyze_site(site, user, return_state=True)

        assert state.is_completed(), state.message
        limited, answered = claude.message_requests()
        assert answered.received_at - limited.received_at >= 1.0

    def test_task_retries_when_the_sdk_gives_up(self, claude, crawled, monkeypatch):
        """With no SDK retries left, the task's own retry (after retry-after) gets the answer."""
        monkeypatch.setenv("SEOLOGY_ANTHROPIC_MAX_RETRIES", "0")
        get_settings.cache_clear()
        user, site, _ = crawled
        claude.enqueue(Reply.rate_limited(1), Reply.server_error(), Reply.json(PLAN))

        state = analyze_site(site, user, return_state=True)

        assert state.is_completed(), state.message
        limited, failed, _ = claude.message_requests()
        assert failed.received_at - limited.received_at >= 1.0
        assert run_count(state.state_details.flow_run_id) == 1


class TestConfiguration:
    def test_missing_key_fails_at_once_saying_how_to_set_it(
        self, app_db, claude, crawled, monkeypatch
    ):
        """engine=claude without a key: FAILED on the first attempt, no request sent."""
        monkeypatch.delenv("ANTHROPIC_API_KEY")
        monkeypatch.setenv("SEOLOGY_ANTHROPIC_SECRET_BLOCK", f"absent-{secrets.token_hex(4)}")
        get_settings.cache_clear()
        user, site, _ = crawled

        state = analyze_site(site, user, return_state=True)

        assert state.is_failed()
        assert "ANTHROPIC_API_KEY" in state.message
        assert "Secret block" in state.message
        assert run_count(state.state_details.flow_run_id) == 1
        assert claude.requests == []
        assert _count_analyses(app_db) == 0

    def test_auto_without_key_uses_the_rules(self, claude, crawled, monkeypatch):
        """engine=auto and no key anywhere: the offline rules engine, no request."""
        monkeypatch.delenv("ANTHROPIC_API_KEY")
        monkeypatch.setenv("SEOLOGY_ANALYSIS_ENGINE", "auto")
        monkeypatch.setenv("SEOLOGY_ANTHROPIC_SECRET_BLOCK", f"absent-{secrets.token_hex(4)}")
        get_settings.cache_clear()
        user, site, _ = crawled

        assert analyze_site(site, user)["engine"] == "rules"
        assert claude.requests == []

    def test_auto_with_key_uses_claude(self, claude, crawled, monkeypatch):
        monkeypatch.setenv("SEOLOGY_ANALYSIS_ENGINE", "auto")
        get_settings.cache_clear()
        user, site, _ = crawled
        claude.enqueue(Reply.json(PLAN))

        assert analyze_site(site, user)["engine"] == "claude"

    def test_key_from_a_secret_block(self, claude, crawled, monkeypatch):
        """Without ANTHROPIC_API_KEY, the key of the Prefect Secret block is used."""
        from prefect.blocks.system import Secret

        name = f"anthropic-key-{secrets.token_hex(4)}"
        Secret(value="block-key").save(name)
        monkeypatch.delenv("ANTHROPIC_API_KEY")
        monkeypatch.setenv("SEOLOGY_ANTHROPIC_SECRET_BLOCK", name)
        get_settings.cache_clear()
        user, site, _ = crawled
        claude.enqueue(Reply.json(PLAN))

        assert analyze_site(site, user)["engine"] == "claude"
        assert claude.message_requests()[0].headers["authorization"] == "Bearer block-key"

    def test_refused_request_fails_without_retrying(self, app_db, claude, crawled):
        """A 401 (a bad key) fails at once, after one request, with what to check."""
        user, site, _ = crawled
        claude.enqueue(Reply.error(401, "authentication_error", "invalid x-api-key"))

        state = analyze_site(site, user, return_state=True)

        assert state.is_failed()
        assert "refused the request (401)" in state.message
        assert "ANTHROPIC_API_KEY" in state.message
        assert len(claude.message_requests()) == 1
        assert run_count(state.state_details.flow_run_id) == 1

    def test_missing_concurrency_limit_fails_with_how_to_create_it(self, claude, crawled):
        """The `anthropic` limit is strict: without it the job fails and says what to run."""
        from prefect.client.orchestration import get_client

        async def delete_limit() -> None:
            async with get_client() as client:
                await client.delete_global_concurrency_limit_by_name(CONCURRENCY_LIMIT_NAME)

        user, site, _ = crawled
        run(delete_limit())
        try:
            state = analyze_site(site, user, return_state=True)
        finally:
            run(_ensure_limit(2))

        assert state.is_failed()
        assert "seology deploy" in state.message
        assert claude.requests == []
