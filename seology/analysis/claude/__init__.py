"""Claude as the analysis engine: the engine switch, the prompt, the call, and its cost.

Plain functions, called by the `build-claude-analysis` task (tasks/analysis.py). The
`anthropic` SDK is imported inside the functions that call it: flow modules import this
one, and a worker pays the SDK's import only when it runs a Claude analysis.

- The engine (`decide_engine`, engine.py): SEOLOGY_ANALYSIS_ENGINE=auto|claude|rules.
  `auto` uses Claude when an API key is configured and the rules otherwise; `claude`
  without a key is a configuration error that fails the job at once (`MissingApiKey`).
- The key (`resolve_api_key`, client.py): ANTHROPIC_API_KEY (environment or `.env`)
  wins; without it, the Prefect `Secret` block named by SEOLOGY_ANTHROPIC_SECRET_BLOCK
  ("anthropic-api-key"). The operator's environment is the most specific place, as for
  every other setting (docs/design.md §9).
- The prompt (`build_prompt`, prompt.py): a stable part (instructions and the check
  registry) in the system blocks, marked `cache_control: ephemeral`, and a bounded digest
  of the crawl (`digest_crawl`, digest.py) in the user message. docs/internals/analysis.md
  has the budget.
- The call (`analyse`, call.py): `messages.parse` with `SiteAnalysis` as the output
  format, inside the Prefect global concurrency limit `anthropic`; an answer that does
  not validate is asked again once with the validation error, then `InvalidAnswer`.
- The cost (`cost_usd`, cost.py): the tokens of every billed answer, priced by `PRICES`.

Every public name of the modules is importable from `seology.analysis.claude` itself.
"""

from __future__ import annotations

from seology.analysis.claude.call import (
    CONCURRENCY_LIMIT_NAME,
    MAX_RETRY_AFTER_SECONDS,
    RETRYABLE_STATUSES,
    SLOT_TIMEOUT_SECONDS,
    AnswerLog,
    ClaudeResult,
    analyse,
    ask,
    is_retryable,
    retry_after_seconds,
    wait_retry_after,
)
from seology.analysis.claude.client import resolve_api_key
from seology.analysis.claude.cost import (
    DEFAULT_PRICE,
    PRICES,
    Price,
    add_usage,
    cost_usd,
    price_for,
)
from seology.analysis.claude.digest import (
    MAX_FINDINGS,
    MAX_HEADINGS,
    MAX_REWRITE_PAGES,
    MAX_TEXT_CHARS,
    MAX_URL_CHARS,
    REWRITE_CHECKS,
    SAMPLE_URLS,
    SEVERITY_RANK,
    CheckFinding,
    CrawlDigest,
    RewriteCandidate,
    digest_crawl,
    rank_findings,
    rewrite_candidates,
    rewrite_checks_by_url,
    rule_findings,
)
from seology.analysis.claude.engine import EngineChoice, choose_engine, decide_engine
from seology.analysis.claude.errors import (
    ClaudeError,
    ConcurrencyLimitMissing,
    InvalidAnswer,
    MissingApiKey,
    RequestRefused,
)
from seology.analysis.claude.prompt import (
    INSTRUCTIONS,
    CheckDoc,
    Prompt,
    build_prompt,
    check_registry,
    correction_messages,
    describe_invalid,
    estimate_tokens,
    registry_text,
)

__all__ = [
    "CONCURRENCY_LIMIT_NAME",
    "DEFAULT_PRICE",
    "INSTRUCTIONS",
    "MAX_FINDINGS",
    "MAX_HEADINGS",
    "MAX_RETRY_AFTER_SECONDS",
    "MAX_REWRITE_PAGES",
    "MAX_TEXT_CHARS",
    "MAX_URL_CHARS",
    "PRICES",
    "RETRYABLE_STATUSES",
    "REWRITE_CHECKS",
    "SAMPLE_URLS",
    "SEVERITY_RANK",
    "SLOT_TIMEOUT_SECONDS",
    "AnswerLog",
    "CheckDoc",
    "CheckFinding",
    "ClaudeError",
    "ClaudeResult",
    "ConcurrencyLimitMissing",
    "CrawlDigest",
    "EngineChoice",
    "InvalidAnswer",
    "MissingApiKey",
    "Price",
    "Prompt",
    "RequestRefused",
    "RewriteCandidate",
    "add_usage",
    "analyse",
    "ask",
    "build_prompt",
    "check_registry",
    "choose_engine",
    "correction_messages",
    "cost_usd",
    "decide_engine",
    "describe_invalid",
    "digest_crawl",
    "estimate_tokens",
    "is_retryable",
    "price_for",
    "rank_findings",
    "registry_text",
    "resolve_api_key",
    "retry_after_seconds",
    "rewrite_candidates",
    "rewrite_checks_by_url",
    "rule_findings",
    "wait_retry_after",
]
