"""The audit step of the crawl flow: page records from the database in, issues out.

`audit_crawl` streams the crawl's stored page records in batches (records hold no
HTML), runs `tasks.audit.run_audit`, and writes the issues in batches. A retried task
deletes the crawl's issues first, so a retry never duplicates them. The health score
and the counts go to `Crawl.health_score` and into `Crawl.summary`; two artifacts
(a markdown summary and a table of issues by check) show them in the Prefect UI.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prefect import task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from sqlalchemy import Engine, delete, insert, select

from seology.db.engine import flow_engine, session_scope
from seology.db.models import Crawl, Issue, Page
from seology.logs import get_logger
from seology.settings import get_settings
from tasks.audit import CHECKS, AuditConfig, AuditResult
from tasks.audit.runner import timed_audit
from tasks.crawler.records import CrawlOutcome, PageRecord
from tasks.reports import artifact_key
from tasks.retries import RETRY_OPTIONS

READ_BATCH = 500
WRITE_BATCH = 1000
TOP_CHECKS = 10
#: Stands in for the alt of a stored link's image, which storage does not keep: an
#: empty-text link may be a logo with alt text, and a false "empty anchor" on every
#: page is worse than a missed one (docs/internals/audit.md).


def iter_records(engine: Engine, crawl_id: int, batch: int = READ_BATCH) -> Iterator[PageRecord]:
    """The crawl's page records, `batch` pages per query (keyset on the page id).

    Each page row keeps its whole PageRecord, links included, as JSON (`record`).
    """
    last_id = 0
    while True:
        with session_scope(engine) as session:
            rows = session.execute(
                select(Page.id, Page.url, Page.record)
                .where(Page.crawl_id == crawl_id, Page.id > last_id)
                .order_by(Page.id)
                .limit(batch)
            ).all()
        if not rows:
            return
        last_id = rows[-1].id
        for row in rows:
            yield PageRecord.model_validate(row.record or {"url": row.url})


def store_audit(engine: Engine, crawl_id: int, result: AuditResult) -> dict[str, Any]:
    """Replace the crawl's issues with `result`'s; record the score and counts."""
    with session_scope(engine) as session:
        session.execute(delete(Issue).where(Issue.crawl_id == crawl_id))
    rows = [{"crawl_id": crawl_id, **issue.as_row()} for issue in result.issues]
    for start in range(0, len(rows), WRITE_BATCH):
        with session_scope(engine) as session:
            session.execute(insert(Issue), rows[start : start + WRITE_BATCH])
    return _record_score(engine, crawl_id, result)


def _record_score(engine: Engine, crawl_id: int, result: AuditResult) -> dict[str, Any]:
    with session_scope(engine) as session:
        crawl = session.get(Crawl, crawl_id)
        assert crawl is not None  # created by begin_crawl in this run
        crawl.health_score = result.health_score
        crawl.summary = {"siteId": crawl.site_id, **(crawl.summary or {}), **result.summary()}
        return dict(crawl.summary)


def summary_markdown(crawl: dict[str, Any], result: AuditResult, outcome: CrawlOutcome) -> str:
    """The audit summary shown in the Prefect UI (plain function: tested without Prefect)."""
    score = "n/a" if result.health_score is None else f"{result.health_score:g} / 100"
    severity = " · ".join(f"{k}: {v}" for k, v in result.by_severity.items())
    rows = "\n".join(
        f"| `{check_id}` | {CHECKS[check_id].severity} | {count} | {CHECKS[check_id].summary} |"
        for check_id, count in list(result.by_check.items())[:TOP_CHECKS]
    )
    return (
        f"# SEO audit of {outcome.start_url}\n\n"
        f"**Health score: {score}** ({result.html_pages} HTML pages, "
        f"{result.pages_with_errors} with errors)\n\n"
        f"Pages crawled: {outcome.pages_crawled} · duration: {outcome.duration_seconds:.1f} s · "
        f"crawl id {crawl['crawlId']}\n\nIssues: {len(result.issues)} ({severity})\n\n"
        f"## Top issues\n\n| check | severity | issues | what it means |\n|---|---|---:|---|\n"
        f"{rows or '| none | | 0 | |'}\n"
    )


def issues_table(result: AuditResult) -> list[dict[str, Any]]:
    """One row per check that fired, for the table artifact."""
    return [
        {
            "check": check_id,
            "severity": CHECKS[check_id].severity,
            "issues": count,
            "explanation": CHECKS[check_id].summary,
            "fix": CHECKS[check_id].fix,
        }
        for check_id, count in result.by_check.items()
    ]


def publish_artifacts(summary: dict[str, Any], result: AuditResult, outcome: CrawlOutcome) -> None:
    site_id = summary["siteId"]
    create_markdown_artifact(
        key=artifact_key("audit-summary", site_id),
        markdown=summary_markdown(summary, result, outcome),
        description=f"SEO audit summary of {outcome.start_url}",
    )
    create_table_artifact(
        key=artifact_key("audit-issues", site_id),
        table=issues_table(result),
        description=f"SEO issues by check of {outcome.start_url}",
    )


@task(name="audit-crawl", **RETRY_OPTIONS)
def audit_crawl(crawl_id: int, outcome: CrawlOutcome) -> dict[str, Any]:
    """Audit the crawl's stored pages; store issues, score and counts; publish artifacts.

    Returns the audit's keys of the summary (healthScore, issuesTotal,
    issuesBySeverity, issuesByCheck), which the flow adds to the job's result.
    """
    engine = flow_engine()
    config = AuditConfig.from_settings(get_settings())
    result, seconds = timed_audit(iter_records(engine, crawl_id), outcome, config)
    summary = store_audit(engine, crawl_id, result)
    get_logger().info(
        f"audited {result.pages_audited} pages in {seconds:.2f}s: {len(result.issues)} issues, "
        f"health {result.health_score} (action=audit crawl_id={crawl_id})"
    )
    publish_artifacts(summary, result, outcome)
    return result.summary()
