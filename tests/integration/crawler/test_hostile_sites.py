"""Sites built to cost a crawler: what they serve never sets what the crawl holds or asks."""

from __future__ import annotations

from seology.crawler.limits import PageLimits
from seology.testing.sites import Response, html, page_html, sitemap_xml, text
from tests.integration.crawler.conftest import run_crawl


def link_heavy(n: int, links: int) -> Response:
    anchors = "".join(f'<a href="/p{n}/{k}">{k}</a>' for k in range(links))
    return html(page_html(title=f"Links {n}", body=anchors))


def link_heavy_site(pages: int, links: int) -> dict[str, Response]:
    routes = {"/": link_heavy(0, links)}
    routes.update({f"/p0/{k}": link_heavy(k + 1, links) for k in range(pages)})
    return routes


class TestLinkHeavyPages:
    def test_records_keep_the_bound_and_count_the_rest(self, serve):
        """20,000 links a page: records hold 5,000 each; the crawl queues no more URLs
        than its page budget can fetch and counts the rest as not followed."""
        server = serve(link_heavy_site(pages=12, links=20_000))
        crawled = run_crawl(server.url("/"), max_pages=10, batch_max_links=12_000)
        assert crawled.outcome.pages_crawled == 10
        assert {len(r.links) for r in crawled.records} == {5000}
        assert {r.capped["links"] for r in crawled.records} == {20_000}
        assert crawled.outcome.urls_discovered <= 10 + 100  # the budget and its slack
        assert crawled.outcome.urls_not_followed > 40_000  # of the 50,000 links kept
        assert max(crawled.batches) <= 3  # sent by links held, long before 50 records

    def test_page_limits_come_from_the_config(self, serve):
        server = serve(link_heavy_site(pages=2, links=300))
        crawled = run_crawl(server.url("/"), max_pages=1, page_limits=PageLimits(links=10))
        [record] = crawled.records
        assert len(record.links) == 10
        assert record.capped == {"links": 300}

    def test_seen_set_is_bounded(self, serve):
        """`max_tracked_urls` bounds the URLs remembered, whatever the budget."""
        server = serve(link_heavy_site(pages=3, links=3000))
        crawled = run_crawl(server.url("/"), max_pages=10_000, max_tracked_urls=500)
        assert crawled.outcome.urls_discovered == 500
        assert crawled.outcome.pages_crawled == 500


class TestRobotsNotReadable:
    def test_trickling_robots_is_a_server_error_and_the_outcome_says_why(self, serve):
        """A robots.txt that drips past the deadline disallows all, and says so."""
        routes = {
            "/robots.txt": Response(body=b"User-agent: *\n", behaviour="drip"),
            "/": html(page_html(title="Home", body="<a href=/a>a</a>")),
        }
        server = serve(routes)
        crawled = run_crawl(server.url("/"), connect_timeout=0.5, read_timeout=0.5)
        assert crawled.records == []
        assert server.count("/") == 0
        assert crawled.outcome.stopped_by == "robots"
        assert "timeout" in crawled.outcome.robots_error
        assert crawled.outcome.robots_status == 200

    def test_robots_5xx_says_why_nothing_was_crawled(self, serve):
        server = serve({"/robots.txt": Response(status=503), "/": html("<p>x")})
        crawled = run_crawl(server.url("/"))
        assert crawled.records == []
        assert crawled.outcome.stopped_by == "robots"


class TestDeadSite:
    def test_one_request_per_url_and_no_sitemaps(self, serve):
        """A site that accepts but never answers: robots.txt and the start page are each
        asked once, nothing else; the outcome says the site is unreachable."""
        server = serve({}, fallback=lambda path: Response(delay=30))
        crawled = run_crawl(server.url("/"), connect_timeout=0.5, read_timeout=0.5)
        assert sorted(server.requests) == ["/", "/robots.txt"]
        assert "timeout" in crawled.outcome.unreachable
        [record] = crawled.records
        assert record.status_code is None


class TestSitemapsBounded:
    def test_files_and_urls_in_proportion_to_the_budget(self, serve):
        """An index of 499 sitemaps of 100 URLs each, for a 10-page crawl: two files."""
        children = "".join(
            f"<sitemap><loc>{{{{base_url}}}}/s/{n}.xml</loc></sitemap>" for n in range(499)
        )
        index = f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{children}</sitemapindex>'
        routes: dict[str, Response] = {
            "/": html(page_html(title="Home", body="")),
            "/robots.txt": text("User-agent: *\nSitemap: {{base_url}}/index.xml\n", templated=True),
            "/index.xml": text(index, content_type="application/xml", templated=True),
        }
        for n in range(499):
            routes[f"/s/{n}.xml"] = sitemap_xml([f"/s{n}/{k}" for k in range(100)])
        server = serve(routes, fallback=lambda path: html(page_html(title=path, body="")))
        crawled = run_crawl(server.url("/"), max_pages=10)
        fetched = [path for path in server.requests if path.endswith(".xml")]
        assert fetched == ["/index.xml", "/s/0.xml"]
        assert crawled.outcome.sitemap_urls == 100
        assert crawled.outcome.pages_crawled == 10
