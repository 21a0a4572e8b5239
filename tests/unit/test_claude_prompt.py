"""The Claude engine's plain parts: the engine switch, the bounded prompt, the cost table,
and the fake Messages API that the other tests talk to."""

from __future__ import annotations

import json

import httpx
import pytest
from pydantic import ValidationError

from seology.analysis.claude import (
    MAX_FINDINGS,
    MAX_REWRITE_PAGES,
    CheckFinding,
    analyse,
    build_prompt,
    correction_messages,
    cost_usd,
    decide_engine,
    describe_invalid,
    digest_crawl,
    estimate_tokens,
    price_for,
    retry_after_seconds,
)
from seology.analysis.model import AnalysisUsage, SiteAnalysis
from seology.analysis.rules import PageFacts
from seology.core.settings import Settings
from seology.testing.anthropic_server import (
    MIN_CACHEABLE_TOKENS,
    AnthropicServer,
    Reply,
    count_input_tokens,
    example_from_schema,
)

PROMPT_TOKEN_BUDGET = 30_000


def big_crawl(pages: int, *, worst: bool = False) -> list[PageFacts]:
    """`pages` pages; `worst`: every page fails every title/description check, long values."""
    long = "very long words " * 40
    facts = []
    for i in range(pages):
        url = f"https://shop.test/{'category/' * (8 if worst else 1)}product-{i}"
        if worst:
            title, meta = (None, None) if i % 2 else (long, long)
        else:
            title = None if i % 7 == 0 else f"Product {i % 500} of the shop"
            meta = None if i % 5 == 0 else f"Buy product {i} online, delivered tomorrow."
        status = 404 if i % 97 == 0 else 200
        page = PageFacts(
            url=url, status_code=status, title=title, meta_description=meta,
            h1=long if worst else f"Product {i}", h1_count=1,
            word_count=120 if i % 3 == 0 else 600,
            subheadings=(long, long, long) if worst else ("Sizes", "Care"),
        )  # fmt: skip
        facts.append(page)
    return facts


def request_body(prompt, schema: bool = True) -> dict:
    """The body the SDK would send for `prompt`, with the structured-output schema."""
    import anthropic
    from pydantic import TypeAdapter

    body = {"system": prompt.system, "messages": prompt.messages}
    if schema:
        raw = TypeAdapter(SiteAnalysis).json_schema()
        body["output_config"] = {
            "format": {"type": "json_schema", "schema": anthropic.transform_schema(raw)}
        }
    return body


class TestEngineSwitch:
    @pytest.mark.parametrize(
        ("setting", "has_key", "engine"),
        [
            ("auto", True, "claude"),  # a key: Claude
            ("auto", False, "rules"),  # no key: the offline rules
            ("claude", True, "claude"),
            ("claude", False, None),  # no key: the job cannot run
            ("rules", True, "rules"),  # rules even with a key
            ("rules", False, "rules"),
        ],
    )
    def test_decide(self, setting, has_key, engine):
        assert decide_engine(setting, has_key=has_key).engine == engine

    def test_no_key_reason_says_how_to_set_one(self):
        reason = decide_engine("claude", has_key=False).reason
        assert "ANTHROPIC_API_KEY" in reason
        assert '"anthropic-api-key"' in reason
        assert "SEOLOGY_ANALYSIS_ENGINE=rules" in reason


class TestPromptBudget:
    @pytest.mark.parametrize("worst", [False, True], ids=["typical", "worst-case"])
    def test_ten_thousand_pages_fit_the_budget(self, worst):
        """A 10,000-page crawl gives a prompt under 30,000 tokens, schema included."""
        pages = big_crawl(10_000, worst=worst)
        prompt = build_prompt(digest_crawl(pages, site_name="Shop", site_url="https://shop.test/"))

        tokens = count_input_tokens(request_body(prompt))

        assert tokens < PROMPT_TOKEN_BUDGET, tokens

    def test_caps_hold_for_audit_findings_too(self):
        """Many audit checks, each on many pages: capped findings and samples."""
        audit = [
            CheckFinding(check_id=f"check.{i}", severity="warning", count=10_000 - i,
                         sample_urls=tuple(f"https://shop.test/{'x' * 300}/{j}" for j in range(9)))
            for i in range(80)
        ]  # fmt: skip
        digest = digest_crawl(
            big_crawl(100), site_name="S", site_url="https://s.test/", audit=audit
        )

        data = digest.to_json()

        assert len(data["findings"]) == MAX_FINDINGS
        assert data["findingsOmitted"] == 80 - MAX_FINDINGS
        assert all(len(f["sample"]) <= 5 for f in data["findings"])
        assert all(len(url) <= 160 for f in data["findings"] for url in f["sample"])
        assert data["findingsSource"] == "audit"

    def test_rewrite_candidates_capped_missing_titles_first(self):
        digest = digest_crawl(big_crawl(1000), site_name="S", site_url="https://s.test/")

        data = digest.to_json()

        assert len(data["rewriteCandidates"]) == MAX_REWRITE_PAGES
        assert data["rewriteCandidatesOmitted"] > 0
        assert data["rewriteCandidates"][0]["checks"][0] == "title.missing"


class TestPromptShape:
    def test_stable_part_is_cached_and_independent_of_the_crawl(self):
        """The system blocks are the same for any crawl; the last carries cache_control."""
        small = build_prompt(digest_crawl(big_crawl(3), site_name="A", site_url="https://a.test/"))
        large = build_prompt(digest_crawl(big_crawl(500), site_name="B", site_url="https://b.t/"))

        assert small.system == large.system
        *plain, stable = small.system
        assert stable["cache_control"] == {"type": "ephemeral"}
        assert all("cache_control" not in block for block in plain)
        assert small.messages != large.messages

    def test_stable_part_is_long_enough_to_be_cached(self):
        """Below 1024 tokens the API does not cache a prefix (Sonnet's minimum)."""
        prompt = build_prompt(digest_crawl([], site_name="A", site_url="https://a.test/"))
        stable = "".join(block["text"] for block in prompt.system)
        assert estimate_tokens(stable) >= MIN_CACHEABLE_TOKENS

    def test_correction_repeats_the_answer_and_the_error(self):
        prompt = build_prompt(digest_crawl([], site_name="A", site_url="https://a.test/"))

        messages = correction_messages(prompt, '{"bad": 1}', "- summary: Field required")

        assert [m["role"] for m in messages] == ["user", "assistant", "user"]
        assert messages[1]["content"][0]["text"] == '{"bad": 1}'
        assert "- summary: Field required" in messages[2]["content"][0]["text"]

    def test_validation_error_described_per_field(self):
        with pytest.raises(ValidationError) as caught:
            SiteAnalysis.model_validate({"engine": "claude", "topProblems": [{"impact": 99}]})

        text = describe_invalid(caught.value)

        assert "- summary: Field required" in text
        assert "- topProblems.0.impact: Input should be less than or equal to 10" in text


class TestCost:
    @pytest.mark.parametrize(
        ("model", "family"),
        [
            ("claude-sonnet-4-5", "claude-sonnet-4"),
            ("claude-sonnet-4-5-20250929", "claude-sonnet-4"),
            ("claude-opus-4-5", "claude-opus-4-5"),  # not the older Opus 4 price
            ("claude-opus-4-1", "claude-opus-4"),
            ("claude-haiku-4-5", "claude-haiku-4-5"),
            ("claude-3-5-haiku-latest", "claude-3-5-haiku"),
            ("some-future-model", "claude-sonnet-4"),  # unknown: the default family
        ],
    )
    def test_family(self, model, family):
        assert price_for(model)[0] == family

    def test_each_kind_of_token_at_its_price(self):
        """Sonnet: $3 in, $15 out, cache writes 1.25x and reads 0.1x the input price."""
        usage = AnalysisUsage(
            model="claude-sonnet-4-5", input_tokens=1_000_000, output_tokens=100_000,
            cache_write_tokens=1_000_000, cache_read_tokens=1_000_000,
        )  # fmt: skip
        assert cost_usd(usage) == pytest.approx(3.0 + 1.5 + 3.75 + 0.3)

    @pytest.mark.parametrize(
        ("headers", "seconds"),
        [
            ({"retry-after": "3"}, 3.0),
            ({"retry-after-ms": "1500"}, 1.5),  # milliseconds win when present
            ({"retry-after": "soon"}, None),  # not a number
            ({}, None),
        ],
    )
    def test_retry_after(self, headers, seconds):
        assert retry_after_seconds(httpx.Headers(headers)) == seconds


class TestFakeServer:
    def test_example_from_schema_is_a_valid_plan(self):
        """Without a script, the server answers an instance of the requested schema."""
        import anthropic
        from pydantic import TypeAdapter

        schema = anthropic.transform_schema(TypeAdapter(SiteAnalysis).json_schema())
        assert SiteAnalysis.model_validate(example_from_schema(schema)).summary == "example"

    def test_count_tokens_through_the_sdk(self):
        """`messages.count_tokens` answers the character estimate of the prompt."""
        import anthropic

        prompt = build_prompt(digest_crawl(big_crawl(50), site_name="A", site_url="https://a.t/"))
        with AnthropicServer() as server:
            client = anthropic.Anthropic(api_key="test-key", base_url=server.base_url)
            counted = client.messages.count_tokens(
                model="claude-sonnet-4-5", system=prompt.system, messages=prompt.messages
            )
        assert counted.input_tokens == estimate_tokens(prompt.text())

    def test_unscripted_analysis_without_prefect(self):
        """`analyse` end to end against the server, outside any flow (no concurrency limit)."""
        with AnthropicServer() as server:
            settings = Settings(anthropic_base_url=server.base_url, anthropic_model="claude-x")
            digest = digest_crawl(big_crawl(20), site_name="A", site_url="https://a.test/")
            result = analyse(digest, settings=settings, api_key="k", concurrency_limit=None)
            server.enqueue(Reply.json(json.loads(result.analysis.model_dump_json(by_alias=True))))
            again = analyse(digest, settings=settings, api_key="k", concurrency_limit=None)
        assert (result.analysis.engine, result.attempts, result.usage.calls) == ("claude", 1, 1)
        assert result.usage.cache_write_tokens > 0
        assert again.usage.cache_read_tokens == result.usage.cache_write_tokens

    def test_truncated_answer_is_asked_again_with_a_hint(self):
        """An answer cut at max_tokens is invalid JSON; the correction says why."""
        with AnthropicServer() as server:
            settings = Settings(anthropic_base_url=server.base_url)
            digest = digest_crawl(big_crawl(5), site_name="A", site_url="https://a.test/")
            server.enqueue(Reply.message('{"engine": "cla', stop_reason="max_tokens"))
            result = analyse(digest, settings=settings, api_key="k", concurrency_limit=None)
            correction = server.message_requests()[-1].body["messages"][-1]["content"][0]["text"]
        assert result.attempts == 2
        assert "Invalid JSON" in correction
        assert "cut off at max_tokens" in correction
