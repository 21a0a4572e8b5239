"""`GET /api/sites/{id}/analysis`: the latest action plan of a site, and what it cost.

The owner of the site (or the admin) reads the newest analysis, whichever engine wrote
it; another user's site is a 404 like an unknown one, and so is a site never analysed,
with a message that says how to get one.
"""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select
from sqlalchemy.orm import Session

from seology.api.deps import Caller, CallerDep, SessionDep
from seology.api.routes.sites import NOT_FOUND, SiteId
from seology.api.schemas.analysis import AnalysisEnvelope, AnalysisOut
from seology.api.schemas.common import ERROR_RESPONSES
from seology.core.errors import NotFound
from seology.store import sites
from seology.store.models import Analysis, Site

router = APIRouter(prefix="/api/sites", tags=["analysis"], responses=ERROR_RESPONSES)


class AnalysisNotFound(NotFound):
    """The site has no analysis yet: enqueue one with POST /api/jobs/analysis."""


@router.get("/{site_id}/analysis", response_model=AnalysisEnvelope, responses=NOT_FOUND)
def get_latest_analysis(
    site_id: SiteId, caller: CallerDep, session: SessionDep
) -> AnalysisEnvelope:
    """The site's newest analysis: the plan, the engine and model, tokens and cost."""
    site = _site_of(caller, session, site_id)
    row = latest_analysis(session, site_id=site.id)
    if row is None:
        raise AnalysisNotFound(
            f"Site {site.id} has no analysis yet; enqueue one with POST /api/jobs/analysis."
        )
    return AnalysisEnvelope(analysis=AnalysisOut.of(row))


def latest_analysis(session: Session, *, site_id: int) -> Analysis | None:
    """The site's newest analysis; the highest id breaks a tie of creation times."""
    return session.scalar(
        select(Analysis)
        .where(Analysis.site_id == site_id)
        .order_by(Analysis.created_at.desc(), Analysis.id.desc())
        .limit(1)
    )


def _site_of(caller: Caller, session: Session, site_id: int) -> Site:
    """The site, looked up as the admin or as its owner (another user's is a 404)."""
    if caller.user is None:
        return sites.get_site_any(session=session, site_id=site_id)
    return sites.get_site(session=session, user_id=caller.user.id, site_id=site_id)
