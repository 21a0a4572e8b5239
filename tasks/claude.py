"""Claude as the analysis engine: the engine switch, the prompt, the call, and its cost.

Plain functions, called by the `build-claude-analysis` task (tasks/analysis.py). The
`anthropic` SDK is imported inside the functions that call it: flow modules import this
one, and a worker pays the SDK's import only when it runs a Claude analysis.

- The engine (`decide_engine`): SEOLOGY_ANALYSIS_ENGINE=auto|claude|rules. `auto` uses
  Claude when an API key is configured and the rules otherwise; `claude` without a key
  is a configuration error that fails the job at once (`MissingApiKey`).
- The key (`resolve_api_key`): ANTHROPIC_API_KEY (environment or `.env`) wins; without
  it, the Prefect `Secret` block named by SEOLOGY_ANTHROPIC_SECRET_BLOCK
  ("anthropic-api-key"). The operator's environment is the most specific place, as for
  every other setting (DESIGN.md §9).
- The prompt (`build_prompt`): a stable part (instructions and the check registry) in
  the system blocks, marked `cache_control: ephemeral`, and a bounded digest of the crawl
  (`digest_crawl`) in the user message. docs/internals/analysis.md has the budget.
- The call (`analyse`): `messages.parse` with `SiteAnalysis` as the output format,
  inside the Prefect global concurrency limit `anthropic`; an answer that does not
  validate is asked again once with the validation error, then `InvalidAnswer`.
- The cost (`cost_usd`): the tokens of every billed answer, priced by `PRICES`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

from seology.errors import SeologyError
from seology.logs import get_logger
from tasks.analysis import AnalysisUsage, EngineName, SiteAnalysis
from tasks.analysis_rules import (
    DUPLICATE_RULES,
    PAGE_RULES,
    DuplicateRule,
    PageFacts,
    PageRule,
    Rule,
    duplicate_rule_urls,
    find_problems,
    page_rule_urls,
)

if TYPE_CHECKING:
    import anthropic
    from prefect.client.orchestration import PrefectClient

    from seology.settings import Settings

#: The Prefect global concurrency limit every Claude call holds a slot of.
CONCURRENCY_LIMIT_NAME = "anthropic"
#: How long a call waits for a slot before its task attempt fails (and is retried).
SLOT_TIMEOUT_SECONDS = 600.0
#: The longest `retry-after` a task attempt honours before it fails and is retried.
MAX_RETRY_AFTER_SECONDS = 60.0
#: HTTP statuses worth another attempt: timeout, lock conflict, rate limit, 5xx and 529.
RETRYABLE_STATUSES = frozenset({408, 409, 429})

# --- errors ----------------------------------------------------------------------------


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


# --- the engine switch -----------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class EngineChoice:
    """Which engine analyses, and why; `engine` None means the job cannot run."""

    engine: EngineName | None
    reason: str


def decide_engine(setting: str, *, has_key: bool) -> EngineChoice:
    """The engine for SEOLOGY_ANALYSIS_ENGINE=`setting` (plain: tested without Prefect)."""
    if setting == "rules":
        return EngineChoice(engine="rules", reason="SEOLOGY_ANALYSIS_ENGINE=rules")
    if has_key:
        return EngineChoice(engine="claude", reason=f"SEOLOGY_ANALYSIS_ENGINE={setting}, key set")
    if setting == "claude":
        return EngineChoice(engine=None, reason=MissingApiKey().message)
    return EngineChoice(engine="rules", reason="SEOLOGY_ANALYSIS_ENGINE=auto, no Anthropic key")


def choose_engine(settings: Settings) -> EngineChoice:
    """`decide_engine` for `settings`, looking for a key only when it matters."""
    if settings.analysis_engine == "rules":
        return decide_engine("rules", has_key=False)
    return decide_engine(settings.analysis_engine, has_key=resolve_api_key(settings) is not None)


def resolve_api_key(settings: Settings) -> str | None:
    """ANTHROPIC_API_KEY if set, else the Prefect Secret block's value, else None."""
    if settings.anthropic_api_key and settings.anthropic_api_key.get_secret_value():
        return settings.anthropic_api_key.get_secret_value()
    return _secret_block_value(settings.anthropic_secret_block)


def _secret_block_value(name: str) -> str | None:
    """The Secret block `name`'s value; None when no such block exists."""
    from prefect.blocks.system import Secret
    from prefect.exceptions import ObjectNotFound

    try:
        value = Secret.load(name, _sync=True).get()  # type: ignore[call-arg]
    except ValueError as exc:
        if isinstance(exc.__cause__, ObjectNotFound) or "Unable to find block" in str(exc):
            return None
        raise
    return str(value) if value else None


async def ensure_concurrency_limit(client: PrefectClient, *, limit: int) -> None:
    """Create or resize the global concurrency limit `anthropic` (idempotent)."""
    await client.upsert_global_concurrency_limit_by_name(CONCURRENCY_LIMIT_NAME, limit)


# --- the crawl, compacted --------------------------------------------------------------

#: Caps that bound the prompt whatever the crawl's size (docs/internals/analysis.md).
MAX_FINDINGS = 40
SAMPLE_URLS = 5
MAX_REWRITE_PAGES = 25
MAX_URL_CHARS = 160
MAX_TEXT_CHARS = 160
MAX_HEADINGS = 3
#: The checks whose pages get rewrite suggestions, in the order they are listed.
REWRITE_CHECKS = (
    "title.missing",
    "meta_desc.missing",
    "title.duplicate",
    "meta_desc.duplicate",
    "title.too_long",
    "meta_desc.too_long",
    "title.too_short",
)
SEVERITY_RANK = {"error": 0, "warning": 1, "notice": 2}


@dataclass(frozen=True, kw_only=True)
class CheckFinding:
    """One check that fired: on how many pages, and a few of their URLs."""

    check_id: str
    severity: str
    count: int
    sample_urls: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class RewriteCandidate:
    """A page whose title or meta description needs rewriting, with what it has now."""

    url: str
    checks: tuple[str, ...]
    title: str | None
    meta_description: str | None
    h1: str | None
    headings: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class CrawlDigest:
    """What Claude reads of a crawl: counts, samples and capped lists, never every page."""

    site_name: str
    site_url: str
    pages_crawled: int
    content_pages: int
    status_codes: dict[str, int]
    findings_source: Literal["audit", "rules"]
    findings: tuple[CheckFinding, ...]
    findings_total: int
    rewrites: tuple[RewriteCandidate, ...]
    rewrites_total: int

    def to_json(self) -> dict[str, Any]:
        """Short keys: every character is paid for on every analysis."""
        return {
            "site": {"name": _cut(self.site_name), "url": _cut(self.site_url)},
            "pages": {"crawled": self.pages_crawled, "html2xx": self.content_pages,
                      "statusCodes": self.status_codes},
            "findingsSource": self.findings_source,
            "findings": [_finding_json(f) for f in self.findings],
            "findingsOmitted": self.findings_total - len(self.findings),
            "rewriteCandidates": [_candidate_json(c) for c in self.rewrites],
            "rewriteCandidatesOmitted": self.rewrites_total - len(self.rewrites),
        }  # fmt: skip


def _cut(text: str | None, limit: int = MAX_TEXT_CHARS) -> str | None:
    """`text` within `limit` characters, an ellipsis marking a cut."""
    if text is None or len(text) <= limit:
        return text
    return text[: limit - 1] + "…"


def _finding_json(finding: CheckFinding) -> dict[str, Any]:
    return {
        "check": finding.check_id,
        "severity": finding.severity,
        "pages": finding.count,
        "sample": [_cut(url, MAX_URL_CHARS) for url in finding.sample_urls[:SAMPLE_URLS]],
    }


def _candidate_json(candidate: RewriteCandidate) -> dict[str, Any]:
    return {
        "url": _cut(candidate.url, MAX_URL_CHARS),
        "checks": list(candidate.checks),
        "title": _cut(candidate.title),
        "metaDescription": _cut(candidate.meta_description, 2 * MAX_TEXT_CHARS),
        "h1": _cut(candidate.h1),
        "headings": [_cut(h, 80) for h in candidate.headings[:MAX_HEADINGS]],
    }


def rule_findings(pages: Sequence[PageFacts]) -> list[CheckFinding]:
    """The rules engine's checks over `pages`, for a crawl that has no audit issues."""
    return [
        CheckFinding(check_id=rule.check_id, severity=rule.severity, count=len(urls),
                     sample_urls=tuple(urls[:SAMPLE_URLS]))
        for rule, urls in find_problems(list(pages))
    ]  # fmt: skip


def rank_findings(findings: Iterable[CheckFinding]) -> list[CheckFinding]:
    """Errors before warnings before notices; more pages first within a severity."""
    return sorted(findings, key=lambda f: (SEVERITY_RANK.get(f.severity, 3), -f.count, f.check_id))


def rewrite_checks_by_url(pages: Sequence[PageFacts]) -> dict[str, list[str]]:
    """URL → the title and description checks it fails, for the checks in REWRITE_CHECKS."""
    by_url: dict[str, list[str]] = {}
    rules: dict[str, PageRule | DuplicateRule] = {
        rule.check_id: rule for rule in (*PAGE_RULES, *DUPLICATE_RULES)
    }
    for check_id in REWRITE_CHECKS:
        rule = rules[check_id]
        if isinstance(rule, PageRule):
            urls = page_rule_urls(rule, pages)
        else:
            urls = duplicate_rule_urls(rule, pages)
        for url in urls:
            by_url.setdefault(url, []).append(check_id)
    return by_url


def rewrite_candidates(pages: Sequence[PageFacts]) -> tuple[list[RewriteCandidate], int]:
    """The pages most in need of new titles or descriptions (capped), and how many need one."""
    by_url = rewrite_checks_by_url(pages)
    facts = {page.url: page for page in pages}
    urls = sorted(by_url, key=lambda url: (REWRITE_CHECKS.index(by_url[url][0]), -len(by_url[url])))
    chosen = [
        RewriteCandidate(url=url, checks=tuple(by_url[url]), title=facts[url].title,
                         meta_description=facts[url].meta_description, h1=facts[url].h1,
                         headings=facts[url].subheadings)
        for url in urls[:MAX_REWRITE_PAGES]
    ]  # fmt: skip
    return chosen, len(by_url)


def digest_crawl(
    pages: Sequence[PageFacts],
    *,
    site_name: str,
    site_url: str,
    audit: Sequence[CheckFinding] = (),
) -> CrawlDigest:
    """The bounded digest of a crawl: the audit's findings if it has any, else the rules'."""
    findings = rank_findings(audit or rule_findings(pages))
    candidates, candidates_total = rewrite_candidates(pages)
    statuses: dict[str, int] = {}
    for page in pages:
        key = str(page.status_code) if page.status_code is not None else "none"
        statuses[key] = statuses.get(key, 0) + 1
    return CrawlDigest(
        site_name=site_name, site_url=site_url, pages_crawled=len(pages),
        content_pages=sum(1 for page in pages if page.is_content),
        status_codes=dict(sorted(statuses.items())),
        findings_source="audit" if audit else "rules",
        findings=tuple(findings[:MAX_FINDINGS]), findings_total=len(findings),
        rewrites=tuple(candidates), rewrites_total=candidates_total,
    )  # fmt: skip


# --- the prompt ------------------------------------------------------------------------

INSTRUCTIONS = """\
You are the SEO analyst of Seology, a service that crawls websites and tells their owners \
what to fix first. You receive a digest of one crawl of one site and answer with an action \
plan as JSON matching the given schema. The site owner reads the plan in a dashboard; write \
for a busy, non-technical owner: plain words, concrete steps, no filler.

How to read the digest:
- "pages" counts the URLs crawled, the HTML pages that answered 2xx, and every status code.
- "findings" lists each SEO check that fired: its id, its severity, how many pages fail it \
and a sample of their URLs. "findingsOmitted" counts further checks left out for brevity. \
The check registry below explains every check id and how it is usually fixed.
- "rewriteCandidates" lists pages whose title or meta description is missing, too long, too \
short or shared with another page, with the page's current title, meta description, H1 and \
first subheadings. "rewriteCandidatesOmitted" counts the further pages with the same needs.

What to write:
- engine: always "claude".
- summary: 2 to 4 sentences: the site's overall SEO health, the few problems that matter \
most, and what to do first. Quote real numbers from the digest.
- topProblems: at most 10, the most important first. Rank by impact on search traffic: \
errors that stop pages being crawled or indexed first (server errors, broken pages, noindex \
on pages that should rank, missing titles), then problems that weaken how pages rank or are \
shown in results, then best-practice notices. Among equals, more affected pages rank higher. \
For each: checkId (the id from the digest), a short title, severity (as in the digest), \
impact from 1 (cosmetic) to 10 (pages lost from search), affectedPages (the digest's \
count), sampleUrls (at most 5, copied from the digest's sample, never invented), howToFix \
(one to three concrete steps for this site, not a generic definition).
- quickWins: at most 5 one-line fixes that take under an hour and pay off quickly, each \
naming how many pages and one URL to start with.
- pageSuggestions: for rewrite candidates only, at most 20, most urgent first: one entry per \
page and field ("title" or "meta_description") that needs it. current is the current value \
(null when missing); suggested is the rewrite; reason says in one sentence what was wrong. \
Titles: 30 to 60 characters, unique across the site, the page's main topic first, the site \
name last only if it fits. Meta descriptions: 70 to 155 characters, one or two sentences \
that sum up the page and invite the click. Base every rewrite on the page's own title, H1, \
headings and URL; never invent facts, prices or claims the page does not make.

Rules: copy URLs exactly from the digest. Never give more than 5 sampleUrls per problem. \
Keep impact between 1 and 10. Answer with the JSON object only."""


@dataclass(frozen=True, kw_only=True)
class CheckDoc:
    """One check explained to Claude: id, severity, what it means, how it is fixed."""

    check_id: str
    severity: str
    explanation: str
    fix: str


def check_registry() -> list[CheckDoc]:
    """Every check of the audit's registry (SEO_CHECKS.md), in its own stable order.

    The text is the cached prompt prefix: any change to the registry re-writes the
    cache once. Without the audit package (an older checkout), the rules engine's rules
    stand in for the registry.
    """
    try:
        from tasks.audit.registry import CHECKS
    except ModuleNotFoundError:
        return [_rule_doc(rule) for rule in (*PAGE_RULES, *DUPLICATE_RULES)]
    return [
        CheckDoc(check_id=c.id, severity=c.severity, explanation=c.summary, fix=c.fix)
        for c in CHECKS.values()
    ]


def _rule_doc(rule: Rule) -> CheckDoc:
    return CheckDoc(
        check_id=rule.check_id, severity=rule.severity, explanation=f"{rule.title}.",
        fix=rule.how_to_fix,
    )  # fmt: skip


def registry_text(checks: Iterable[CheckDoc]) -> str:
    lines = [f"- {c.check_id} ({c.severity}): {c.explanation} Fix: {c.fix}" for c in checks]
    return "Check registry (check id, severity, meaning, usual fix):\n" + "\n".join(lines)


@dataclass(frozen=True, kw_only=True)
class Prompt:
    """The request's `system` blocks and `messages`, as the Messages API takes them."""

    system: list[dict[str, Any]]
    messages: list[dict[str, Any]]

    def text(self) -> str:
        """Every character the prompt sends (for estimates)."""
        blocks = [*self.system, *(b for m in self.messages for b in m["content"])]
        return "".join(block["text"] for block in blocks)


def build_prompt(digest: CrawlDigest) -> Prompt:
    """Stable instructions and registry (cached), then the crawl's digest."""
    data = json.dumps(digest.to_json(), ensure_ascii=False, separators=(",", ":"))
    system = [
        {"type": "text", "text": INSTRUCTIONS},
        {"type": "text", "text": registry_text(check_registry()),
         "cache_control": {"type": "ephemeral"}},
    ]  # fmt: skip
    request = f"<crawl_digest>\n{data}\n</crawl_digest>\n\nWrite the action plan for this site."
    return Prompt(system=system, messages=[_user(request)])


def _user(text: str) -> dict[str, Any]:
    return {"role": "user", "content": [{"type": "text", "text": text}]}


def correction_messages(prompt: Prompt, answer: str, problem: str) -> list[dict[str, Any]]:
    """The conversation again, with the rejected answer and what was wrong with it."""
    return [
        *prompt.messages,
        {"role": "assistant", "content": [{"type": "text", "text": answer or "(no answer)"}]},
        _user(
            "That answer does not validate against the schema:\n"
            f"{problem}\nAnswer again with the whole corrected JSON object."
        ),
    ]


def describe_invalid(error: Exception) -> str:
    """A pydantic `ValidationError` as short lines Claude can act on."""
    errors = getattr(error, "errors", None)
    if not callable(errors):
        return str(error)[:2000]
    lines = []
    for item in errors(include_url=False)[:20]:
        where = ".".join(str(part) for part in item.get("loc", ())) or "(root)"
        lines.append(f"- {where}: {item.get('msg')}")
    return "\n".join(lines)


def estimate_tokens(text: str) -> int:
    """Tokens by the 4-characters-per-token rule, as the test server counts them."""
    return -(-len(text) // 4)


# --- cost ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Price:
    """List price in USD per million tokens.

    A 5-minute cache write costs 1.25 times the input price, a cache read 0.1 times.
    """

    input: float
    output: float

    @property
    def cache_write(self) -> float:
        return self.input * 1.25

    @property
    def cache_read(self) -> float:
        return self.input * 0.1


#: Model-name prefix → list price (anthropic.com/pricing, 2025), most specific first.
#: An unknown model is priced as the default family: the cost stays an estimate.
PRICES: tuple[tuple[str, Price], ...] = (
    ("claude-opus-4-5", Price(5.0, 25.0)),
    ("claude-opus-4", Price(15.0, 75.0)),
    ("claude-3-opus", Price(15.0, 75.0)),
    ("claude-sonnet-4", Price(3.0, 15.0)),
    ("claude-3-7-sonnet", Price(3.0, 15.0)),
    ("claude-3-5-sonnet", Price(3.0, 15.0)),
    ("claude-haiku-4-5", Price(1.0, 5.0)),
    ("claude-3-5-haiku", Price(0.8, 4.0)),
    ("claude-3-haiku", Price(0.25, 1.25)),
)
DEFAULT_PRICE = ("claude-sonnet-4", Price(3.0, 15.0))


def price_for(model: str) -> tuple[str, Price]:
    """(family, price) of `model`; the default family for a model we do not know."""
    for prefix, price in PRICES:
        if model.startswith(prefix):
            return prefix, price
    return DEFAULT_PRICE


def cost_usd(usage: AnalysisUsage) -> float:
    """The estimated cost of `usage` at `usage.model`'s list price."""
    _, price = price_for(usage.model)
    total = (
        usage.input_tokens * price.input
        + usage.output_tokens * price.output
        + usage.cache_write_tokens * price.cache_write
        + usage.cache_read_tokens * price.cache_read
    )
    return round(total / 1_000_000, 6)


def add_usage(usage: AnalysisUsage, answer_usage: dict[str, Any]) -> AnalysisUsage:
    """`usage` plus one answer's `usage` object (the API's names)."""
    return replace(
        usage,
        input_tokens=usage.input_tokens + int(answer_usage.get("input_tokens") or 0),
        output_tokens=usage.output_tokens + int(answer_usage.get("output_tokens") or 0),
        cache_read_tokens=usage.cache_read_tokens
        + int(answer_usage.get("cache_read_input_tokens") or 0),
        cache_write_tokens=usage.cache_write_tokens
        + int(answer_usage.get("cache_creation_input_tokens") or 0),
        calls=usage.calls + 1,
    )


# --- the call --------------------------------------------------------------------------


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


@dataclass(frozen=True, kw_only=True)
class ClaudeResult:
    """A validated plan and what it cost to get it."""

    analysis: SiteAnalysis
    usage: AnalysisUsage
    attempts: int


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
