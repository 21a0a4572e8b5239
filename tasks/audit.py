"""The audit step of the crawl flow: page records from the database in, issues out.

`audit_crawl` streams the crawl's stored page records in batches (records hold no
HTML; `seology.store.pages`), runs `seology.audit.run_audit`, and writes the issues in
batches (`seology.store.audit`). The health score and the counts go to
`Crawl.health_score` and into `Crawl.summary`; two artifacts (a markdown summary and a
table of issues by check) show them in the Prefect UI.
"""

from __future__ import annotations

from typing import Any

from prefect import task
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from seology.audit import AuditConfig, AuditResult
from seology.audit.markdown import issues_table, summary_markdown
from seology.audit.runner import timed_audit
from seology.core.logs import get_logger
from seology.core.settings import get_settings
from seology.crawler.records import CrawlOutcome
from seology.store.audit import store_audit
from seology.store.crawls import problem_resources
from seology.store.engine import flow_engine
from seology.store.pages import iter_records
from tasks.artifacts import artifact_key
from tasks.retries import RETRY_OPTIONS


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
    issuesBySeverity, issuesByCheck), which `store_audit` has also merged into the
    crawl's stored summary, where the job's result is read.
    """
    engine = flow_engine()
    config = AuditConfig.from_settings(get_settings())
    resources = problem_resources(engine, crawl_id=crawl_id)
    result, seconds = timed_audit(iter_records(engine, crawl_id), outcome, config, resources)
    summary = store_audit(engine, crawl_id, result)
    get_logger().info(
        f"audited {result.pages_audited} pages in {seconds:.2f}s: {len(result.issues)} issues, "
        f"health {result.health_score} (action=audit crawl_id={crawl_id})"
    )
    publish_artifacts(summary, result, outcome)
    return result.summary()
