"""The crawl, compacted: a bounded digest of findings and rewrite candidates for Claude.

Whatever the crawl's size, the digest stays within the caps below
(docs/internals/analysis.md has the budget)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from seology.analysis.rules import (
    DUPLICATE_RULES,
    PAGE_RULES,
    DuplicateRule,
    PageFacts,
    PageRule,
    duplicate_rule_urls,
    find_problems,
    page_rule_urls,
)

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
