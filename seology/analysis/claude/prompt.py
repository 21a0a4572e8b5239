"""The prompt: stable instructions and check registry (cached), then the crawl's digest;
and the correction asked for when an answer does not validate."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from seology.analysis.claude.digest import CrawlDigest
from seology.analysis.rules import DUPLICATE_RULES, PAGE_RULES, Rule

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
    """Every check of the audit's registry (docs/audit-checks.md), in its own stable order.

    The text is the cached prompt prefix: any change to the registry re-writes the
    cache once. Without the audit package (an older checkout), the rules engine's rules
    stand in for the registry.
    """
    try:
        from seology.audit.registry import CHECKS
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
