"""Rendering in real headless Chromium: hostile pages, safety rules, the browser's lifetime.

Every test crawls real local servers with the real engine and the machine's Chromium.
The job-API side (modes, planted problems, cancel) is in tests/e2e/test_rendered_crawl.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from seology.audit import run_audit
from seology.core.errors import RenderingUnavailable
from seology.crawler.browser import find_chromium, marked_processes
from seology.crawler.fetch import HTML_TYPES, Fetcher, FetchSettings
from seology.crawler.intercept import InterceptRules
from seology.crawler.render import RenderConfig, Renderer
from seology.crawler.safety import AddressBook
from seology.testing.audit_site import planted_site
from seology.testing.csr_site import client_rendered_site
from seology.testing.sites import Response, SiteServer, html, robots_txt
from tests.integration.crawler.conftest import run_crawl

pytestmark = pytest.mark.skipif(
    not find_chromium().available, reason="rendering needs Chromium (apt-get install chromium)"
)

FAST = RenderConfig(page_timeout=5.0, extra_args=("--js-flags=--max-old-space-size=32",))
SHELL = '<html><head><title>Shell</title></head><body><div id="root"></div>{}</body></html>'
BUILD = "<script>document.getElementById('root').innerHTML = '<h1>Built</h1>';</script>"
HOSTILE = {
    "/hung-script": "<script>while (true) {}</script>",
    "/dialog": "<script>alert('Subscribe!')</script>",
    "/popup": "<script>window.open('/ok')</script>",
    "/js-redirect": "<script>location.href = '/ok'</script>",
    "/never-settles": "<script>fetch('/stream')</script>",
    "/crash": "<script>const a = []; while (true) a.push(new Array(1e5).fill(1.5));</script>",
}


def hostile_site() -> dict[str, Response]:
    links = "".join(f'<a href="{path}">{path}</a>' for path in [*HOSTILE, "/ok"])
    routes = {path: html(SHELL.format(body)) for path, body in HOSTILE.items()}
    routes["/"] = html(SHELL.format(BUILD + links))
    routes["/ok"] = html(SHELL.format(BUILD))
    routes["/stream"] = Response(body=b"{}", content_type="application/json", behaviour="hang")
    routes["/robots.txt"] = robots_txt(sitemap=False)
    return routes


def test_hostile_pages_fail_their_render_and_the_crawl_goes_on(serve: Callable) -> None:
    """A hung script, a dialog, a popup, a script redirect, a network that never settles
    and a renderer crash each give that page `render.error`; every page is still
    recorded (raw facts), and the page after them renders."""
    server = serve(hostile_site())
    # A read timeout past the render's time limit: /stream never answers in time.
    crawled = run_crawl(server.url("/"), render="always", render_config=FAST, read_timeout=10.0)
    pages = crawled.by_path
    assert set(pages) == {"/", "/ok", *HOSTILE}
    for path in HOSTILE:
        render = pages[path].render
        assert render is not None and render.error, path
        assert pages[path].titles == ["Shell"]  # the raw HTML's facts are kept
    assert "renderer crashed" in (pages["/crash"].render.error or "")
    assert "dialog" in (pages["/dialog"].render.error or "")
    assert "popup" in (pages["/popup"].render.error or "")
    assert "navigated away" in (pages["/js-redirect"].render.error or "")
    assert pages["/ok"].render.error is None
    assert pages["/ok"].h1 == "Built"
    found = {i.url for i in run_audit(crawled.records).issues if i.check_id == "js.render_failed"}
    assert found == {server.url(path) for path in HOSTILE}
    assert crawled.outcome.rendering.failures == len(HOSTILE)
    assert marked_processes() == []  # no Chromium process outlives its crawl


def test_a_server_rendered_site_has_no_javascript_findings(serve: Callable) -> None:
    """The audit's planted (server-rendered) site, every page rendered: raw and rendered
    agree everywhere, so no `js.*` finding; `auto` renders none of its pages."""
    site = planted_site()
    server = serve(site.routes)
    always = run_crawl(server.url("/"), max_pages=1000, render="always", render_config=FAST)
    assert always.outcome.rendering.pages_rendered > 20
    found = [i for i in run_audit(always.records).issues if i.check_id.startswith("js.")]
    assert found == []
    auto = run_crawl(server.url("/"), max_pages=1000, render="auto", render_config=FAST)
    assert auto.outcome.rendering.pages_rendered == 0
    assert auto.outcome.rendering.browser is None  # no browser was started at all


def test_always_without_a_browser_fails_at_once(serve: Callable) -> None:
    """`always` on a machine without Chromium raises before any request, saying how to
    install one; `auto` crawls raw HTML and says rendering was unavailable."""
    site = client_rendered_site(3, planted=False)
    server = serve(site.routes)
    missing = RenderConfig(chromium_path="/nonexistent/chromium")
    with pytest.raises(RenderingUnavailable, match="apt-get install chromium"):
        run_crawl(server.url("/"), render="always", render_config=missing)
    assert server.requests == []
    crawled = run_crawl(server.url("/"), render="auto", render_config=missing)
    assert len(crawled.records) == 1
    rendering = crawled.outcome.rendering
    assert rendering.available is False
    assert "SEOLOGY_CHROMIUM_PATH" in (rendering.unavailable_reason or "")


def test_cancelling_a_crawl_closes_its_browser() -> None:
    """A crawl task cancelled mid-render (as a cancelled job's flow is) leaves no Chromium."""
    site = client_rendered_site(3, planted=False)
    slow = dict(site.routes)
    slow["/"] = html(SHELL.format("<script>while (true) {}</script>"))

    async def cancel_while_rendering(start_url: str) -> None:
        from seology.crawler.config import CrawlConfig
        from seology.crawler.engine import crawl

        async def ignore(batch: object) -> None:
            return None

        config = CrawlConfig(
            start_url=start_url,
            max_pages=10,
            allow_private_targets=True,
            parser_processes=0,
            render="always",
            render_config=RenderConfig(page_timeout=60.0),
        )
        task = asyncio.create_task(crawl(config, on_batch=ignore))
        while not marked_processes():  # noqa: ASYNC110 - another process, no event to wait on
            await asyncio.sleep(0.1)
        await asyncio.sleep(1.0)  # the hung page is rendering now
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    with SiteServer(slow) as server:
        asyncio.run(cancel_while_rendering(server.url("/")))
    assert marked_processes() == []


def test_every_request_of_a_page_goes_through_the_safety_rules() -> None:
    """With private targets refused, a page's script, image and XHR aimed at another
    local address (or the metadata address) are never sent; the page still renders."""
    secret = SiteServer({"/secret.json": Response(body=b"{}", content_type="application/json")})
    with secret:
        page = (
            "<html><body><h1>Public page</h1>"
            f'<img src="{secret.url("/pixel.gif")}">'
            '<img src="http://169.254.169.254/latest/meta-data/">'
            f"<script>fetch('{secret.url('/secret.json')}').catch(() => 0)</script>"
            '<iframe src="file:///etc/passwd"></iframe></body></html>'
        )
        with SiteServer({"/": html(page)}) as site:
            host, port = "127.0.0.1", int(site.base_url.rsplit(":", 1)[1])
            book = AddressBook(allow_private=False, exempt=[(host, port)])
            output = asyncio.run(_render_once(site.url("/"), book))
        assert secret.requests == []
    assert output.error is None
    assert "Public page" in (output.html or "")


async def _render_once(url: str, book: AddressBook):
    rules = InterceptRules(user_agent="SeologyBot", can_fetch=lambda _: True)
    settings = FetchSettings(user_agent="SeologyBot", allow_private=False)
    async with Fetcher(settings, book=book) as fetcher:
        raw = await fetcher.fetch(url, body_for=HTML_TYPES)
        path = find_chromium().path or ""
        async with Renderer(FAST, path=path, user_agent="SeologyBot", rules=rules, book=book) as r:
            return await r.render(raw, site="127.0.0.1")
