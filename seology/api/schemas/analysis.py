"""`GET /api/sites/{id}/analysis`: the latest plan, its engine, tokens and cost."""

from __future__ import annotations

from seology.analysis.model import SiteAnalysis
from seology.api.schemas.common import Timestamp
from seology.core.models import CamelModel
from seology.store.models import Analysis


class AnalysisUsageOut(CamelModel):
    """Tokens of every answer billed, and the cost estimated from list prices (USD)."""

    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    cost_usd: float


class AnalysisOut(CamelModel):
    id: int
    job_id: str
    site_id: int
    crawl_id: int | None
    engine: str
    model: str | None
    created_at: Timestamp
    usage: AnalysisUsageOut
    plan: SiteAnalysis

    @classmethod
    def of(cls, row: Analysis) -> AnalysisOut:
        """The public view of an `Analysis` row; its plan validated as a `SiteAnalysis`."""
        return cls(
            id=row.id,
            job_id=row.flow_run_id,
            site_id=row.site_id,
            crawl_id=row.crawl_id,
            engine=row.engine,
            model=row.model,
            created_at=row.created_at,
            usage=AnalysisUsageOut(
                input_tokens=row.input_tokens,
                output_tokens=row.output_tokens,
                cache_read_tokens=row.cache_read_tokens,
                cache_write_tokens=row.cache_write_tokens,
                cost_usd=row.cost_usd,
            ),
            plan=SiteAnalysis.model_validate(row.result),
        )


class AnalysisEnvelope(CamelModel):
    analysis: AnalysisOut
