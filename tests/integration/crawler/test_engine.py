"""The crawl engine over real HTTP against local SiteServers."""

from __future__ import annotations

import asyncio
import socket
import time

import pytest

from seology.core.errors import InvalidTargetURL
from seology.crawler.config import CrawlConfig
from seology.crawler.engine import crawl
from seology.testing.sites import (
    Response,
    calendar_fallback,
    demo_site,
    generate_site,
    html,
    page_html,
    redirect,
    robots_txt,
    sitemap_xml,
    text,
)
from tests.integration.crawler.conftest import run_crawl

PAGE_PATHS = {"/", *(f"/page/{n}" for n in range(1, 30))}


def page(title: str, links: list[str] = (), extra: str = "") -> Response:
    anchors = "".join(f'<a href="{href}">link to {href}</a>' for href in links)
    return html(page_html(title=title, body=f"<h1>{title}</h1>{anchors}{extra}"))


class TestDiscovery:
    def test_finds_every_reachable_and_sitemap_page_and_nothing_disallowed(self, serve):
        """Links and the sitemap are both followed; a robots.txt-disallowed page is not."""
        routes = generate_site(30)
        routes["/orphan"] = page("Only in the sitemap")
        routes["/sitemap.xml"] = sitemap_xml(["/", "/orphan", "/page/3"])
        routes["/robots.txt"] = robots_txt("Disallow: /page/5$")
        server = serve(routes)
        crawled = run_crawl(server.url("/"))
        assert set(crawled.by_path) == (PAGE_PATHS - {"/page/5"}) | {"/orphan"}
        assert server.count("/page/5") == 0
        assert crawled.outcome.urls_blocked_by_robots == 1
        assert crawled.outcome.blocked_urls == [server.url("/page/5")]
        assert crawled.outcome.stopped_by == "completed"
        assert crawled.by_path["/orphan"].in_sitemap
        assert crawled.by_path["/orphan"].depth == 1
        assert not crawled.by_path["/page/7"].in_sitemap

    def test_each_url_fetched_once(self, serve):
        """The seen-set stops repeat requests, whatever the link density."""
        server = serve(generate_site(40, seed=3))
        crawled = run_crawl(server.url("/"), concurrency=8, per_host_connections=8)
        assert crawled.outcome.pages_crawled == 40
        assert len(server.requests) == len(set(server.requests))

    def test_records_fields_and_depth(self, serve):
        """Records carry status, type, size, timing and parsed fields; depth is BFS depth."""
        server = serve(generate_site(10, with_sitemap=False))
        crawled = run_crawl(server.url("/"))
        home = crawled.by_path["/"]
        assert (home.status_code, home.is_html, home.depth) == (200, True, 0)
        assert home.content_type == "text/html; charset=utf-8"
        assert home.size_bytes and home.response_time_ms is not None
        assert home.title.startswith("Generated page number 0")
        assert home.text_hash and home.word_count >= 250
        assert crawled.by_path["/page/1"].depth == 1  # every page links to the next

    def test_external_links_are_not_followed(self, serve):
        """Only internal links are crawled; an external target is only asked (HEAD, by the
        resource checks), never fetched as a page."""
        other = serve({"/": page("Other site")})
        site = serve({"/": page("Home", [other.url("/").replace("127.0.0.1", "localhost")])})
        crawled = run_crawl(site.url("/"))
        assert list(crawled.by_path) == ["/"]
        assert other.methods == ["HEAD"]

    def test_batches_and_progress(self, serve):
        """Records arrive in batch_size batches plus a remainder; progress after each page."""
        server = serve(generate_site(30))
        crawled = run_crawl(server.url("/"), batch_size=7, max_pages=100)
        assert crawled.batches == [7, 7, 7, 7, 2]
        assert crawled.progress[-1] == (30, 100)
        assert [done for done, _ in crawled.progress] == list(range(1, 31))

    def test_non_html_recorded_not_parsed(self, serve):
        """A PDF is recorded with status, type and size, and not parsed."""
        pdf = Response(body=b"%PDF-1.4" + b"x" * 5000, content_type="application/pdf")
        server = serve({"/": page("Home", ["/doc.pdf"]), "/doc.pdf": pdf})
        record = run_crawl(server.url("/")).by_path["/doc.pdf"]
        assert (record.status_code, record.is_html, record.size_bytes) == (200, False, 5008)
        assert record.content_type == "application/pdf"
        assert record.titles == [] and record.text_hash is None


class TestLimits:
    def test_max_pages(self, serve):
        """No more than max_pages URLs are fetched, and the outcome says why it stopped."""
        server = serve(generate_site(50))
        crawled = run_crawl(server.url("/"), max_pages=10)
        assert crawled.outcome.pages_crawled == len(crawled.records) == 10
        assert crawled.outcome.stopped_by == "max_pages"
        page_requests = [p for p in server.requests if p.startswith(("/page", "/?"))]
        assert len(page_requests) <= 9  # the other one is "/"

    def test_max_depth(self, serve):
        """Pages deeper than max_depth are not fetched."""
        chain = {"/": page("d0", ["/1"])} | {
            f"/{n}": page(f"d{n}", [f"/{n + 1}"]) for n in range(1, 9)
        }
        server = serve(chain)
        crawled = run_crawl(server.url("/"), max_depth=3)
        assert set(crawled.by_path) == {"/", "/1", "/2", "/3"}
        assert server.count("/4") == 0

    def test_calendar_infinite_space_is_bounded(self, serve):
        """An endless ?month=N link space stops at max_pages and at max_depth."""
        server = serve({}, fallback=calendar_fallback)
        by_pages = run_crawl(server.url("/calendar?month=0"), max_pages=25)
        assert by_pages.outcome.pages_crawled == 25
        assert by_pages.outcome.stopped_by == "max_pages"
        by_depth = run_crawl(server.url("/calendar?month=0"), max_depth=3)
        months = {r.url.rsplit("=", 1)[1] for r in by_depth.records}
        assert months == {"-3", "-2", "-1", "0", "1", "2", "3"}

    def test_time_limit(self, serve):
        """The crawl stops at time_limit and still delivers what it has."""
        slow = {f"/{n}": Response(body=b"<p>slow</p>", delay=0.3) for n in range(50)}
        links = [f"/{n}" for n in range(50)]
        server = serve({"/": page("Home", links), **slow})
        started = time.monotonic()
        crawled = run_crawl(server.url("/"), time_limit=1.0, per_host_connections=2)
        assert time.monotonic() - started < 3
        assert crawled.outcome.stopped_by == "time_limit"
        assert 1 <= crawled.outcome.pages_crawled < 51
        assert len(crawled.records) == crawled.outcome.pages_crawled

    def test_crawl_delay_honoured(self, serve):
        """robots.txt Crawl-delay longer than ours spaces the requests out."""
        routes = generate_site(4, with_sitemap=False)
        routes["/robots.txt"] = text("User-agent: *\nCrawl-delay: 0.25\n")
        server = serve(routes)
        started = time.monotonic()
        crawled = run_crawl(server.url("/"))
        assert crawled.outcome.pages_crawled == 4
        assert time.monotonic() - started >= 0.7


class TestRedirects:
    def test_chain_recorded_hop_by_hop(self, serve):
        """Each hop is recorded; the record ends on the final page, parsed."""
        server = serve(
            {
                "/": page("Home", ["/old"]),
                "/old": redirect("/older"),
                "/older": redirect("/newer", status=302),
                "/newer": redirect(server_url := "/final", status=308),
                server_url: page("Final page"),
            }
        )
        record = run_crawl(server.url("/")).by_path["/old"]
        assert [(h.url.rsplit("/", 1)[1], h.status_code) for h in record.redirects] == [
            ("old", 301),
            ("older", 302),
            ("newer", 308),
        ]
        assert record.final_url == server.url("/final")
        assert (record.status_code, record.title, record.error) == (200, "Final page", None)

    @pytest.mark.parametrize("concurrency", [1, 16])
    def test_redirect_target_fetched_once(self, serve, concurrency):
        """A page reached by a redirect is not fetched again when a link names it."""
        routes = {
            "/": page("Home", ["/old", "/a"]),
            "/old": redirect("/final"),
            "/a": page("A", ["/final", "/b"]),
            "/b": page("B", ["/final"]),
            "/final": page("Final page", ["/"]),
        }
        server = serve(routes)
        crawled = run_crawl(server.url("/"), concurrency=concurrency, per_host_connections=1)
        assert server.count("/final") == 1
        assert crawled.by_path["/old"].title == "Final page"
        assert len(server.requests) == len(set(server.requests))

    def test_queued_link_to_a_redirect_target_is_skipped(self, serve):
        """A link queued before the redirect ran is dropped once the redirect fetched it."""
        routes = {
            "/": page("Home", ["/old", "/final"]),
            "/old": redirect("/final"),
            "/final": page("Final page"),
        }
        server = serve(routes)
        crawled = run_crawl(server.url("/"), concurrency=1)
        assert server.count("/final") == 1
        assert set(crawled.by_path) == {"/", "/old"}
        assert crawled.by_path["/old"].final_url == server.url("/final")

    def test_loop_is_an_error(self, serve):
        """A redirect chain that revisits a URL ends with a loop error."""
        server = serve({"/": page("Home", ["/a"]), "/a": redirect("/b"), "/b": redirect("/a")})
        record = run_crawl(server.url("/")).by_path["/a"]
        assert "redirect loop" in record.error
        assert len(record.redirects) == 2

    def test_more_than_ten_hops_is_an_error(self, serve):
        """At most 10 redirects are followed."""
        hops = {f"/r{n}": redirect(f"/r{n + 1}") for n in range(15)}
        server = serve({"/": page("Home", ["/r0"]), **hops})
        record = run_crawl(server.url("/")).by_path["/r0"]
        assert "more than 10 redirects" in record.error
        assert server.count("/r11") == 0

    def test_redirect_to_non_http_is_an_error(self, serve):
        """A Location we cannot follow is recorded, not raised."""
        server = serve({"/": page("Home", ["/m"]), "/m": redirect("mailto:x@example.com")})
        record = run_crawl(server.url("/")).by_path["/m"]
        assert "cannot follow" in record.error


class TestHostileServers:
    def test_large_page_truncated(self, serve):
        """A 10 MB page is read only up to max_page_bytes and flagged truncated."""
        big = page_html(title="Big", body="<p>" + "word " * 2_100_000 + "</p>")
        server = serve({"/": page("Home", ["/big"]), "/big": html(big)})
        record = run_crawl(server.url("/"), max_page_bytes=1024 * 1024).by_path["/big"]
        assert record.truncated
        assert record.size_bytes >= 10_000_000
        assert record.title == "Big"
        assert 100_000 < record.word_count < 1024 * 1024 // 5 + 1

    def test_hanging_server_times_out(self, serve):
        """A response that never finishes ends in a timeout error record, not a hang."""
        server = serve(
            {"/": page("Home", ["/hang"]), "/hang": Response(body=b"<p>", behaviour="hang")}
        )
        started = time.monotonic()
        record = run_crawl(server.url("/"), read_timeout=0.5).by_path["/hang"]
        assert time.monotonic() - started < 5
        assert record.status_code == 200
        assert "timeout" in record.error

    def test_dripping_server_hits_the_deadline(self, serve):
        """A byte every 50 ms defeats the read timeout but not the request deadline."""
        drip = Response(body=b"<p>", behaviour="drip")
        server = serve({"/": page("Home", ["/drip"]), "/drip": drip})
        started = time.monotonic()
        record = run_crawl(server.url("/"), connect_timeout=0.5, read_timeout=0.5).by_path["/drip"]
        assert time.monotonic() - started < 5
        assert "timeout" in record.error

    def test_connection_refused(self, serve):
        """A URL whose port refuses connections is recorded with the error, status None."""
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            closed_port = sock.getsockname()[1]
        dead = f"http://127.0.0.1:{closed_port}/gone"
        server = serve({"/": page("Home", [dead])})
        record = run_crawl(server.url("/")).by_path["/gone"]
        assert record.status_code is None
        assert "connection failed" in record.error

    def test_dns_failure_recorded(self):
        """An unresolvable start host (private targets allowed) gives one error record."""
        crawled = run_crawl("http://no-such-host.invalid/")
        assert crawled.outcome.robots_status is None
        [record] = crawled.records
        assert record.status_code is None
        assert "DNS failure" in record.error

    def test_binary_served_as_html(self, serve):
        """Random bytes labelled text/html are parsed without failing the crawl."""
        junk = Response(body=bytes(range(256)) * 400)
        server = serve({"/": page("Home", ["/junk"]), "/junk": junk})
        record = run_crawl(server.url("/")).by_path["/junk"]
        assert record.is_html and record.error is None

    def test_broken_encodings(self, serve):
        """A lying or unknown charset decodes with replacement characters."""
        latin = "<title>Café crème</title>".encode("latin-1")
        server = serve(
            {
                "/": page("Home", ["/lying", "/unknown", "/latin"]),
                "/lying": Response(body=latin, content_type="text/html; charset=utf-8"),
                "/unknown": Response(body=latin, content_type="text/html; charset=klingon"),
                "/latin": Response(body=latin, content_type="text/html; charset=iso-8859-1"),
            }
        )
        by_path = run_crawl(server.url("/")).by_path
        assert by_path["/lying"].title == "Caf\ufffd cr\ufffdme"
        assert by_path["/unknown"].title == "Caf\ufffd cr\ufffdme"
        assert by_path["/latin"].title == "Café crème"


class TestRobots:
    def test_server_error_disallows_all(self, serve):
        """robots.txt answering 5xx means nothing on the site is fetched."""
        routes = generate_site(10)
        routes["/robots.txt"] = Response(status=503, body=b"down")
        server = serve(routes)
        crawled = run_crawl(server.url("/"))
        assert crawled.outcome.robots_status == 503
        assert crawled.records == []
        assert server.count("/") == 0
        assert crawled.outcome.urls_blocked_by_robots >= 1

    def test_missing_robots_allows_all(self, serve):
        """robots.txt answering 404 restricts nothing."""
        server = serve(generate_site(10, with_robots=False))
        crawled = run_crawl(server.url("/"))
        assert crawled.outcome.robots_status == 404
        assert crawled.outcome.pages_crawled == 10

    def test_huge_robots_read_to_500_kib(self, serve):
        """Rules beyond 500 KiB of robots.txt are ignored."""
        body = "User-agent: *\nDisallow: /page/1$\n" + "# filler\n" * 80_000 + "Disallow: /\n"
        routes = generate_site(5, with_sitemap=False)
        routes["/robots.txt"] = text(body)
        crawled = run_crawl(serve(routes).url("/"))
        assert set(crawled.by_path) == {"/", "/page/2", "/page/3", "/page/4"}
        assert len(crawled.outcome.robots_txt) <= 500 * 1024

    def test_binary_robots_allows_all(self, serve):
        """A binary robots.txt has no rules: the crawl goes on."""
        routes = generate_site(5)
        routes["/robots.txt"] = Response(body=bytes(range(256)) * 50, content_type="text/plain")
        crawled = run_crawl(serve(routes).url("/"))
        assert crawled.outcome.pages_crawled == 5


class TestSitemaps:
    def test_invalid_xml_recorded(self, serve):
        """A broken sitemap is an outcome error; the crawl still completes."""
        routes = generate_site(5)
        routes["/sitemap.xml"] = text("<urlset><url><loc>", content_type="application/xml")
        server = serve(routes)
        crawled = run_crawl(server.url("/"))
        assert crawled.outcome.pages_crawled == 5
        assert "not a valid sitemap" in crawled.outcome.sitemap_errors[server.url("/sitemap.xml")]

    def test_fake_gzip_and_self_referencing_index(self, serve):
        """An index listing itself is read once; a .xml.gz that is plain XML is read."""
        index = (
            '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            "<sitemap><loc>{{base_url}}/index.xml</loc></sitemap>"
            "<sitemap><loc>{{base_url}}/pages.xml.gz</loc></sitemap>"
            "</sitemapindex>"
        )
        routes = {
            "/": page("Home"),
            "/robots.txt": text("User-agent: *\nSitemap: {{base_url}}/index.xml\n", templated=True),
            "/index.xml": text(index, content_type="application/xml", templated=True),
            "/pages.xml.gz": sitemap_xml(["/from-sitemap"]),
            "/from-sitemap": page("From the sitemap"),
        }
        server = serve(routes)
        crawled = run_crawl(server.url("/"))
        assert server.count("/index.xml") == 1
        assert set(crawled.by_path) == {"/", "/from-sitemap"}
        assert crawled.outcome.sitemaps == [server.url("/index.xml"), server.url("/pages.xml.gz")]
        assert crawled.outcome.sitemap_errors == {}


class TestSafety:
    def test_private_target_refused(self, serve):
        """With allow_private_targets=False a 127.0.0.1 site is refused before any request."""
        server = serve(generate_site(3))
        with pytest.raises(InvalidTargetURL, match="loopback"):
            run_crawl(server.url("/"), allow_private_targets=False)
        assert server.requests == []

    def test_private_target_allowed_when_configured(self, serve):
        """With allow_private_targets=True the same site is crawled."""
        server = serve(generate_site(3))
        assert run_crawl(server.url("/"), allow_private_targets=True).outcome.pages_crawled == 3

    @pytest.mark.parametrize("url", ["ftp://example.com/", "not a url", "http:///x"])
    def test_invalid_start_url(self, url):
        """A start URL that is not http(s) raises InvalidTargetURL."""
        with pytest.raises(InvalidTargetURL):
            run_crawl(url)


def test_parser_process_pool(serve):
    """With parser_processes=2 pages are parsed in worker processes, same results."""
    server = serve(generate_site(25))
    pooled = run_crawl(server.url("/"), parser_processes=2).by_path
    inline = run_crawl(server.url("/"), parser_processes=0).by_path
    assert set(pooled) == set(inline) == PAGE_PATHS - {f"/page/{n}" for n in range(25, 30)}
    for path, record in inline.items():
        assert pooled[path].text_hash == record.text_hash
        assert pooled[path].links == record.links


def test_demo_site_problems_are_visible(serve):
    """The demo site crawls completely and shows its planted problems."""
    server = serve(demo_site())
    crawled = run_crawl(server.url("/"))
    by_path = crawled.by_path
    assert by_path["/blog/post-1"].titles == []
    assert by_path["/products/2"].title == by_path["/products/3"].title
    assert len(by_path["/blog/post-2"].headings["h1"]) == 2
    assert by_path["/blog/missing-post"].status_code == 404
    assert len(by_path["/old-offer"].redirects) == 2
    assert crawled.outcome.blocked_urls == [server.url("/private/admin")]
    assert by_path["/orphan-guide"].in_sitemap


def test_from_settings(monkeypatch):
    """CrawlConfig.from_settings takes the crawl_* settings and caps max_pages."""
    from seology.core.settings import Settings

    settings = Settings(crawl_concurrency=5, crawl_max_pages_limit=100, allow_private_targets=True)
    config = CrawlConfig.from_settings(settings, start_url="https://example.com/", max_pages=500)
    assert (config.concurrency, config.max_pages, config.allow_private_targets) == (5, 100, True)
    assert config.user_agent.startswith("SeologyBot/")


def test_on_batch_called_from_the_running_loop(serve):
    """on_batch is awaited on the caller's event loop (storage can use async clients)."""
    server = serve(generate_site(3))
    loops = []

    async def main():
        async def on_batch(batch):
            loops.append(asyncio.get_running_loop())

        config = CrawlConfig(
            start_url=server.url("/"), max_pages=5, allow_private_targets=True, parser_processes=0
        )
        await crawl(config, on_batch=on_batch)
        return asyncio.get_running_loop()

    loop = asyncio.run(main())
    assert loops == [loop]
