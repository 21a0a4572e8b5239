"""Every check of docs/audit-checks.md, one positive and one negative case at least.

Each row is a tiny crawl (records, outcome, config); the test runs the whole audit and
compares the URLs one check reports with the row's expectation, so a row proves both
that the check fires on its trigger and that it stays quiet just past it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from seology.audit import CHECKS, AuditConfig, run_audit
from seology.crawler.records import (
    Canonical,
    CrawlOutcome,
    Hreflang,
    JsonLdBlock,
    LinkRecord,
    PageRecord,
    RedirectHop,
    ResourceRecord,
)
from tests.unit.audit.builders import (
    SITE,
    alternates,
    answered,
    external,
    flip_bits,
    home,
    image,
    link,
    outcome,
    page,
    redirected,
    rendered,
    url,
)


@dataclass(frozen=True)
class Case:
    check_id: str
    records: Callable[[], list[PageRecord]]
    expected: tuple[str, ...] = ()
    outcome: Callable[[], CrawlOutcome | None] = outcome
    config: AuditConfig = field(default_factory=AuditConfig)
    # URL → status (None: no answer), (own status, final status), or "unchecked".
    resources: dict[str, Any] = field(default_factory=dict)

    @property
    def positive(self) -> bool:
        return bool(self.expected)


def case(check_id: str, records: Callable[[], list[PageRecord]], *expected: str, **kw: Any) -> Any:
    """A table row; `expected` are the paths (or absolute URLs) the check must report."""
    label = f"{check_id}:{'fires' if expected else 'quiet'}"
    return pytest.param(Case(check_id, records, expected, **kw), id=label)


LONG = "x" * 61
SIMILAR = "0123456789abcdef"
LONG_PATH = "/" + "a" * (115 - len(SITE))  # 116 characters with the site
LOOP = [
    RedirectHop(url=url("/l1"), status_code=301, location="/l2"),
    RedirectHop(url=url("/l2"), status_code=301, location="/l1"),
]

# fmt: off
CASES = [
    # --- 1. HTTP, redirects, fetching ---
    case("http.4xx", lambda: [answered("/x", 404)], "/x"),
    case("http.4xx", lambda: [answered("/x", 399)]),  # 3xx-ish non-redirect: not 4xx
    case("http.5xx", lambda: [answered("/x", 503)], "/x"),
    case("http.5xx", lambda: [answered("/x", 404)]),
    case("http.no_response", lambda: [answered("/x", None)], "/x"),
    case("http.no_response", lambda: [answered("/x", 500)]),
    case("http.3xx_internal", lambda: [redirected("/old", "/a")], "/old"),
    # every hop of a chain is an internal URL that redirects
    case("http.3xx_internal", lambda: [redirected("/o1", "/o2", "/a")], "/o1", "/o2"),
    case("http.3xx_internal", lambda: [page("/a")]),
    case("redirect.chain", lambda: [redirected("/o1", "/o2", "/a")], "/o1"),
    case("redirect.chain", lambda: [redirected("/o1", "/a")]),  # one hop is not a chain
    case("redirect.loop", lambda: [answered("/l1", 301, redirects=LOOP, is_html=False,
                                            error="redirect loop: /l1 was already visited")],
         "/l1"),
    case("redirect.loop", lambda: [redirected("/o1", "/o2", "/a")]),
    case("redirect.broken_target", lambda: [redirected("/old", "/gone", status=404)], "/old"),
    case("redirect.broken_target", lambda: [redirected("/old", "/a")]),
    case("redirect.meta_refresh", lambda: [page("/a", meta_refresh="0; URL=/b")], "/a"),
    case("redirect.meta_refresh", lambda: [page("/a", meta_refresh="30")]),  # reload, no URL
    case("http.blocked_by_robots", lambda: [page("/a", links=[link("/private/x")])],
         "/private/x", outcome=lambda: outcome(robots_txt="User-agent: *\nDisallow: /private/")),
    case("http.blocked_by_robots", lambda: [page("/a", links=[link("/public")])],
         outcome=lambda: outcome(robots_txt="User-agent: *\nDisallow: /private/")),
    case("http.slow_response", lambda: [page("/a", response_time_ms=1000.1)], "/a"),
    case("http.slow_response", lambda: [page("/a", response_time_ms=1000.0)]),
    case("http.page_too_large", lambda: [page("/a", size_bytes=2 * 1024 * 1024 + 1)], "/a"),
    case("http.page_too_large", lambda: [page("/a", size_bytes=2 * 1024 * 1024)]),
    case("http.page_capped", lambda: [page("/a", capped={"links": 6000})], "/a"),
    case("http.page_capped", lambda: [page("/a")]),
    case("http.bad_content_type", lambda: [answered("/f", 200, content_type=None,
                                                    is_html=False)], "/f"),
    case("http.bad_content_type", lambda: [answered("/f.pdf", 200, is_html=False,
                                                    content_type="application/pdf")]),
    case("links.to_broken_internal",
         lambda: [page("/a", links=[link("/gone")]), answered("/gone", 404)], "/a"),
    # a target the crawl never fetched is not judged
    case("links.to_broken_internal", lambda: [page("/a", links=[link("/never")])]),
    case("links.to_redirect",
         lambda: [page("/a", links=[link("/old")]), redirected("/old", "/b")], "/a"),
    case("links.to_redirect", lambda: [page("/a", links=[link("/b")]), page("/b")]),
    case("links.to_broken_external",
         lambda: [page("/a", links=[external("https://else.org/x"), external("https://b.org/"),
                                   external("https://c.org/")])], "/a",
         resources={"https://else.org/x": 404, "https://b.org/": None, "https://c.org/": 200}),
    # a redirect to a live page is fine; a target not checked is not judged
    case("links.to_broken_external",
         lambda: [page("/a", links=[external("https://else.org/x"), external("https://b.org/")])],
         resources={"https://else.org/x": (301, 200), "https://b.org/": "unchecked"}),
    # --- 2. Titles and meta descriptions ---
    case("title.missing", lambda: [page("/a", titles=[])], "/a"),
    case("title.missing", lambda: [page("/a")]),
    case("title.duplicate", lambda: [page("/a", titles=["Same title on both pages of it"]),
                                     page("/b", titles=["Same title on both pages of it"])],
         "/a", "/b"),
    # a noindex copy is not an indexable duplicate
    case("title.duplicate", lambda: [page("/a", titles=["Same title on both pages of it"]),
                                     page("/b", titles=["Same title on both pages of it"],
                                          meta_robots=["noindex"])]),
    case("title.too_long", lambda: [page("/a", titles=[LONG])], "/a"),
    case("title.too_long", lambda: [page("/a", titles=[LONG[:60]])]),
    case("title.too_short", lambda: [page("/a", titles=["x" * 29])], "/a"),
    case("title.too_short", lambda: [page("/a", titles=["x" * 30])]),
    case("title.same_as_h1", lambda: [page("/a", titles=["Oak tables for small kitchens"],
                                           headings={"h1": ["Oak Tables for small kitchens"]})],
         "/a"),
    case("title.same_as_h1", lambda: [page("/a")]),
    case("title.multiple", lambda: [page("/a", titles=["One title of the page here", "Two"])],
         "/a"),
    case("title.multiple", lambda: [page("/a")]),
    case("meta_desc.missing", lambda: [page("/a", meta_descriptions=[""])], "/a"),
    case("meta_desc.missing", lambda: [page("/a")]),
    case("meta_desc.duplicate", lambda: [page("/a", meta_descriptions=["d" * 80]),
                                         page("/b", meta_descriptions=["d" * 80])], "/a", "/b"),
    # a page canonicalised elsewhere is not indexable
    case("meta_desc.duplicate", lambda: [page("/a", meta_descriptions=["d" * 80]),
                                         page("/b", meta_descriptions=["d" * 80], canonicals=[
                                             Canonical(href=url("/a"), source="head")])]),
    case("meta_desc.too_long", lambda: [page("/a", meta_descriptions=["d" * 156])], "/a"),
    case("meta_desc.too_long", lambda: [page("/a", meta_descriptions=["d" * 155])]),
    case("meta_desc.too_short", lambda: [page("/a", meta_descriptions=["d" * 69])], "/a"),
    case("meta_desc.too_short", lambda: [page("/a", meta_descriptions=["d" * 70])]),
    case("meta_desc.multiple", lambda: [page("/a", meta_descriptions=["d" * 80, "e" * 80])],
         "/a"),
    case("meta_desc.multiple", lambda: [page("/a")]),
    # --- 3. Headings and content ---
    case("h1.missing", lambda: [page("/a", headings={"h1": [""], "h2": ["x"]})], "/a"),
    case("h1.missing", lambda: [page("/a")]),
    case("h1.multiple", lambda: [page("/a", headings={"h1": ["One", "Two"]})], "/a"),
    case("h1.multiple", lambda: [page("/a")]),
    case("h1.duplicate", lambda: [page("/a", headings={"h1": ["Same"]}),
                                  page("/b", headings={"h1": ["Same"]})], "/a", "/b"),
    case("h1.duplicate", lambda: [page("/a"), page("/b")]),
    case("h1.too_long", lambda: [page("/a", headings={"h1": ["h" * 71]})], "/a"),
    case("h1.too_long", lambda: [page("/a", headings={"h1": ["h" * 70]})]),
    case("headings.non_sequential", lambda: [page("/a", heading_levels=[1, 3])], "/a"),
    # going back up any number of levels is fine
    case("headings.non_sequential", lambda: [page("/a", heading_levels=[1, 2, 3, 4, 2, 1, 2])]),
    case("content.low_word_count", lambda: [page("/a", word_count=199)], "/a"),
    case("content.low_word_count", lambda: [page("/a", word_count=200)]),
    case("content.exact_duplicate", lambda: [page("/a", text_hash="same"),
                                             page("/b", text_hash="same")], "/a", "/b"),
    # pages without text are not compared
    case("content.exact_duplicate", lambda: [page("/a", text_hash="same", word_count=0),
                                             page("/b", text_hash="same", word_count=0)]),
    # 6 bits of 64 differ: 90.6% similar
    case("content.near_duplicate", lambda: [page("/a", text_fingerprint=SIMILAR),
                                            page("/b", text_fingerprint=flip_bits(SIMILAR, 6))],
         "/a", "/b"),
    # 7 bits: 89.1%, below the threshold
    case("content.near_duplicate", lambda: [page("/a", text_fingerprint=SIMILAR),
                                            page("/b", text_fingerprint=flip_bits(SIMILAR, 7))]),
    # identical text is an exact duplicate, not a near one
    case("content.near_duplicate", lambda: [
        page("/a", text_fingerprint=SIMILAR, text_hash="same"),
        page("/b", text_fingerprint=SIMILAR, text_hash="same")]),
    case("content.placeholder", lambda: [page("/a", headings={"h1": ["x"],
                                                              "h2": ["Lorem Ipsum dolor"]})],
         "/a"),
    case("content.placeholder", lambda: [page("/a", placeholder_text=True)], "/a"),  # in <p>
    case("content.placeholder", lambda: [page("/a")]),
    # --- 4. Images ---
    case("img.alt_missing", lambda: [page("/a", images=[image(alt=None)])], "/a"),
    case("img.alt_missing", lambda: [page("/a", images=[image(alt="")])]),  # decorative
    case("img.alt_too_long", lambda: [page("/a", images=[image(alt="a" * 101)])], "/a"),
    case("img.alt_too_long", lambda: [page("/a", images=[image(alt="a" * 100)])]),
    case("img.missing_dimensions", lambda: [page("/a", images=[image(height=None)])], "/a"),
    case("img.missing_dimensions", lambda: [page("/a", images=[image()])]),
    case("img.broken", lambda: [page("/a", images=[image("/img/x.png"),
                                                   image("https://cdn.org/y.png")])], "/a",
         resources={"https://cdn.org/y.png": (302, 404)}),  # external, after its redirect
    case("img.broken", lambda: [page("/a", images=[image("/img/x.png")])],
         resources={url("/img/x.png"): 200}),
    # --- 5. Canonicals ---
    case("canonical.missing", lambda: [page("/a", canonicals=[])], "/a"),
    # a noindex page is not indexable: no canonical needed
    case("canonical.missing", lambda: [page("/a", canonicals=[], meta_robots=["noindex"])]),
    case("canonical.multiple_conflicting", lambda: [page("/a", canonicals=[
        Canonical(href=url("/a"), source="head"), Canonical(href=url("/b"), source="header")])],
         "/a"),
    case("canonical.multiple_conflicting", lambda: [page("/a", canonicals=[
        Canonical(href=url("/a"), source="head"), Canonical(href="/a", source="header")])]),
    case("canonical.invalid", lambda: [page("/a", canonicals=[
        Canonical(href="http://[bad", source="head")])], "/a"),
    case("canonical.invalid", lambda: [page("/a")]),
    case("canonical.relative", lambda: [page("/a", canonicals=[
        Canonical(href="/a", source="head")])], "/a"),
    case("canonical.relative", lambda: [page("/a")]),
    case("canonical.points_to_root", lambda: [page("/a", canonicals=[
        Canonical(href=SITE, source="head")])], "/a"),
    case("canonical.points_to_root", lambda: [home()]),  # the root itself
    case("canonical.to_non_200", lambda: [
        page("/a", canonicals=[Canonical(href=url("/old"), source="head")]),
        redirected("/old", "/b")], "/a"),
    case("canonical.to_non_200", lambda: [
        page("/a", canonicals=[Canonical(href=url("/b"), source="head")]), page("/b")]),
    # a target reached only through the tag: its resource check's own answer counts
    case("canonical.to_non_200", lambda: [
        page("/a", canonicals=[Canonical(href=url("/moved"), source="head")])], "/a",
         resources={url("/moved"): (301, 200)}),
    case("canonical.to_non_200", lambda: [
        page("/a", canonicals=[Canonical(href=url("/fine"), source="head")])],
         resources={url("/fine"): 200}),
    case("canonical.to_non_indexable", lambda: [
        page("/a", canonicals=[Canonical(href=url("/b"), source="head")]),
        page("/b", meta_robots=["noindex"])], "/a"),
    # a target disallowed by robots.txt cannot be indexed either
    case("canonical.to_non_indexable", lambda: [
        page("/a", canonicals=[Canonical(href=url("/private/b"), source="head")])], "/a",
         outcome=lambda: outcome(robots_txt="User-agent: *\nDisallow: /private/")),
    case("canonical.to_non_indexable", lambda: [
        page("/a", canonicals=[Canonical(href=url("/b"), source="head")]), page("/b")]),
    case("canonical.chain", lambda: [
        page("/a", canonicals=[Canonical(href=url("/b"), source="head")]),
        page("/b", canonicals=[Canonical(href=url("/c"), source="head")])], "/a"),
    case("canonical.chain", lambda: [
        page("/a", canonicals=[Canonical(href=url("/b"), source="head")]), page("/b")]),
    case("canonical.header_html_mismatch", lambda: [page("/a", canonicals=[
        Canonical(href=url("/a"), source="head"), Canonical(href=url("/b"), source="header")])],
         "/a"),
    case("canonical.header_html_mismatch", lambda: [page("/a", canonicals=[
        Canonical(href=url("/b"), source="header")])]),  # only a header: nothing to differ
    case("canonical.outside_head", lambda: [page("/a", canonicals=[
        Canonical(href=url("/a"), source="body")])], "/a"),
    case("canonical.outside_head", lambda: [page("/a")]),
    # --- 6. Indexability and directives ---
    case("indexability.noindex", lambda: [page("/a", meta_robots=["NOINDEX, follow"])], "/a"),
    case("indexability.noindex", lambda: [page("/a", meta_robots=["none"])], "/a"),
    case("indexability.noindex", lambda: [page("/a", meta_robots=["googlebot: noindex"])], "/a"),
    case("indexability.noindex", lambda: [page("/a", x_robots_tag=["otherbot: noindex"])], "/a"),
    # `none` as the value of a valued directive is not the `none` directive
    case("indexability.noindex", lambda: [page("/a", meta_robots=["max-image-preview: none"])]),
    case("indexability.nofollow_page", lambda: [page("/a", x_robots_tag=["nofollow"])], "/a"),
    case("indexability.nofollow_page", lambda: [page("/a", meta_robots=["index, follow"])]),
    case("indexability.noindex_but_blocked", lambda: [page("/h", meta_robots=["noindex"])], "/h",
         outcome=lambda: outcome(robots_txt="User-agent: *\nDisallow:\n\n"
                                 "User-agent: Googlebot\nDisallow: /h\n")),
    case("indexability.noindex_but_blocked", lambda: [page("/h", meta_robots=["noindex"])]),
    case("directives.outside_head", lambda: [page("/a", robots_meta_in_body=True)], "/a"),
    case("directives.outside_head", lambda: [page("/a")]),
    # --- 7. Links and structure ---
    case("links.orphan", lambda: [home(links=[]), page("/o")], "/o"),
    case("links.orphan", lambda: [home(links=[link("/o")]), page("/o")]),
    case("links.dead_end", lambda: [page("/a", links=[])], "/a"),
    case("links.dead_end", lambda: [page("/a")]),
    case("links.internal_nofollow", lambda: [page("/a", links=[link("/", rel="nofollow")])],
         "/a"),
    case("links.internal_nofollow", lambda: [page("/a", links=[
        external("https://else.org/", rel="nofollow ugc")])]),
    case("links.non_descriptive_anchor", lambda: [page("/a", links=[link("/b", " Click Here ")])],
         "/a"),
    # Lighthouse skips nofollow, javascript:, mailto: and same-page links
    case("links.non_descriptive_anchor", lambda: [page("/a", links=[
        link("/b", "here", rel="nofollow"), link("#top", "more", target=url("/a")),
        LinkRecord(href="mailto:a@ex.com", anchor_text="here")])]),
    case("links.empty_anchor", lambda: [page("/a", links=[link("/b", "")])], "/a"),
    case("links.empty_anchor", lambda: [page("/a", links=[link("/b", "", image_alt="Logo")])]),
    case("links.uncrawlable_href", lambda: [page("/a", links=[
        LinkRecord(href="javascript:void(0)"), LinkRecord(href=""),
        LinkRecord(href="file:///etc/x"), LinkRecord(href="http://[bad")])], "/a"),
    case("links.uncrawlable_href", lambda: [page("/a", links=[  # <a onclick> without href
        LinkRecord(href="", onclick=True), link("/b")])], "/a"),
    case("links.uncrawlable_href", lambda: [page("/a", links=[
        LinkRecord(href="mailto:a@ex.com"), LinkRecord(href="tel:+123"), link("/b")])]),
    case("links.http_on_https", lambda: [page("/a", links=[
        link("/b", target="http://ex.com/b")])], "/a"),
    case("links.http_on_https", lambda: [page("/a", url="http://ex.com/a",
                                              final_url="http://ex.com/a",
                                              links=[link("/b", target="http://ex.com/b")])]),
    case("links.high_crawl_depth", lambda: [
        home(links=[link("/1")]), page("/1", links=[link("/2")]), page("/2", links=[link("/3")]),
        page("/3", links=[link("/4")]), page("/4")], "/4"),
    case("links.high_crawl_depth", lambda: [
        home(links=[link("/1")]), page("/1", links=[link("/2")]), page("/2", links=[link("/3")]),
        page("/3")]),
    case("links.too_many", lambda: [page("/a", links=[link("/")] * 101)], "/a"),
    case("links.too_many", lambda: [page("/a", links=[link("/")] * 100)]),
    # a record cut to its per-page bound still counts every link the page had
    case("links.too_many", lambda: [page("/a", links=[link("/")] * 5, capped={"links": 9000})],
         "/a"),
    # --- 8. Sitemaps, robots.txt ---
    case("sitemap.missing", lambda: [home()], "/", outcome=lambda: outcome(sitemaps=[])),
    case("sitemap.missing", lambda: [home()]),
    case("sitemap.parse_error", lambda: [home()], "/sitemap.xml",
         outcome=lambda: outcome(sitemap_errors={url("/sitemap.xml"): "not a valid sitemap"})),
    # a listed sitemap that answered 404 was never read: no parse error
    case("sitemap.parse_error", lambda: [home()],
         outcome=lambda: outcome(sitemaps=[], sitemap_errors={url("/s.xml"): "HTTP 404"})),
    case("sitemap.too_big", lambda: [home()], "/sitemap.xml", outcome=lambda: outcome(
        sitemap_errors={url("/sitemap.xml"): "more than 50000 URLs; the rest were ignored"})),
    case("sitemap.too_big", lambda: [home()], outcome=lambda: outcome(
        sitemap_errors={url("/sitemap.xml"): "not a valid sitemap: bad gzip"})),
    case("sitemap.non_200_url", lambda: [answered("/gone", 404, in_sitemap=True)], "/gone"),
    case("sitemap.non_200_url", lambda: [answered("/gone", 404, in_sitemap=False)]),
    case("sitemap.noindex_url", lambda: [page("/a", meta_robots=["noindex"])], "/a"),
    case("sitemap.noindex_url", lambda: [page("/a", meta_robots=["noindex"], in_sitemap=False)]),
    case("sitemap.non_canonical_url", lambda: [page("/a", canonicals=[
        Canonical(href=url("/b"), source="head")])], "/a"),
    case("sitemap.non_canonical_url", lambda: [page("/a")]),
    # never fetched (disallowed to us) and linked from nowhere: it came from the sitemap
    case("sitemap.blocked_url", lambda: [home()], "/private/x", outcome=lambda: outcome(
        robots_txt="User-agent: *\nDisallow: /private/", blocked_urls=[url("/private/x")])),
    case("sitemap.blocked_url", lambda: [page("/a")],
         outcome=lambda: outcome(robots_txt="User-agent: *\nDisallow: /private/")),
    case("sitemap.indexable_not_listed", lambda: [page("/a", in_sitemap=False)], "/a"),
    # only when the site has a sitemap at all
    case("sitemap.indexable_not_listed", lambda: [page("/a", in_sitemap=False)],
         outcome=lambda: outcome(sitemaps=[])),
    case("robots.missing", lambda: [home()], "/robots.txt",
         outcome=lambda: outcome(robots_status=404, robots_txt=None)),
    case("robots.missing", lambda: [home()]),
    case("robots.server_error", lambda: [home()], "/robots.txt",
         outcome=lambda: outcome(robots_status=503, robots_txt=None)),
    case("robots.server_error", lambda: [home()], "/robots.txt",
         outcome=lambda: outcome(robots_status=None, robots_txt=None)),  # no answer at all
    case("robots.server_error", lambda: [home()],
         outcome=lambda: outcome(robots_status=404, robots_txt=None)),
    case("robots.invalid", lambda: [home()], "/robots.txt",
         outcome=lambda: outcome(robots_txt="User-agent: *\nDisalow: /x\n")),
    case("robots.invalid", lambda: [home()], outcome=lambda: outcome(
        robots_txt="# comment\nUser-agent: *\nAllow: /\nDisallow: /*.pdf$\n"
        "Crawl-delay: 2\nSitemap: https://ex.com/sitemap.xml\n")),
    case("robots.ai_bots_blocked", lambda: [home()], "/robots.txt", outcome=lambda: outcome(
        robots_txt="User-agent: *\nDisallow:\n\nUser-agent: GPTBot\nDisallow: /\n")),
    case("robots.ai_bots_blocked", lambda: [home()], outcome=lambda: outcome(
        robots_txt="User-agent: *\nDisallow: /private/\n")),
    # --- 9. International and language ---
    case("hreflang.invalid_code", lambda: [page("/a", hreflang=alternates(
        ("en-UK", "/a"), ("x-default", "/a")))], "/a"),
    case("hreflang.invalid_code", lambda: [page("/a", hreflang=alternates(
        ("en-GB", "/a"), ("zh-Hant-TW", "/a"), ("es-419", "/a"), ("X-Default", "/a")))]),
    # values are not trimmed: " x-default" is not x-default
    case("hreflang.invalid_code", lambda: [page("/a", hreflang=alternates(
        ("en", "/a"), (" x-default", "/a")))], "/a"),
    case("hreflang.missing_href", lambda: [page("/a", hreflang=[
        *alternates(("en", "/a"), ("x-default", "/a")), Hreflang(lang="de", href="")])], "/a"),
    case("hreflang.missing_href", lambda: [page("/a", hreflang=alternates(
        ("en", "/a"), ("x-default", "/a")))]),
    case("hreflang.relative_url", lambda: [page("/a", hreflang=[
        *alternates(("x-default", "/a")), *[{"lang": "en", "href": "/a"}]])], "/a"),
    case("hreflang.relative_url", lambda: [page("/a", hreflang=alternates(("en", "/a")))]),
    case("hreflang.missing_return", lambda: [
        page("/en", hreflang=alternates(("en", "/en"), ("de", "/de"))),
        page("/de", hreflang=alternates(("de", "/de")))], "/en"),
    case("hreflang.missing_return", lambda: [
        page("/en", hreflang=alternates(("en", "/en"), ("de", "/de"))),
        page("/de", hreflang=alternates(("en", "/en"), ("de", "/de")))]),
    case("hreflang.missing_self", lambda: [page("/a", hreflang=alternates(("de", "/b")))], "/a"),
    case("hreflang.missing_self", lambda: [page("/a", hreflang=alternates(("de", "/a")))]),
    case("hreflang.missing_x_default", lambda: [page("/a", hreflang=alternates(("en", "/a")))],
         "/a"),
    case("hreflang.missing_x_default", lambda: [page("/a")]),  # no hreflang at all
    case("hreflang.to_non_200", lambda: [
        page("/a", hreflang=alternates(("en", "/a"), ("de", "/old"))),
        redirected("/old", "/b")], "/a"),
    # an alternate only a resource check asked for
    case("hreflang.to_non_200", lambda: [page("/a", hreflang=alternates(("de", "/gone")))],
         "/a", resources={url("/gone"): 404}),
    # an alternate neither the crawl nor a resource check asked for is not judged
    case("hreflang.to_non_200", lambda: [page("/a", hreflang=alternates(("de", "/never")))]),
    case("html.lang_missing", lambda: [page("/a", html_lang=" ")], "/a"),
    case("html.lang_missing", lambda: [page("/a")]),
    # --- 10. Mobile, HTML, structured data, social, security, URLs ---
    case("mobile.viewport_missing", lambda: [page("/a", viewport=None)], "/a"),
    case("mobile.viewport_missing", lambda: [page("/a", viewport="user-scalable=no")], "/a"),
    case("mobile.viewport_missing", lambda: [page("/a", viewport="initial-scale=1")]),
    case("html.charset_missing", lambda: [page("/a", charset=None)], "/a"),
    case("html.charset_missing", lambda: [page("/a")]),
    case("schema.parse_error", lambda: [page("/a", json_ld=[JsonLdBlock(error="bad")])], "/a"),
    case("schema.parse_error", lambda: [page("/a", json_ld=[JsonLdBlock(data={"a": 1})])]),
    case("social.og_incomplete", lambda: [page("/a", open_graph={"og:title": "t",
                                                                  "og:description": "d"})],
         "/a"),
    case("social.og_incomplete", lambda: [page("/a")]),
    case("security.http_page", lambda: [page("/a", url="http://ex.com/a",
                                              final_url="http://ex.com/a")], "http://ex.com/a"),
    case("security.http_page", lambda: [page("/a")]),
    case("security.mixed_content", lambda: [page("/a", mixed_content=["http://ex.com/i.png"])],
         "/a"),
    case("security.mixed_content", lambda: [page("/a")]),
    case("security.missing_hsts", lambda: [page("/a", security_headers={})], "/a"),
    case("security.missing_hsts", lambda: [page("/a")]),
    case("url.uppercase", lambda: [page("/About")], "/About"),
    case("url.uppercase", lambda: [page("/caf%C3%A9")]),  # escapes are uppercase hex
    case("url.underscore", lambda: [page("/a_b")], "/a_b"),
    case("url.underscore", lambda: [page("/a-b")]),
    case("url.space", lambda: [page("/a%20b")], "/a%20b"),
    case("url.space", lambda: [page("/a-b")]),
    case("url.multiple_slashes", lambda: [page("/a//b")], "/a//b"),
    case("url.multiple_slashes", lambda: [page("/a/b")]),  # the scheme's // is not the path
    case("url.too_long", lambda: [page(LONG_PATH)], LONG_PATH),
    case("url.too_long", lambda: [page("/" + "a" * (114 - len(SITE)))]),
    case("url.parameters", lambda: [page("/a?page=2")], "/a?page=2"),
    case("url.parameters", lambda: [page("/a")]),
    case("url.tracking_params", lambda: [page("/a", links=[
        link("/", href="/?utm_source=news&x=1")])], "/a"),
    case("url.tracking_params", lambda: [page("/a", links=[link("/", href="/?ref=news")])]),
    # --- 11. JavaScript: raw HTML against the rendered DOM ---
    case("js.noindex_only_in_raw", lambda: [rendered("/a", raw={"meta_robots": ["noindex"]})],
         "/a"),
    # noindex in both: an ordinary noindex, not a JavaScript one
    case("js.noindex_only_in_raw", lambda: [rendered("/a", meta_robots=["noindex"],
                                                     raw={"meta_robots": ["noindex"]})]),
    case("js.nofollow_only_in_raw", lambda: [rendered("/a", raw={"meta_robots": ["nofollow"]})],
         "/a"),
    case("js.nofollow_only_in_raw", lambda: [rendered("/a", raw={"meta_robots": ["noindex"]})]),
    case("js.canonical_only_rendered", lambda: [rendered("/a", raw={"canonicals": []})], "/a"),
    case("js.canonical_only_rendered", lambda: [rendered("/a")]),
    case("js.canonical_mismatch", lambda: [rendered("/a", raw={"canonicals": [
        Canonical(href="/b", source="head")]})], "/a"),
    # the same canonical spelled relative in raw HTML and absolute in the DOM
    case("js.canonical_mismatch", lambda: [rendered("/a", raw={"canonicals": [
        Canonical(href="/a", source="head")]})]),
    case("js.title_only_rendered", lambda: [rendered("/a", raw={"titles": []})], "/a"),
    case("js.title_only_rendered", lambda: [rendered("/a")]),
    case("js.title_changed", lambda: [rendered("/a", raw={"titles": ["Loading…"]})], "/a"),
    case("js.title_changed", lambda: [rendered("/a", raw={"titles": []})]),  # only-rendered
    case("js.meta_desc_only_rendered", lambda: [rendered("/a", raw={"meta_descriptions": []})],
         "/a"),
    case("js.meta_desc_only_rendered", lambda: [rendered("/a")]),
    case("js.meta_desc_changed", lambda: [rendered("/a", raw={"meta_descriptions": ["Old"]})],
         "/a"),
    case("js.meta_desc_changed", lambda: [rendered("/a")]),
    case("js.h1_only_rendered", lambda: [rendered("/a", raw={"h1s": []})], "/a"),
    case("js.h1_only_rendered", lambda: [rendered("/a")]),
    case("js.h1_changed", lambda: [rendered("/a", raw={"h1s": ["Loading"]})], "/a"),
    case("js.h1_changed", lambda: [rendered("/a", raw={"h1s": []})]),  # only-rendered
    case("js.links_only_rendered", lambda: [rendered("/a", render={
        "links_only_rendered": [url("/b")], "links_only_rendered_count": 1})], "/a"),
    case("js.links_only_rendered", lambda: [rendered("/a")]),
    case("js.content_only_rendered", lambda: [rendered("/a", raw={"word_count": 159})], "/a"),
    # raw text at the threshold (200 words) already says enough
    case("js.content_only_rendered", lambda: [rendered("/a", word_count=500,
                                                       raw={"word_count": 200})]),
    case("js.blocked_resources", lambda: [rendered("/a", render={
        "blocked_resources": [url("/private/app.js")]})], "/a"),
    case("js.blocked_resources", lambda: [rendered("/a")]),
    case("js.errors", lambda: [rendered("/a", render={"js_errors": ["TypeError: x"]})], "/a"),
    case("js.errors", lambda: [rendered("/a")]),
    case("js.render_failed", lambda: [rendered("/a", render={"error": "timed out", "perf": None})],
         "/a"),
    case("js.render_failed", lambda: [rendered("/a")]),
    # a failed render judges nothing else: its fields are the raw page's
    case("js.title_only_rendered", lambda: [rendered("/a", raw={"titles": []},
                                                     render={"error": "crashed"})]),
    # --- 12. Page experience (lab) ---
    case("perf.lcp_slow", lambda: [rendered("/a", perf={"lcp_ms": 2500.1})], "/a"),
    case("perf.lcp_slow", lambda: [rendered("/a", perf={"lcp_ms": 2500.0})]),
    # only essential resources loaded: LCP is not judged
    case("perf.lcp_slow", lambda: [rendered("/a", perf={"lcp_ms": 9000.0, "complete": False})]),
    case("perf.cls_high", lambda: [rendered("/a", perf={"cls": 0.11})], "/a"),
    case("perf.cls_high", lambda: [rendered("/a", perf={"cls": 0.1})]),
    case("perf.page_weight", lambda: [rendered("/a", perf={
        "transferred_bytes": 3 * 1024 * 1024 + 1})], "/a"),
    case("perf.page_weight", lambda: [rendered("/a", perf={
        "transferred_bytes": 3 * 1024 * 1024})]),
    case("perf.too_many_requests", lambda: [rendered("/a", perf={"requests": 101})], "/a"),
    case("perf.too_many_requests", lambda: [rendered("/a", perf={"requests": 100})]),
    case("perf.render_blocking", lambda: [rendered("/a", perf={"render_blocking": 6})], "/a"),
    case("perf.render_blocking", lambda: [rendered("/a", perf={"render_blocking": 5})]),
    # a page that was not rendered has no lab figures
    case("perf.render_blocking", lambda: [page("/a")]),
]
# fmt: on


def resource(target: str, answer: Any) -> ResourceRecord:
    """A resource check's record from a table row's shorthand."""
    if answer == "unchecked":
        return ResourceRecord(url=target, checked=False, error="not checked")
    if answer is None:
        return ResourceRecord(url=target, error="connection failed")
    own, final = answer if isinstance(answer, tuple) else (answer, answer)
    return ResourceRecord(url=target, status_code=own, final_status=final)


def found_urls(row: Case) -> set[str]:
    resources = [resource(target, answer) for target, answer in row.resources.items()]
    result = run_audit(row.records(), row.outcome(), row.config, resources=resources)
    return {issue.url for issue in result.issues if issue.check_id == row.check_id}


@pytest.mark.parametrize("row", CASES)
def test_check(row: Case) -> None:
    """The check reports exactly the row's URLs: fires on its trigger, quiet past it."""
    expected = {path if "://" in path else url(path) for path in row.expected}
    assert found_urls(row) == expected


def test_every_check_has_a_positive_and_a_negative_case() -> None:
    """The table covers the whole registry, both ways."""
    rows = [param.values[0] for param in CASES]
    positive = {row.check_id for row in rows if row.positive}
    negative = {row.check_id for row in rows if not row.positive}
    assert set(CHECKS) - positive == set()
    assert set(CHECKS) - negative == set()
    assert {row.check_id for row in rows} <= set(CHECKS)
