"""The call: `messages.parse` in a slot of the `anthropic` concurrency limit, one retry
with the validation error, and the mapping of API failures onto retry or `ClaudeError`."""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from seology.analysis.claude.cost import add_usage, cost_usd
from seology.analysis.claude.errors import ConcurrencyLimitMissing, InvalidAnswer, RequestRefused
from seology.analysis.claude.prompt import build_prompt, correction_messages, describe_invalid
from seology.analysis.model import AnalysisUsage, SiteAnalysis
from seology.core.logs import get_logger

if TYPE_CHECKING:
    import anthropic

    from seology.analysis.claude.digest import CrawlDigest
    from seology.core.settings import Settings

#: The Prefect global concurrency limit every Claude call holds a slot of.
CONCURRENCY_LIMIT_NAME = "anthropic"
#: How long a call waits for a slot before its task attempt fails (and is retried).
SLOT_TIMEOUT_SECONDS = 600.0
#: The longest `retry-after` a task attempt honours before it fails and is retried.
MAX_RETRY_AFTER_SECONDS = 60.0
#: HTTP statuses worth another attempt: timeout, lock conflict, rate limit, 5xx and 529.
RETRYABLE_STATUSES = frozenset({408, 409, 429})


@dataclass
class AnswerLog:
    """Keeps every answer the API billed (status 200), valid or not.

    `messages.parse` raises on an answer that does not validate, and the answer's usage
    and text go with it; this SDK middleware sees each HTTP attempt's response first.
    """

    answers: list[dict[str, Any]] = field(default_factory=list)

    def handle(self, request: Any, call_next: Any) -> Any:
        response = call_next(request)
        if response.status_code == 200 and str(request.url).endswith("/v1/messages"):
            self.answers.append(response.json())
        return response

    def last_text(self) -> str:
        content = self.answers[-1].get("content", []) if self.answers else []
        return "".join(block.get("text", "") for block in content if block.get("type") == "text")

    def explain(self, problem: str) -> str:
        """`problem`, plus why the JSON broke off when the answer hit `max_tokens`."""
        if self.answers and self.answers[-1].get("stop_reason") == "max_tokens":
            return f"{problem}\n- The answer was cut off at max_tokens: write less per item."
        return problem

    def usage(self, model: str) -> AnalysisUsage:
        usage = AnalysisUsage(model=model)
        for answer in self.answers:
            usage = add_usage(usage, answer.get("usage") or {})
        return replace(usage, cost_usd=cost_usd(usage))


def make_client(settings: Settings, api_key: str, log: AnswerLog) -> anthropic.Anthropic:
    """The SDK client: our key, base URL, timeout and SDK-level retries."""
    import anthropic

    return anthropic.Anthropic(
        api_key=api_key,
        base_url=settings.anthropic_base_url,
        max_retries=settings.anthropic_max_retries,
        timeout=settings.anthropic_timeout,
        middleware=[log.handle],
    )


@dataclass(frozen=True, kw_only=True)
class ClaudeResult:
    """A validated plan and what it cost to get it."""

    analysis: SiteAnalysis
    usage: AnalysisUsage
    attempts: int


def analyse(
    digest: CrawlDigest,
    *,
    settings: Settings,
    api_key: str,
    concurrency_limit: str | None = CONCURRENCY_LIMIT_NAME,
) -> ClaudeResult:
    """Ask Claude for the plan; ask once more with the validation error if it is invalid."""
    prompt = build_prompt(digest)
    log = AnswerLog()
    with make_client(settings, api_key, log) as client:
        attempts = 1
        try:
            plan = ask(client, settings, prompt.system, prompt.messages, concurrency_limit)
        except InvalidAnswer as exc:
            get_logger().warning(f"answer invalid, asking again (action=claude_retry): {exc}")
            attempts = 2
            messages = correction_messages(prompt, log.last_text(), log.explain(exc.message))
            try:
                plan = ask(client, settings, prompt.system, messages, concurrency_limit)
            except InvalidAnswer as again:
                raise _invalid_twice(again, log, settings) from again
    usage = log.usage(settings.anthropic_model)
    return ClaudeResult(analysis=plan, usage=usage, attempts=attempts)


def _invalid_twice(error: InvalidAnswer, log: AnswerLog, settings: Settings) -> InvalidAnswer:
    usage = log.usage(settings.anthropic_model)
    return InvalidAnswer(
        f"Claude's answer did not validate as a SiteAnalysis twice (model "
        f"{settings.anthropic_model}, {usage.calls} answers, ${usage.cost_usd:.4f}): "
        f"{error.message}"
    )


def ask(
    client: anthropic.Anthropic,
    settings: Settings,
    system: list[dict[str, Any]],
    messages: list[dict[str, Any]],
    concurrency_limit: str | None,
) -> SiteAnalysis:
    """One `messages.parse` call in a slot of the concurrency limit; `InvalidAnswer` if bad."""
    import pydantic

    try:
        with _slot(concurrency_limit):
            response = client.messages.parse(
                model=settings.anthropic_model, max_tokens=settings.anthropic_max_tokens,
                system=system, messages=messages, output_format=SiteAnalysis,  # type: ignore[arg-type]
            )  # fmt: skip
    except pydantic.ValidationError as exc:
        raise InvalidAnswer(describe_invalid(exc)) from exc
    except Exception as exc:
        classified = _classify(exc)
        if classified is exc:
            raise
        raise classified from exc
    plan = response.parsed_output
    if plan is None:
        raise InvalidAnswer(f"- (root): no JSON answer (stop_reason {response.stop_reason})")
    return plan.model_copy(update={"engine": "claude"})


def _slot(name: str | None) -> Any:
    """A slot of the global concurrency limit `name` (strict: a missing limit is an error)."""
    import contextlib

    from prefect.concurrency.sync import concurrency

    if name is None:
        return contextlib.nullcontext()
    return concurrency(name, occupy=1, timeout_seconds=SLOT_TIMEOUT_SECONDS, strict=True)


def is_retryable(error: BaseException) -> bool:
    """Errors another attempt may cure: 408/409/429/5xx/529, connection and slot timeouts."""
    import anthropic

    if isinstance(error, anthropic.APIStatusError):
        return error.status_code in RETRYABLE_STATUSES or error.status_code >= 500
    return isinstance(error, (anthropic.APIConnectionError, TimeoutError))


def _classify(error: Exception) -> Exception:
    """Permanent failures become a `ClaudeError`; a retryable one waits its retry-after."""
    import anthropic
    from prefect.concurrency._asyncio import ConcurrencySlotAcquisitionError

    if isinstance(error, ConcurrencySlotAcquisitionError) and error.__cause__ is None:
        return ConcurrencyLimitMissing()  # strict: the limit is not there (no HTTP failure)
    if isinstance(error, anthropic.APIStatusError) and not is_retryable(error):
        return RequestRefused(
            f"The Messages API refused the request ({error.status_code}): {error.message}. "
            "Check ANTHROPIC_API_KEY, ANTHROPIC_MODEL and ANTHROPIC_BASE_URL."
        )
    if isinstance(error, anthropic.APIStatusError):
        wait_retry_after(error)
    return error


def retry_after_seconds(headers: Any) -> float | None:
    """The wait a `retry-after-ms` or `retry-after` (seconds) header asks for, if any."""
    for name, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        try:
            return float(headers.get(name)) / scale
        except (TypeError, ValueError):
            continue
    return None


def wait_retry_after(error: anthropic.APIStatusError) -> None:
    """Honour the server's `retry-after` before this task attempt fails and is retried.

    The SDK honours it between its own retries; after its last one, the next attempt
    is Prefect's task retry, whose fixed backoff does not know the header.
    """
    seconds = retry_after_seconds(error.response.headers)
    if seconds and seconds > 0:
        wait = min(seconds, MAX_RETRY_AFTER_SECONDS)
        get_logger().warning(
            f"Messages API {error.status_code}, waiting {wait:g}s (action=claude_retry_after)"
        )
        time.sleep(wait)
