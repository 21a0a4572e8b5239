"""`run_audit`: every check of the registry over one crawl's page records.

One pass over the records runs the page checks and fills the `SiteIndex`; then the
crawl checks run over the index. Issues are unique per `(check_id, url)`: the first
finding is kept (a URL can be reached by two records, e.g. as a redirect's target and
directly).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator

from seology.audit import checks, facts, score
from seology.audit.config import AuditConfig
from seology.audit.index import SiteIndex
from seology.audit.model import AuditResult, IssueRecord
from seology.audit.registry import issue
from seology.crawler.records import CrawlOutcome, PageRecord, ResourceRecord


def _load_checks() -> None:
    """Import the modules whose decorators fill `checks.PAGE_CHECKS` / `CRAWL_CHECKS`."""
    from seology.audit import (  # noqa: F401 - imported for their registrations
        canonicals,
        content,
        duplicates,
        experience,
        http_checks,
        images,
        indexability,
        international,
        javascript,
        links,
        near_duplicates,
        resources,
        sitemaps,
        technical,
        titles,
    )


_load_checks()


def run_audit(
    records: Iterable[PageRecord],
    outcome: CrawlOutcome | None = None,
    config: AuditConfig | None = None,
    *,
    resources: Iterable[ResourceRecord] = (),
) -> AuditResult:
    """Audit a crawl: its page records (streamed once) and how the crawl ended.

    `outcome` carries robots.txt and sitemap facts; without it, site-level checks are
    skipped. `resources` are the crawl's resource checks (what pages point to: external
    links, images, canonical and hreflang targets); only the ones that did not answer
    2xx matter, and a caller may pass only those.
    """
    config = config or AuditConfig()
    index = SiteIndex(outcome, user_agent=config.user_agent, resources=resources)
    found: dict[tuple[str, str], IssueRecord] = {}
    audited = 0
    for record in records:
        audited += 1
        _keep(found, page_issues(record, config))
        index.add(record)
    _keep(found, crawl_issues(index, config))
    issues = list(found.values())
    with_errors = score.pages_with_errors(issues, index.html_pages)
    return AuditResult(
        issues=issues,
        html_pages=len(index.html_pages),
        pages_with_errors=with_errors,
        health_score=score.health_score(len(index.html_pages), with_errors),
        pages_audited=audited,
    )


def _keep(found: dict[tuple[str, str], IssueRecord], issues: Iterable[IssueRecord]) -> None:
    for item in issues:
        found.setdefault((item.check_id, item.url), item)


def page_issues(record: PageRecord, config: AuditConfig) -> Iterator[IssueRecord]:
    """The page checks' findings on one record."""
    content = facts.is_content(record)
    for check in checks.PAGE_CHECKS.values():
        if check.scope == "content" and not content:
            continue
        detail = check.fn(record, config)
        if detail is not None:
            yield issue(check.check_id, _url_for(check.scope, record), detail)


def _url_for(scope: checks.Scope, record: PageRecord) -> str:
    return record.url if scope == "request" else facts.page_url(record)


def crawl_issues(index: SiteIndex, config: AuditConfig) -> Iterator[IssueRecord]:
    """The crawl checks' findings, in registry order."""
    for check_id, fn in checks.CRAWL_CHECKS.items():
        for url, detail in fn(index, config):
            yield issue(check_id, url, detail)


def timed_audit(
    records: Iterable[PageRecord],
    outcome: CrawlOutcome | None,
    config: AuditConfig,
    resources: Iterable[ResourceRecord] = (),
) -> tuple[AuditResult, float]:
    """`run_audit` and the seconds it took (for logs and the benchmark)."""
    started = time.perf_counter()
    result = run_audit(records, outcome, config, resources=resources)
    return result, time.perf_counter() - started
