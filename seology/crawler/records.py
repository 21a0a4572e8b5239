"""What a crawl records about each URL: the contract between the crawler and storage.

The crawler produces one `PageRecord` per URL it fetched (or tried to); storage turns it
into `pages` and `links` rows; the audit reads it back. Plain pydantic models so that
they cross process boundaries (the parser pool) and the database (as JSON) unchanged.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from seology.core.models import CamelModel


class RedirectHop(BaseModel):
    """One hop of a redirect chain, recorded as the server answered it."""

    url: str
    status_code: int
    location: str | None = None


class Canonical(BaseModel):
    href: str
    source: Literal["head", "body", "header"]


class Hreflang(BaseModel):
    lang: str
    href: str


class Image(BaseModel):
    """An `<img>`; `target` is its src resolved and normalised as a link's href is."""

    src: str
    target: str | None = None
    alt: str | None = None
    width: str | None = None
    height: str | None = None


class LinkRecord(BaseModel):
    """An `<a href>` of a page; `target` is the normalised absolute URL, if it has one.

    `onclick`: an `<a>` with no href that only script follows (its `href` is "").
    """

    href: str
    target: str | None = None
    anchor_text: str = ""
    rel: str = ""
    internal: bool = False
    image_alt: str | None = None
    onclick: bool = False


class JsonLdBlock(BaseModel):
    data: object | None = None
    error: str | None = None


RenderMode = Literal["auto", "always", "never"]


class RawFacts(BaseModel):
    """What the raw HTML of a rendered page said: the `js.*` checks compare it with the
    rendered DOM's fields, which are the record's own."""

    titles: list[str] = Field(default_factory=list)
    meta_descriptions: list[str] = Field(default_factory=list)
    meta_robots: list[str] = Field(default_factory=list)
    canonicals: list[Canonical] = Field(default_factory=list)
    h1s: list[str] = Field(default_factory=list)
    word_count: int = 0
    internal_links: int = 0


class PerfFacts(BaseModel):
    """Lab page-experience figures of one render (no throttling), for `perf.*`.

    `complete` is False when rendering loaded only essential resources: the figures
    that need every resource (weight, requests, LCP) are then not judged.
    """

    lcp_ms: float | None = None
    cls: float | None = None
    transferred_bytes: int = 0
    requests: int = 0
    render_blocking: int = 0
    complete: bool = True


class RenderFacts(BaseModel):
    """How a page was rendered, and what only rendering shows."""

    #: Why it was rendered: `always`, or the raw-HTML signal `auto` saw.
    reason: str
    #: Why the render failed (the record's fields are then the raw HTML's).
    error: str | None = None
    duration_ms: float = 0.0
    raw: RawFacts = Field(default_factory=RawFacts)
    #: Internal link targets present only in the rendered DOM (first 20) and their count.
    links_only_rendered: list[str] = Field(default_factory=list)
    links_only_rendered_count: int = 0
    #: Uncaught exceptions while rendering (first messages).
    js_errors: list[str] = Field(default_factory=list)
    #: Scripts, styles and XHR the page asked for that robots.txt disallows (not loaded).
    blocked_resources: list[str] = Field(default_factory=list)
    perf: PerfFacts | None = None


class PageRecord(BaseModel):
    """Everything the audit needs to know about one crawled URL."""

    url: str
    final_url: str | None = None
    depth: int = 0
    status_code: int | None = None
    redirects: list[RedirectHop] = Field(default_factory=list)
    response_time_ms: float | None = None
    content_type: str | None = None
    size_bytes: int | None = None
    truncated: bool = False
    error: str | None = None
    fetched_at: datetime | None = None
    in_sitemap: bool = False
    is_html: bool = False

    titles: list[str] = Field(default_factory=list)
    meta_descriptions: list[str] = Field(default_factory=list)
    meta_robots: list[str] = Field(default_factory=list)
    x_robots_tag: list[str] = Field(default_factory=list)
    robots_meta_in_body: bool = False
    canonicals: list[Canonical] = Field(default_factory=list)
    hreflang: list[Hreflang] = Field(default_factory=list)
    html_lang: str | None = None
    viewport: str | None = None
    charset: str | None = None
    base_href: str | None = None
    headings: dict[str, list[str]] = Field(default_factory=dict)
    # Heading levels in document order (1 for h1…): `headings` alone loses the order
    # that `headings.non_sequential` needs.
    heading_levels: list[int] = Field(default_factory=list)
    word_count: int = 0
    text_hash: str | None = None
    text_fingerprint: str | None = None
    # "lorem ipsum" in the visible body text (decided by the parser, which keeps no text).
    placeholder_text: bool = False
    images: list[Image] = Field(default_factory=list)
    links: list[LinkRecord] = Field(default_factory=list)
    json_ld: list[JsonLdBlock] = Field(default_factory=list)
    open_graph: dict[str, str] = Field(default_factory=dict)
    security_headers: dict[str, str] = Field(default_factory=dict)
    mixed_content: list[str] = Field(default_factory=list)
    # The content of `<meta http-equiv="refresh">`, e.g. "0; url=/new" (`redirect.meta_refresh`).
    meta_refresh: str | None = None
    #: Set when the page was rendered (or a render was tried): the raw facts beside it.
    render: RenderFacts | None = None
    # Lists cut to their per-page bound (`limits.PageLimits`): field → how many the page had.
    capped: dict[str, int] = Field(default_factory=dict)

    @property
    def title(self) -> str | None:
        return self.titles[0] if self.titles else None

    @property
    def meta_description(self) -> str | None:
        return self.meta_descriptions[0] if self.meta_descriptions else None

    @property
    def h1(self) -> str | None:
        h1s = self.headings.get("h1") or []
        return h1s[0] if h1s else None


ResourceKind = Literal["link", "image", "canonical", "hreflang"]


class ResourceRecord(BaseModel):
    """What a URL the pages point to answered, checked without crawling it further.

    `status_code` and `location` are the URL's own answer (a redirect's 3xx); after
    its redirects, `final_url` answered `final_status`. `status_code` None: no answer
    (`error` says why); `error` alone with `checked` False: refused by the safety rules
    or not reached within the crawl's resource time budget, so nothing is judged.
    """

    url: str
    kinds: list[ResourceKind] = Field(default_factory=list)
    checked: bool = True
    status_code: int | None = None
    location: str | None = None
    final_url: str | None = None
    final_status: int | None = None
    error: str | None = None

    @property
    def failed(self) -> bool:
        """Answered >= 400 in the end, nothing at all, or a redirect loop."""
        if not self.checked:
            return False
        final = self.final_status if self.final_status is not None else self.status_code
        return self.error is not None or final is None or final >= 400

    @property
    def problem(self) -> bool:
        """Checked, and failed or not 2xx itself: the records the audit may report."""
        own = self.status_code
        return self.checked and (self.failed or own is None or not 200 <= own < 300)


class ResourceCounts(BaseModel):
    """Resource checks of one kind in a crawl (a URL of two kinds counts in both)."""

    checked: int = 0
    failed: int = 0
    unchecked: int = 0


class LabFigure(CamelModel):
    """One lab figure over a crawl's measured pages (`lab.LabFigures`).

    Percentiles are nearest-rank: each is a value some page really had. None when no
    page had the figure (nothing rendered, or only essential resources loaded).
    """

    #: How many pages had this figure (fewer than measured for the figures that need
    #: every resource, when some renders loaded only the essential ones).
    pages: int = 0
    p50: int | float | None = None
    p75: int | float | None = None
    max: int | float | None = None


class SlowPage(CamelModel):
    """One of a crawl's pages with the slowest LCP, with its other lab figures."""

    url: str
    lcp_ms: float
    cls: float | None = None
    transferred_bytes: int = 0
    requests: int = 0
    render_blocking: int = 0


class LabSummary(CamelModel):
    """The lab figures of a crawl's rendered pages: the job result's `rendering.lab`
    (dumped by alias: camelCase, as the rest of the result)."""

    #: Pages rendered without an error, whose figures count here.
    pages_measured: int = 0
    lcp_ms: LabFigure = Field(default_factory=LabFigure)
    cls: LabFigure = Field(default_factory=LabFigure)
    transferred_bytes: LabFigure = Field(default_factory=LabFigure)
    requests: LabFigure = Field(default_factory=LabFigure)
    render_blocking: LabFigure = Field(default_factory=LabFigure)
    #: The pages with the slowest LCP, slowest first.
    slowest: list[SlowPage] = Field(default_factory=list)


class RenderingSummary(BaseModel):
    """What rendering did in a crawl: the job result's `rendering`."""

    mode: RenderMode
    available: bool = True
    #: Why rendering could not run (`auto` then crawled raw HTML only).
    unavailable_reason: str | None = None
    pages_rendered: int = 0
    #: Pages rendered per reason (`always`, or the `auto` signal).
    reasons: dict[str, int] = Field(default_factory=dict)
    failures: int = 0
    seconds: float = 0.0
    browser: str | None = None
    #: Filled when rendering is over (`rendering.PageRendering`).
    lab: LabSummary = Field(default_factory=LabSummary)


class CrawlOutcome(BaseModel):
    """How a crawl ended; the flow stores it as the crawl's summary."""

    start_url: str
    pages_crawled: int = 0
    html_pages: int = 0
    errors: int = 0
    urls_discovered: int = 0
    urls_blocked_by_robots: int = 0
    sitemap_urls: int = 0
    # "robots": robots.txt (a 5xx, no answer, unreadable in time, or its rules) left
    # nothing to fetch.
    stopped_by: Literal["completed", "max_pages", "time_limit", "robots"] = "completed"
    duration_seconds: float = 0.0
    robots_status: int | None = None
    # Why robots.txt could not be read (no answer, or not in time); then nothing is allowed.
    robots_error: str | None = None
    # Neither robots.txt nor the start page answered: why (the crawl stopped there).
    unreachable: str | None = None
    # Links not followed because the crawl's URL memory or page budget was full.
    urls_not_followed: int = 0
    sitemaps: list[str] = Field(default_factory=list)
    # Sitemap URL → why it could not be read (`sitemap.parse_error`, `sitemap.too_big`).
    sitemap_errors: dict[str, str] = Field(default_factory=dict)
    # robots.txt as read (≤ 500 KiB), for `robots.invalid` and `robots.ai_bots_blocked`.
    robots_txt: str | None = None
    # Internal URLs found but disallowed by robots.txt (first 1,000).
    blocked_urls: list[str] = Field(default_factory=list)
    # Resource checks by kind (`link`, `image`, `canonical`, `hreflang`).
    resources: dict[str, ResourceCounts] = Field(default_factory=dict)
    rendering: RenderingSummary | None = None
