"""URL normalisation and the "same site" test, per docs/audit-checks.md "Crawl rules".

Two spellings of one page must become one string, or the crawler fetches it twice and
the audit counts it twice: so every URL the crawler sees goes through `normalize_url`
before it reaches the seen-set. Pure functions, no I/O.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

import idna

_SCHEMES = frozenset({"http", "https"})
_DEFAULT_PORTS = {"http": 80, "https": 443}
_TRACKING_KEYS = frozenset({"gclid", "fbclid"})
# Characters left alone when percent-encoding: RFC 3986 reserved + unreserved + "%".
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
_QUERY_SAFE = _PATH_SAFE + "?"
_ASCII_HOST = re.compile(r"^[a-z0-9.\-_]*$")


def normalize_url(href: str, base: str | None = None) -> str | None:
    """The canonical absolute form of `href` seen from `base`, or None if not http(s).

    Resolves against `base`, drops the fragment, lowercases scheme and host, drops the
    default port, removes `utm_*`, `gclid` and `fbclid` parameters (keeping the other
    parameters in order), percent-encodes non-ASCII and IDNA-encodes the host.
    """
    href = href.strip()
    try:
        parts = urlsplit(urljoin(base, href) if base else href)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = _encode_host(parts.hostname or "")
    if scheme not in _SCHEMES or not host:
        return None
    userinfo, at, _ = parts.netloc.rpartition("@")
    netloc = _netloc(scheme, host, port, userinfo if at else None)
    path = quote(parts.path, safe=_PATH_SAFE) or "/"
    query = _clean_query(parts.query)
    return urlunsplit((scheme, netloc, path, query, ""))


def _encode_host(host: str) -> str | None:
    """Lowercase ASCII host; IDNA for international names; None if not encodable."""
    host = host.lower().rstrip(".")
    if _ASCII_HOST.match(host) or ":" in host:
        return host
    try:
        return idna.encode(host, uts46=True).decode("ascii")
    except idna.IDNAError:
        return None


def _netloc(scheme: str, host: str, port: int | None, userinfo: str | None) -> str:
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        netloc = f"{netloc}:{port}"
    return f"{userinfo}@{netloc}" if userinfo is not None else netloc


def _clean_query(query: str) -> str:
    """Drop tracking parameters, keep the rest as written (only non-ASCII encoded)."""
    if not query:
        return ""
    kept = [pair for pair in query.split("&") if pair and not _is_tracking(pair)]
    return quote("&".join(kept), safe=_QUERY_SAFE)


def _is_tracking(pair: str) -> bool:
    key = pair.partition("=")[0].lower()
    return key.startswith("utm_") or key in _TRACKING_KEYS


def site_host(url: str) -> str:
    """The host that names the site: lowercase, without a leading `www.`."""
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""
    return host.removeprefix("www.")


def is_internal(url: str, site: str) -> bool:
    """True when `url` is on the site `site` (a host; `www.` and bare host are one site)."""
    return bool(site) and site_host(url) == site.lower().removeprefix("www.")
