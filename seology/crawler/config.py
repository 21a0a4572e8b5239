"""What one crawl is allowed to do: `CrawlConfig`, filled from the settings.

Kept apart from the engine so that the flow's task, tests and benchmarks build a crawl's
limits without reading how the crawl runs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from seology.core.settings import Settings
from seology.crawler.fetch import FetchSettings
from seology.crawler.limits import PageLimits
from seology.crawler.records import RenderMode
from seology.crawler.render import RenderConfig
from seology.crawler.resources import ALL_KINDS, ResourceSettings

DEFAULT_RESOURCES = ResourceSettings()


@dataclass(frozen=True, kw_only=True)
class CrawlConfig:
    """Everything one crawl needs; `from_settings` fills the defaults from Settings."""

    start_url: str
    max_pages: int
    max_depth: int = 20
    user_agent: str = "SeologyBot/0.1"
    concurrency: int = 16
    per_host_connections: int = 4
    per_host_delay: float = 0.0
    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    max_page_bytes: int = 5 * 1024 * 1024
    time_limit: float = 1800.0
    allow_private_targets: bool = False
    #: None: one per `POOL_MIN_PAGES` pages, at most one per core; 0: a thread (tests).
    parser_processes: int | None = None
    batch_size: int = 50
    #: What pages point to, checked without crawling it (None: nothing is checked).
    resources: ResourceSettings | None = DEFAULT_RESOURCES
    ca_file: str | None = None
    #: `never`, `always`, or `auto` (render the pages that look client-rendered).
    render: RenderMode = "never"
    render_config: RenderConfig = field(default_factory=RenderConfig)
    #: A batch is sent early once its records hold this many links.
    batch_max_links: int = 20_000
    page_limits: PageLimits = field(default_factory=PageLimits)
    #: URLs the crawl remembers (seen-set); past it, new links are counted, not followed.
    max_tracked_urls: int = 200_000
    sitemap_urls_per_page: int = 10
    max_sitemap_urls: int = 100_000
    sitemap_files_per_page: float = 0.1
    max_sitemap_files: int = 50

    def __post_init__(self) -> None:
        if self.max_pages < 1 or self.concurrency < 1 or self.batch_size < 1:
            msg = "max_pages, concurrency and batch_size must be at least 1"
            raise ValueError(msg)

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        start_url: str,
        max_pages: int,
        render: RenderMode = "never",
    ) -> CrawlConfig:
        """The crawl the settings describe, for `start_url`, `max_pages` and `render`."""
        return cls(
            start_url=start_url,
            max_pages=min(max_pages, settings.crawl_max_pages_limit),
            max_depth=settings.crawl_max_depth,
            user_agent=settings.crawl_user_agent,
            concurrency=settings.crawl_concurrency,
            per_host_connections=settings.crawl_per_host_connections,
            per_host_delay=settings.crawl_per_host_delay,
            connect_timeout=settings.crawl_connect_timeout,
            read_timeout=settings.crawl_read_timeout,
            max_page_bytes=settings.crawl_max_page_bytes,
            time_limit=settings.crawl_time_limit,
            allow_private_targets=settings.allow_private_targets,
            resources=resource_settings(settings),
            ca_file=settings.crawl_ca_file,
            render=render,
            render_config=RenderConfig(
                chromium_path=settings.chromium_path,
                tabs=settings.render_tabs,
                tab_pages=settings.render_tab_pages,
                page_timeout=settings.render_page_timeout,
                idle_ms=settings.render_idle_ms,
                third_party=settings.render_third_party,
                essential_only=settings.render_resources == "essential",
            ),
            batch_max_links=settings.crawl_batch_max_links,
            page_limits=PageLimits(
                links=settings.crawl_max_links_per_page,
                images=settings.crawl_max_images_per_page,
                json_ld=settings.crawl_max_json_ld_per_page,
                headings=settings.crawl_max_headings_per_page,
            ),
            max_tracked_urls=settings.crawl_max_tracked_urls,
            max_sitemap_urls=settings.crawl_max_sitemap_urls,
            max_sitemap_files=settings.crawl_max_sitemap_files,
        )

    @property
    def sitemap_budget(self) -> tuple[int, int]:
        """(files, URLs) sitemap discovery may read: in proportion to `max_pages`, capped."""
        files = max(2, math.ceil(self.max_pages * self.sitemap_files_per_page))
        urls = max(self.max_pages, self.max_pages * self.sitemap_urls_per_page)
        return min(files, self.max_sitemap_files), min(urls, self.max_sitemap_urls)

    def fetch_settings(self) -> FetchSettings:
        return FetchSettings(
            user_agent=self.user_agent,
            connect_timeout=self.connect_timeout,
            read_timeout=self.read_timeout,
            max_bytes=self.max_page_bytes,
            max_connections=self.concurrency,
            allow_private=self.allow_private_targets,
            ca_file=self.ca_file,
        )


def resource_settings(settings: Settings) -> ResourceSettings | None:
    """The resource checks the settings turn on, or None when every kind is off."""
    wanted = {
        "link": settings.crawl_check_external_links,
        "image": settings.crawl_check_images,
        "canonical": settings.crawl_check_canonicals,
        "hreflang": settings.crawl_check_hreflang,
    }
    kinds = frozenset(kind for kind in ALL_KINDS if wanted[kind])
    if not kinds:
        return None
    return ResourceSettings(
        kinds=kinds,
        follow_redirects=settings.crawl_follow_resource_redirects,
        concurrency=settings.crawl_resource_concurrency,
        per_host_connections=settings.crawl_resource_per_host_connections,
        timeout=settings.crawl_resource_timeout,
        time_budget=settings.crawl_resource_time_budget,
    )
