"""The analyses table, and the reads an analysis makes of a crawl.

The plan is stored in the `analyses` table under the flow run id that produced it, with
the tokens and estimated cost of a Claude analysis, so a retried run overwrites its own
row and counts once in the user's usage.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, func, select

from seology.analysis.claude import CheckFinding
from seology.analysis.model import AnalysisUsage, CrawlInfo, SiteAnalysis
from seology.store.engine import session_scope
from seology.store.models import Analysis, Crawl, Issue, Page
from seology.store.usage import count_usage

if TYPE_CHECKING:
    from seology.store.crawls import SiteInfo


def latest_completed_crawl(engine: Engine, *, site_id: int) -> CrawlInfo | None:
    """The site's completed crawl that finished last, or None if it has none."""
    with session_scope(engine) as session:
        crawl = session.scalar(
            select(Crawl)
            .where(Crawl.site_id == site_id, Crawl.status == "completed")
            .order_by(Crawl.finished_at.desc(), Crawl.id.desc())
            .limit(1)
        )
        if crawl is None:
            return None
        return CrawlInfo(
            id=crawl.id,
            site_id=crawl.site_id,
            finished_at=crawl.finished_at,
            pages_crawled=crawl.pages_crawled,
        )


def read_crawl_pages(engine: Engine, *, crawl_id: int) -> list[dict[str, Any]]:
    """The crawl's pages as plain dicts: the rules engine needs no ORM."""
    columns = (
        Page.url,
        Page.status_code,
        Page.content_type,
        Page.title,
        Page.meta_description,
        Page.h1,
        Page.word_count,
        Page.record,
    )
    with session_scope(engine) as session:
        rows = session.execute(select(*columns).where(Page.crawl_id == crawl_id).order_by(Page.id))
        return [dict(row._mapping) for row in rows]


def read_audit_findings(engine: Engine, *, crawl_id: int, samples: int = 5) -> list[CheckFinding]:
    """The crawl's audit issues counted by check, with the first `samples` URLs of each.

    Empty when the crawl has no audit issues (an older crawl, or no audit step yet).
    """
    rank = func.row_number().over(partition_by=Issue.check_id, order_by=Issue.id)
    ranked = select(Issue.check_id, Issue.url, rank.label("rank")).where(Issue.crawl_id == crawl_id)
    sampled = ranked.subquery()
    with session_scope(engine) as session:
        counts = session.execute(
            select(Issue.check_id, func.max(Issue.severity), func.count())
            .where(Issue.crawl_id == crawl_id)
            .group_by(Issue.check_id)
        ).all()
        urls: dict[str, list[str]] = {}
        for check_id, url in session.execute(
            select(sampled.c.check_id, sampled.c.url).where(sampled.c.rank <= samples)
        ):
            urls.setdefault(check_id, []).append(url)
    return [
        CheckFinding(check_id=check_id, severity=severity, count=count,
                     sample_urls=tuple(urls.get(check_id, ())))
        for check_id, severity, count in counts
    ]  # fmt: skip


def save_analysis(
    engine: Engine,
    *,
    flow_run_id: str,
    site: SiteInfo,
    crawl: CrawlInfo,
    analysis: SiteAnalysis,
    period: str,
    usage: AnalysisUsage | None = None,
) -> tuple[int, bool]:
    """Write the analysis of `flow_run_id`; return its id and whether it is new.

    The row and the usage count change in one transaction: the first attempt of a run
    inserts and counts, a retry finds the row, overwrites it and does not count again.
    """
    with session_scope(engine) as session:
        row = session.scalar(select(Analysis).where(Analysis.flow_run_id == flow_run_id))
        created = row is None
        if row is None:
            row = Analysis(flow_run_id=flow_run_id, site_id=site.id, user_id=site.user_id)
            session.add(row)
        row.crawl_id = crawl.id
        row.engine = analysis.engine
        row.result = analysis.to_json()
        _record_usage(row, usage)
        session.flush()
        if created:
            _count_analysis(session, user_id=site.user_id, period=period)
        return row.id, created


def _record_usage(row: Analysis, usage: AnalysisUsage | None) -> None:
    """The model, tokens and cost of the row (zeros for the rules engine)."""
    usage = usage or AnalysisUsage(model="")
    row.model = usage.model or None
    row.input_tokens = usage.input_tokens
    row.output_tokens = usage.output_tokens
    row.cache_read_tokens = usage.cache_read_tokens
    row.cache_write_tokens = usage.cache_write_tokens
    row.cost_usd = usage.cost_usd


def _count_analysis(session: Any, *, user_id: int, period: str) -> None:
    """`analyses += 1` in SQL: concurrent analyses of one user never lose a count."""
    count_usage(session, user_id=user_id, period=period, analyses=1)
