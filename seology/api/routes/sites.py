"""`/api/sites`: the websites a user has crawled and analysed.

A user token sees and changes its own sites; the admin secret sees and changes every
site but cannot create one (a site needs an owner). Another user's site is a 404, the
same as an unknown id, so ids cannot be probed.
"""

from __future__ import annotations

from fastapi import APIRouter, Response, status
from sqlalchemy.orm import Session

from seology.api.deps import Caller, CallerDep, CurrentUser, SessionDep, SettingsDep
from seology.api.schemas.common import ERROR_RESPONSES, ErrorBody, SiteId, error_responses
from seology.api.schemas.sites import SiteCreate, SiteEnvelope, SiteList, SiteOut, SiteUpdate
from seology.core.errors import TargetNotAllowed
from seology.crawler.safety import never_allowed
from seology.store import sites
from seology.store.models import Site

router = APIRouter(
    prefix="/api/sites", tags=["sites"], responses={**ERROR_RESPONSES, **error_responses(503)}
)

NOT_FOUND = {404: {"model": ErrorBody, "description": "Unknown site, or another user's"}}


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=SiteOut,
    responses={
        200: {"model": SiteOut, "description": "The user has this URL already"},
        400: {"model": ErrorBody, "description": "Not an http(s) URL"},
        403: {"model": ErrorBody, "description": "The admin secret cannot own sites"},
        413: {"model": ErrorBody, "description": "The request body is too large"},
        422: {"model": ErrorBody, "description": "Invalid body, or a URL never crawlable"},
    },
)
def create_site(
    body: SiteCreate,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    response: Response,
) -> SiteOut:
    """Add a site; idempotent: the same URL again returns the existing site with 200.

    A URL the crawl rules can never allow (a loopback or private address while
    private targets are off) is refused here, 422, rather than at its first crawl.
    """
    url = sites.normalise_url(body.url)
    reason = never_allowed(url, allow_private=settings.allow_private_targets)
    if reason is not None:
        raise TargetNotAllowed(f"Refusing {url}: {reason}, which is never crawled.")
    site, created = sites.get_or_create_site(
        session=session, user_id=user.id, url=body.url, name=body.name
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return SiteOut.of(site)


@router.get("", response_model=SiteList)
def list_sites(caller: CallerDep, session: SessionDep) -> SiteList:
    """The caller's sites; every user's sites for the admin."""
    if caller.user is None:
        found = sites.list_all_sites(session=session)
    else:
        found = sites.list_sites(session=session, user_id=caller.user.id)
    return SiteList(sites=[SiteOut.of(site) for site in found])


@router.get("/{site_id}", response_model=SiteEnvelope, responses=NOT_FOUND)
def get_site(site_id: SiteId, caller: CallerDep, session: SessionDep) -> SiteEnvelope:
    """One site of the caller's (any site for the admin)."""
    return SiteEnvelope(site=SiteOut.of(_site_of(caller, session, site_id)))


@router.patch(
    "/{site_id}", response_model=SiteEnvelope, responses={**NOT_FOUND, **error_responses(400)}
)
def update_site(
    site_id: SiteId, body: SiteUpdate, caller: CallerDep, session: SessionDep
) -> SiteEnvelope:
    """Turn monitoring (the daily and monthly work) on or off."""
    enabled = body.monitoring_enabled
    if caller.user is None:
        site = sites.set_monitoring_any(session=session, site_id=site_id, enabled=enabled)
    else:
        site = sites.set_monitoring(
            session=session, user_id=caller.user.id, site_id=site_id, enabled=enabled
        )
    return SiteEnvelope(site=SiteOut.of(site))


def _site_of(caller: Caller, session: Session, site_id: int) -> Site:
    """The site, looked up as the admin or as its owner."""
    if caller.user is None:
        return sites.get_site_any(session=session, site_id=site_id)
    return sites.get_site(session=session, user_id=caller.user.id, site_id=site_id)
