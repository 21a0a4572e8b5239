"""What a job produced, read from the app database by flow run id.

Prefect keeps a job's state; its outputs (a crawl's summary, an analysis) live in the
app database keyed by the flow run id, where any process can read them. Progress comes
from the same rows: the crawl flow updates its page count as it goes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select

from seology.db.engine import session_scope
from seology.db.models import Analysis, Crawl


@dataclass(frozen=True, kw_only=True)
class JobOutputs:
    result: dict[str, Any] | None = None
    #: 0–100, for jobs that report progress.
    progress: float | None = None


def read_outputs(engine: Engine, job_type: str, flow_run_id: str) -> JobOutputs | None:
    """The outputs of `flow_run_id`, or None when it has written nothing yet."""
    reader = _READERS.get(job_type)
    return reader(engine, flow_run_id) if reader else None


def _crawl_outputs(engine: Engine, flow_run_id: str) -> JobOutputs | None:
    with session_scope(engine) as session:
        crawl = session.scalar(select(Crawl).where(Crawl.flow_run_id == flow_run_id))
        if crawl is None:
            return None
        progress = 100.0 * crawl.pages_crawled / max(crawl.max_pages, 1)
        return JobOutputs(result=crawl.summary, progress=min(progress, 100.0))


def _analysis_outputs(engine: Engine, flow_run_id: str) -> JobOutputs | None:
    with session_scope(engine) as session:
        analysis = session.scalar(select(Analysis).where(Analysis.flow_run_id == flow_run_id))
        if analysis is None:
            return None
        return JobOutputs(result=analysis.result, progress=100.0)


_READERS = {"crawl": _crawl_outputs, "analysis": _analysis_outputs}
