"""The errors of a Claude analysis: each one fails the job at once (no retry helps)."""

from __future__ import annotations

from seology.core.errors import SeologyError


class ClaudeError(SeologyError):
    """Claude could not analyse the site, and asking again will not help."""

    code = "claude_error"


class MissingApiKey(ClaudeError):
    """No Anthropic API key is configured. Set ANTHROPIC_API_KEY in the worker's environment
    (or in $SEOLOGY_HOME/.env), or save it in a Prefect Secret block named
    "anthropic-api-key" (`Secret(value="sk-ant-...").save("anthropic-api-key")`); or set
    SEOLOGY_ANALYSIS_ENGINE=rules (or auto) to analyse with the offline rules engine."""

    code = "missing_api_key"


class InvalidAnswer(ClaudeError):
    """Claude's answer did not validate as a SiteAnalysis, twice."""

    code = "invalid_answer"


class ConcurrencyLimitMissing(ClaudeError):
    """The Prefect global concurrency limit "anthropic" does not exist: create it with
    `seology deploy` (or `prefect global-concurrency-limit create anthropic --limit 2`)."""

    code = "concurrency_limit_missing"


class RequestRefused(ClaudeError):
    """The Messages API refused the request (bad key, bad request, unknown model)."""

    code = "request_refused"
