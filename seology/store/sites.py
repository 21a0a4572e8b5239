"""Sites: the websites a user has us crawl and analyse.

A site's URL is stored normalised (lowercase scheme and host, no default port, no
fragment, `/` for an empty path), so that `HTTPS://Example.com` and
`https://example.com/` are the same site. Whether the host is a public address is
decided at crawl time, where DNS is resolved, not here.
"""

from __future__ import annotations

from urllib.parse import SplitResult, urlsplit, urlunsplit

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from seology.core.errors import InvalidInput, InvalidTargetURL, SiteNotFound
from seology.store.models import Site

MAX_URL_LENGTH = 2048
MAX_NAME_LENGTH = 200
DEFAULT_PORTS = {"http": 80, "https": 443}


def normalise_url(url: str) -> str:
    """The canonical form of a site URL, or `InvalidTargetURL` saying what is wrong."""
    url = url.strip()
    if len(url) > MAX_URL_LENGTH:
        raise InvalidTargetURL(f"The URL is {len(url)} characters; at most {MAX_URL_LENGTH}.")
    if any(char.isspace() or ord(char) < 32 for char in url):
        raise InvalidTargetURL("The URL contains whitespace or control characters.")
    parts = _split(url)
    netloc = _netloc(parts)
    normalised = urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", parts.query, ""))
    if len(normalised) > MAX_URL_LENGTH:
        raise InvalidTargetURL(f"The URL is longer than {MAX_URL_LENGTH} characters.")
    return normalised


def _split(url: str) -> SplitResult:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - parsing the port validates it
    except ValueError as exc:
        raise InvalidTargetURL(f"Not a valid URL: {url!r} ({exc}).") from exc
    if parts.scheme.lower() not in DEFAULT_PORTS:
        raise InvalidTargetURL(f"Only http and https URLs can be crawled; got {url!r}.")
    if not parts.hostname:
        raise InvalidTargetURL(f"The URL has no host: {url!r}.")
    if parts.username is not None or parts.password is not None:
        raise InvalidTargetURL("The URL must not contain credentials (user:password@).")
    return parts


def _netloc(parts: SplitResult) -> str:
    """Lowercase host, brackets kept for IPv6, port dropped when it is the default."""
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    if parts.port is None or parts.port == DEFAULT_PORTS[parts.scheme.lower()]:
        return host
    return f"{host}:{parts.port}"


def default_name(url: str) -> str:
    """A site's name when none is given: its host (and port, if not the default)."""
    return urlsplit(url).netloc


def validate_name(name: str) -> str:
    """A site name, trimmed; 1–200 characters."""
    name = name.strip()
    if not 1 <= len(name) <= MAX_NAME_LENGTH:
        msg = f"A site name has 1 to {MAX_NAME_LENGTH} characters; got {len(name)}."
        raise InvalidInput(msg)
    return name


def get_or_create_site(
    *, session: Session, user_id: int, url: str, name: str | None = None
) -> tuple[Site, bool]:
    """The user's site for `url`, created if needed; returns `(site, created)`.

    Idempotent: adding a URL the user already has returns the existing site unchanged
    (its name included), so a client may safely retry a timed-out request.
    """
    url = normalise_url(url)
    name = validate_name(name) if name is not None else default_name(url)
    existing = _find_by_url(session, user_id, url)
    if existing is not None:
        return existing, False
    site = Site(user_id=user_id, url=url, name=name)
    try:
        with session.begin_nested():
            session.add(site)
    except IntegrityError:
        existing = _find_by_url(session, user_id, url)
        if existing is None:  # not a race on the same URL: a real error
            raise
        return existing, False  # the same URL was added concurrently: theirs wins
    return site, True


def create_site(*, session: Session, user_id: int, url: str, name: str | None = None) -> Site:
    """`get_or_create_site` without the flag: idempotent, the existing site if any."""
    return get_or_create_site(session=session, user_id=user_id, url=url, name=name)[0]


def list_sites(*, session: Session, user_id: int) -> list[Site]:
    """The user's sites, oldest first."""
    query = select(Site).where(Site.user_id == user_id).order_by(Site.id)
    return list(session.scalars(query))


def list_all_sites(*, session: Session) -> list[Site]:
    """Every user's sites, oldest first: admin and scheduled work only."""
    return list(session.scalars(select(Site).order_by(Site.id)))


def get_site(*, session: Session, user_id: int, site_id: int) -> Site:
    """The user's site `site_id`.

    Raises `SiteNotFound` both for an unknown id and for another user's site, so
    that ids cannot be probed for existence.
    """
    site = session.get(Site, site_id)
    if site is None or site.user_id != user_id:
        raise SiteNotFound(f"No site with id {site_id}.")
    return site


def get_site_any(*, session: Session, site_id: int) -> Site:
    """Site `site_id` whoever owns it: admin and internal use only."""
    site = session.get(Site, site_id)
    if site is None:
        raise SiteNotFound(f"No site with id {site_id}.")
    return site


def set_monitoring(*, session: Session, user_id: int, site_id: int, enabled: bool) -> Site:
    """Turn the daily and monthly work for the user's site on or off."""
    site = get_site(session=session, user_id=user_id, site_id=site_id)
    return _set_monitoring(session, site, enabled)


def set_monitoring_any(*, session: Session, site_id: int, enabled: bool) -> Site:
    """`set_monitoring` for any user's site: admin only."""
    return _set_monitoring(session, get_site_any(session=session, site_id=site_id), enabled)


def _set_monitoring(session: Session, site: Site, enabled: bool) -> Site:
    site.monitoring_enabled = enabled
    session.flush()
    return site


def _find_by_url(session: Session, user_id: int, url: str) -> Site | None:
    query = select(Site).where(Site.user_id == user_id, Site.url == url)
    return session.scalars(query).one_or_none()
