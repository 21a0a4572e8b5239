"""robots.txt: fetch it once per crawl and answer "may we fetch this URL?".

RFC 9309 semantics come from Protego (Scrapy's parser: longest match wins, `allow`
wins ties, `*` and `$`), not `urllib.robotparser`, which gets those wrong. The status
rules are RFC 9309's: 4xx means no restrictions, 5xx or no answer means the site is
off limits (the audit reports it as `robots.server_error`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from protego import Protego

from seology.crawler.fetch import Fetcher

MAX_ROBOTS_BYTES = 500 * 1024


@dataclass(frozen=True, kw_only=True)
class RobotsPolicy:
    """The answer of one robots.txt for one user agent.

    `status` is the HTTP status (None when the server did not answer); `text` the
    (size-capped) file as read, kept for the audit's validator.
    """

    user_agent: str
    status: int | None = None
    text: str | None = None
    error: str | None = None
    allow_all: bool = False
    parser: Protego | None = field(default=None, repr=False, compare=False)

    def can_fetch(self, url: str) -> bool:
        """May our user agent fetch `url`? (Our group first, then `*`.)"""
        if self.allow_all:
            return True
        if self.parser is None:
            return False
        return bool(self.parser.can_fetch(url, self.user_agent))

    @property
    def crawl_delay(self) -> float | None:
        """The `Crawl-delay` for our agent (or `*`), in seconds."""
        if self.parser is None:
            return None
        delay = self.parser.crawl_delay(self.user_agent)
        return float(delay) if delay is not None else None

    @property
    def sitemaps(self) -> tuple[str, ...]:
        """The `Sitemap:` URLs listed, in order."""
        return tuple(self.parser.sitemaps) if self.parser is not None else ()


def robots_url(url: str) -> str:
    """`/robots.txt` at the origin of `url`."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/robots.txt", "", ""))


def parse_robots(status: int | None, body: bytes, *, user_agent: str) -> RobotsPolicy:
    """The policy a robots.txt answer means (RFC 9309 section 2.3.1)."""
    if status is None or status >= 500:
        return RobotsPolicy(user_agent=user_agent, status=status)
    if not 200 <= status < 300:
        return RobotsPolicy(user_agent=user_agent, status=status, allow_all=True)
    text = _decode(body[:MAX_ROBOTS_BYTES])
    parser = Protego.parse(text)
    return RobotsPolicy(user_agent=user_agent, status=status, text=text, parser=parser)


def _decode(body: bytes) -> str:
    """UTF-8 text of the file; a cut-off last line is dropped, NULs removed."""
    text = body.decode("utf-8", errors="replace").replace("\x00", "")
    if len(body) >= MAX_ROBOTS_BYTES and "\n" in text:
        text = text[: text.rindex("\n") + 1]
    return text


async def fetch_robots(fetcher: Fetcher, site_url: str, *, user_agent: str) -> RobotsPolicy:
    """Fetch and parse the robots.txt of the site of `site_url`.

    A file that cannot be read whole in time (no answer, or a body that trickles past
    the request deadline) is "disallow all", with `error` saying why; a 4xx needs no
    body, so it allows all whatever happened to the body.
    """
    result = await fetcher.fetch(robots_url(site_url), max_bytes=MAX_ROBOTS_BYTES)
    policy = parse_robots(result.status_code, result.body, user_agent=user_agent)
    if result.error and not policy.allow_all:
        error = f"robots.txt could not be read: {result.error}"
        return RobotsPolicy(user_agent=user_agent, status=policy.status, error=error)
    return policy
