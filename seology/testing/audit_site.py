"""A site with known SEO problems planted in it, and the issues an audit must find.

    site = planted_site()
    with SiteServer(site.routes) as server:
        ...crawl server.url("/") and audit...
        assert found == site.expected_urls(server.base_url)

Every page starts clean (title, description, H1, canonical, Open Graph, 260 words of
text, an image that loads, in the sitemap, linked from the home page) and then gets
exactly the problems its spec plants; `expected` lists each planted `(check_id, path)`.
Served over plain http, every HTML page also has `security.http_page`, which the
generator adds itself. Some pages point at another host (`external` routes, served on
127.0.0.2 and named by `{{external_url}}` in the pages): broken and working link
targets and images, which the crawl's resource checks ask.
`bare_site()` (no robots.txt, no sitemap) and `robots_down_site()` (robots.txt
answers 500) cover the site-level checks one site cannot have at once.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

from seology.testing.audit_pages import EXTERNAL_MARK, PageSpec, alternates, page_response
from seology.testing.audit_resources import external_routes, images, reading_specs, resource_specs
from seology.testing.sites import BASE_URL_MARK, Response, redirect, sitemap_xml, text

Expected = frozenset[tuple[str, str]]
ROBOTS_TXT = f"""User-agent: *
Disallow: /private/
Disalow: /typo/

User-agent: Googlebot
Disallow: /indexability/hidden

User-agent: GPTBot
Disallow: /

Sitemap: {BASE_URL_MARK}/sitemap.xml
Sitemap: {BASE_URL_MARK}/sitemap-broken.xml
Sitemap: {BASE_URL_MARK}/sitemap-big.xml
"""
BIG_SITEMAP_URLS = 50_001
SLOW_SECONDS = 1.3
NO_RESPONSE_SECONDS = 6.0
LARGE_PAGE_BYTES = 2 * 1024 * 1024 + 100_000


@dataclass(frozen=True)
class PlantedSite:
    """Routes to serve, and the `(check_id, path)` pairs an exact audit reports."""

    routes: dict[str, Response]
    expected: Expected
    #: Routes of the other host the pages point to (served on EXTERNAL_HOST).
    external: dict[str, Response] = field(default_factory=dict)

    def expected_urls(
        self, base_url: str, marks: dict[str, str] | None = None
    ) -> set[tuple[str, str]]:
        """`expected` with absolute URLs on the server at `base_url`; a path that starts
        with a mark of `marks` (another server's address) gets that address instead."""
        found = set()
        for check_id, path in self.expected:
            mark = next((m for m in marks or {} if path.startswith(m)), None)
            url = (marks or {})[mark] + path[len(mark) :] if mark else base_url + path
            found.add((check_id, url))
        return found

    def write(self, directory: Path) -> Path:
        """Write the pages (one file per route) and `expected-issues.json` beside them."""
        directory.mkdir(parents=True, exist_ok=True)
        for path, response in self.routes.items():
            name = path.strip("/").replace("/", "__") or "index"
            (directory / f"{name}.body").write_bytes(response.body)
        listing = [{"checkId": c, "path": p} for c, p in sorted(self.expected)]
        target = directory / "expected-issues.json"
        target.write_text(json.dumps(listing, indent=2))
        return target


def _section_1_to_4() -> list[PageSpec]:
    """HTTP-ish pages with HTML, titles, descriptions, headings, content, images."""
    copy_seed = 4242
    return [
        PageSpec(path="/links/broken", slug="broken links", expect=("links.to_broken_internal",),
                 body='<a href="/missing">Missing page</a> <a href="/server-error">Status</a> '
                 '<a href="/no-response">Slow server</a>'),
        PageSpec(path="/links/redirecting", slug="redirecting links", expect=("links.to_redirect",),
                 body='<a href="/redirect/one">Moved page</a> '
                 '<a href="/redirect/chain-1">Chained page</a> '
                 '<a href="/redirect/loop-a">Looping page</a> '
                 '<a href="/redirect/broken">Broken redirect</a>'),
        PageSpec(path="/links/private", slug="private links",
                 body='<a href="/private/area">Staff area</a>'),
        PageSpec(path="/redirect/target", slug="redirect target"),
        PageSpec(path="/meta-refresh", slug="meta refresh", expect=("redirect.meta_refresh",),
                 head='<meta http-equiv="refresh" content="5; url=/redirect/target">'),
        PageSpec(path="/titles/missing", slug="missing title", title=[],
                 expect=("title.missing",)),
        PageSpec(path="/titles/dup-a", slug="duplicate title a",
                 title="The same title on two planted pages", expect=("title.duplicate",)),
        PageSpec(path="/titles/dup-b", slug="duplicate title b",
                 title="The same title on two planted pages", expect=("title.duplicate",)),
        PageSpec(path="/titles/long", slug="long title", expect=("title.too_long",),
                 title="A planted title that goes on and on well past the sixty characters"),
        PageSpec(path="/titles/short", slug="short title", title="Short title",
                 expect=("title.too_short",)),
        PageSpec(path="/titles/same-as-h1", slug="title like h1",
                 title="Planted page whose title is its H1",
                 h1="Planted page whose title is its H1",
                 expect=("title.same_as_h1",)),
        PageSpec(path="/titles/multiple", slug="multiple titles", expect=("title.multiple",),
                 title=["Planted page with two title elements", "The second title"]),
        PageSpec(path="/meta/missing", slug="missing description", description=[],
                 expect=("meta_desc.missing",)),
        PageSpec(path="/meta/dup-a", slug="duplicate description a",
                 description="One description shared by two planted pages of the test site, word "
                 "for word.", expect=("meta_desc.duplicate",)),
        PageSpec(path="/meta/dup-b", slug="duplicate description b",
                 description="One description shared by two planted pages of the test site, word "
                 "for word.", expect=("meta_desc.duplicate",)),
        PageSpec(path="/meta/long", slug="long description", expect=("meta_desc.too_long",),
                 description="A planted meta description that keeps going " * 5),
        PageSpec(path="/meta/short", slug="short description", description="Too short to help.",
                 expect=("meta_desc.too_short",)),
        PageSpec(path="/meta/multiple", slug="multiple descriptions",
                 description=["The first planted description of this page, long enough to pass "
                              "the length checks.", "A second one."],
                 expect=("meta_desc.multiple",)),
        PageSpec(path="/headings/no-h1", slug="no h1", h1=[], expect=("h1.missing",)),
        PageSpec(path="/headings/two-h1", slug="two h1", h1=["First heading", "Second heading"],
                 expect=("h1.multiple",)),
        PageSpec(path="/headings/dup-a", slug="duplicate h1 a", h1="One H1 on two pages",
                 expect=("h1.duplicate",)),
        PageSpec(path="/headings/dup-b", slug="duplicate h1 b", h1="One H1 on two pages",
                 expect=("h1.duplicate",)),
        PageSpec(path="/headings/long-h1", slug="long h1", expect=("h1.too_long",),
                 h1="A planted first-level heading that is much longer than seventy characters"),
        PageSpec(path="/headings/skip", slug="skipped heading", headings="<h3>Deep heading</h3>",
                 expect=("headings.non_sequential",)),
        PageSpec(path="/content/thin", slug="thin content", words=50,
                 expect=("content.low_word_count",)),
        PageSpec(path="/content/copy-a", slug="copy a", text_seed=copy_seed,
                 expect=("content.exact_duplicate",)),
        PageSpec(path="/content/copy-b", slug="copy b", text_seed=copy_seed,
                 expect=("content.exact_duplicate",)),
        PageSpec(path="/content/near-a", slug="near copy a", text_seed=copy_seed + 1, words=400,
                 expect=("content.near_duplicate",)),
        PageSpec(path="/content/near-b", slug="near copy b", text_seed=copy_seed + 1, words=400,
                 extra_words="plus", expect=("content.near_duplicate",)),
        PageSpec(path="/content/placeholder", slug="placeholder",
                 headings="<h2>Lorem ipsum dolor sit amet</h2>", expect=("content.placeholder",)),
        PageSpec(path="/images/no-alt", slug="image without alt", expect=("img.alt_missing",),
                 image='<img src="/img/a.png" width="10" height="10">'),
        PageSpec(path="/images/long-alt", slug="long alt", expect=("img.alt_too_long",),
                 image=f'<img src="/img/b.png" alt="{"very long alt text " * 7}" width="1" '
                 'height="1">'),
        PageSpec(path="/images/no-size", slug="image without size", image='<img src="/img/c.png" '
                 'alt="">', expect=("img.missing_dimensions",)),
    ]  # fmt: skip


def _section_5_to_7() -> list[PageSpec]:
    """Canonicals, indexability, links and structure."""
    return [
        PageSpec(path="/canonical/none", slug="no canonical", canonical=None,
                 expect=("canonical.missing",)),
        PageSpec(path="/canonical/conflict", slug="conflicting canonicals",
                 head=f'<link rel="canonical" href="{BASE_URL_MARK}/canonical/none">',
                 expect=("canonical.multiple_conflicting",)),
        PageSpec(path="/canonical/invalid", slug="invalid canonical", canonical="http://[oops",
                 expect=("canonical.invalid",)),
        PageSpec(path="/canonical/relative", slug="relative canonical",
                 expect=("canonical.relative",),
                 canonical="relative"),
        PageSpec(path="/canonical/root", slug="canonical to root", canonical="/", listed=False,
                 expect=("canonical.points_to_root",)),
        PageSpec(path="/canonical/to-redirect", slug="canonical to redirect", listed=False,
                 canonical="/redirect/one", expect=("canonical.to_non_200",)),
        PageSpec(path="/canonical/to-noindex", slug="canonical to noindex", listed=False,
                 canonical="/indexability/noindex", expect=("canonical.to_non_indexable",)),
        PageSpec(path="/canonical/chain", slug="canonical chain", listed=False,
                 canonical="/canonical/root", expect=("canonical.chain",)),
        PageSpec(path="/canonical/header", slug="header canonical",
                 headers={"Link": f'<{BASE_URL_MARK}/canonical/none>; rel="canonical"'},
                 expect=("canonical.header_html_mismatch", "canonical.multiple_conflicting")),
        PageSpec(path="/canonical/in-body", slug="canonical in body",
                 body=f'<link rel="canonical" href="{BASE_URL_MARK}/canonical/in-body">',
                 expect=("canonical.outside_head",)),
        PageSpec(path="/indexability/noindex", slug="noindex", listed=False,
                 head='<meta name="robots" content="noindex, follow">',
                 expect=("indexability.noindex",)),
        PageSpec(path="/indexability/x-robots", slug="x robots tag", listed=False,
                 headers={"X-Robots-Tag": "googlebot: noindex"}, expect=("indexability.noindex",)),
        PageSpec(path="/indexability/nofollow", slug="nofollow page",
                 head='<meta name="robots" content="nofollow">',
                 expect=("indexability.nofollow_page",)),
        PageSpec(path="/indexability/hidden", slug="hidden noindex", listed=False,
                 head='<meta name="robots" content="noindex">',
                 expect=("indexability.noindex", "indexability.noindex_but_blocked")),
        PageSpec(path="/indexability/body-robots", slug="robots in body",
                 body='<meta name="robots" content="index, follow">',
                 expect=("directives.outside_head",)),
        PageSpec(path="/structure/orphan", slug="orphan", linked=False, expect=("links.orphan",)),
        PageSpec(path="/structure/dead-end", slug="dead end", nav="", expect=("links.dead_end",)),
        PageSpec(path="/structure/nofollow-link", slug="nofollow link",
                 nav='<a href="/" rel="nofollow">Home page</a>',
                 expect=("links.internal_nofollow",)),
        PageSpec(path="/structure/click-here", slug="click here",
                 nav='<a href="/">Home page</a> <a href="/redirect/target">click here</a>',
                 expect=("links.non_descriptive_anchor",)),
        PageSpec(path="/structure/empty-anchor", slug="empty anchor",
                 nav='<a href="/">Home page</a> <a href="/redirect/target"></a>',
                 expect=("links.empty_anchor",)),
        PageSpec(path="/structure/js-link", slug="javascript link",
                 nav='<a href="/">Home page</a> <a href="javascript:void(0)">Open the menu</a> '
                 '<a href="mailto:hello@example.com">Write to us</a>',
                 expect=("links.uncrawlable_href",)),
        PageSpec(path="/structure/many-links", slug="many links", expect=("links.too_many",),
                 nav="".join(f'<a href="/">Home page {n}</a>' for n in range(101))),
        # more links than a record keeps by default: cut, counted, reported
        PageSpec(path="/structure/capped-links", slug="capped links",
                 expect=("links.too_many", "http.page_capped"),
                 nav="".join(f'<a href="/">Home page {n}</a>' for n in range(5001))),
        PageSpec(path="/structure/unlisted", slug="unlisted", listed=False,
                 expect=("sitemap.indexable_not_listed",)),
        PageSpec(path="/deep/1", slug="deep one", nav='<a href="/deep/2">Deeper: two</a>'),
        PageSpec(path="/deep/2", slug="deep two", linked=False,
                 nav='<a href="/deep/3">Deeper: three</a>'),
        PageSpec(path="/deep/3", slug="deep three", linked=False,
                 nav='<a href="/deep/4">Deeper: four</a>'),
        PageSpec(path="/deep/4", slug="deep four", linked=False,
                 nav='<a href="/deep/1">Back to one</a>', expect=("links.high_crawl_depth",)),
    ]  # fmt: skip


def _section_8_to_10() -> list[PageSpec]:
    """Sitemap-listed problems, hreflang, language, HTML, social and URLs."""
    return [
        PageSpec(path="/sitemap-issues/noindex", slug="listed noindex",
                 head='<meta name="robots" content="noindex">',
                 expect=("sitemap.noindex_url", "indexability.noindex")),
        PageSpec(path="/sitemap-issues/canonicalised", slug="listed canonicalised",
                 canonical="/deep/1", expect=("sitemap.non_canonical_url",)),
        PageSpec(path="/intl/en", slug="english", head=alternates(
            ("en", "/intl/en"), ("de", "/intl/de"), ("x-default", "/intl/en"))),
        PageSpec(path="/intl/de", slug="german", head=alternates(
            ("en", "/intl/en"), ("de", "/intl/de"), ("x-default", "/intl/en"))),
        PageSpec(path="/intl/fr", slug="french", expect=("hreflang.missing_return",),
                 head=alternates(("fr", "/intl/fr"), ("en", "/intl/en"),
                                  ("x-default", "/intl/fr"))),
        PageSpec(path="/intl/bad-code", slug="bad language code", expect=("hreflang.invalid_code",),
                 head=alternates(("english", "/intl/bad-code"), ("x-default", "/intl/bad-code"))),
        PageSpec(path="/intl/relative", slug="relative hreflang", expect=("hreflang.relative_url",),
                 head=alternates(("en", "rel:/intl/relative"), ("x-default", "/intl/relative"))),
        PageSpec(path="/intl/no-self", slug="hreflang without self",
                 expect=("hreflang.missing_self",),
                 head=alternates(("de", f"{EXTERNAL_MARK}/seite"),
                                  ("x-default", f"{EXTERNAL_MARK}/seite"))),
        PageSpec(path="/intl/no-x-default", slug="no x-default",
                 expect=("hreflang.missing_x_default",),
                 head=alternates(("en", "/intl/no-x-default"))),
        PageSpec(path="/intl/to-redirect", slug="hreflang to redirect",
                 expect=("hreflang.to_non_200",),
                 head=alternates(("en", "/intl/to-redirect"), ("de", "/redirect/one"),
                                  ("x-default", "/intl/to-redirect"))),
        PageSpec(path="/intl/no-lang", slug="no language", lang=None,
                 expect=("html.lang_missing",)),
        PageSpec(path="/tech/no-viewport", slug="no viewport", viewport=False,
                 expect=("mobile.viewport_missing",)),
        PageSpec(path="/tech/no-charset", slug="no charset", charset=False,
                 content_type="text/html",
                 expect=("html.charset_missing",)),
        PageSpec(path="/tech/bad-json-ld", slug="bad json ld", expect=("schema.parse_error",),
                 body='<script type="application/ld+json">{"@type": "Thing",</script>'),
        PageSpec(path="/tech/no-og", slug="no open graph", og=False,
                 expect=("social.og_incomplete",)),
        PageSpec(path="/URL/Upper", slug="uppercase url", expect=("url.uppercase",)),
        PageSpec(path="/url/under_score", slug="underscore url", expect=("url.underscore",)),
        PageSpec(path="/url/with%20space", slug="space url", expect=("url.space",)),
        PageSpec(path="/url//double", slug="double slash url", expect=("url.multiple_slashes",)),
        PageSpec(path="/url/" + "-".join(["a-long-path-segment"] * 5), slug="long url",
                 expect=("url.too_long",)),
        PageSpec(path="/url/params?page=2", slug="parameters url", expect=("url.parameters",)),
        PageSpec(path="/url/tracking-links", slug="tracking links",
                 nav='<a href="/?utm_source=newsletter&amp;utm_medium=email">Home page</a>',
                 expect=("url.tracking_params",)),
    ]  # fmt: skip


def _fetch_specs() -> list[PageSpec]:
    """Pages whose problem is in how they are served."""
    return [
        PageSpec(path="/slow", slug="slow page", delay=SLOW_SECONDS,
                 expect=("http.slow_response",)),
        PageSpec(path="/large", slug="large page", padding=LARGE_PAGE_BYTES,
                 expect=("http.page_too_large",)),
    ]  # fmt: skip


def _redirects() -> dict[str, Response]:
    return {
        "/redirect/one": redirect("/redirect/target"),
        "/redirect/chain-1": redirect("/redirect/chain-2"),
        "/redirect/chain-2": redirect("/redirect/target", status=302),
        "/redirect/loop-a": redirect("/redirect/loop-b"),
        "/redirect/loop-b": redirect("/redirect/loop-a"),
        "/redirect/broken": redirect("/missing-target"),
        "/redirect/listed": redirect("/redirect/target"),
    }


def _non_page_expected() -> set[tuple[str, str]]:
    """Issues of the URLs that are not planted pages: errors, redirects, files."""
    found = {("http.3xx_internal", path) for path in _redirects()}
    return found | {
        ("http.4xx", "/missing"),
        ("http.5xx", "/server-error"),
        ("http.no_response", "/no-response"),
        ("redirect.chain", "/redirect/chain-1"),
        ("redirect.loop", "/redirect/loop-a"),
        ("redirect.broken_target", "/redirect/broken"),
        ("http.4xx", "/missing-target"),
        ("http.blocked_by_robots", "/private/area"),
        ("http.bad_content_type", "/no-type"),
        ("sitemap.non_200_url", "/redirect/listed"),
        ("sitemap.non_200_url", "/sitemap-issues/gone"),
        ("http.4xx", "/sitemap-issues/gone"),
        ("sitemap.blocked_url", "/private/listed"),
        ("sitemap.parse_error", "/sitemap-broken.xml"),
        ("sitemap.too_big", "/sitemap-big.xml"),
        ("robots.invalid", "/robots.txt"),
        ("robots.ai_bots_blocked", "/robots.txt"),
    }


def _big_sitemap() -> Response:
    """More URLs than one sitemap may list (all on another host: never crawled)."""
    entries = "".join(
        f"<url><loc>https://elsewhere.example/p{n}</loc></url>" for n in range(BIG_SITEMAP_URLS)
    )
    xml = f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>'
    return text(xml, content_type="application/xml")


def _home(specs: list[PageSpec]) -> PageSpec:
    links = [f'<a href="{escape(s.path)}">Go to {escape(s.slug)}</a>' for s in specs if s.linked]
    logo = '<a href="/"><img src="/img/logo.png" alt="Planted site" width="10" height="10"></a>'
    extra = '<a href="/no-type">Plain file</a>'
    return PageSpec(path="/", slug="home", nav=logo + "".join(links) + extra)


def _files(specs: list[PageSpec]) -> dict[str, Response]:
    listed = [s.path for s in specs if s.listed]
    listed += ["/redirect/listed", "/sitemap-issues/gone", "/private/listed"]
    page = '<html lang="en"><head><title>x</title></head><body><p>x</p></body></html>'
    return {
        "/robots.txt": text(ROBOTS_TXT, templated=True),
        "/sitemap.xml": sitemap_xml(listed),
        "/sitemap-broken.xml": text("<urlset><url><loc>", content_type="application/xml"),
        "/sitemap-big.xml": _big_sitemap(),
        "/server-error": Response(status=500, body=b"<h1>Server error</h1>"),
        "/no-response": Response(delay=NO_RESPONSE_SECONDS),
        "/no-type": Response(body=page.encode(), content_type=None),
    }


def _expected(specs: Iterable[PageSpec]) -> set[tuple[str, str]]:
    """Each spec's planted checks, plus `security.http_page` (we serve plain http)."""
    found = set()
    for spec in specs:
        found.update((check_id, spec.path) for check_id in spec.expect)
        found.add(("security.http_page", spec.path))
    return found


def planted_site() -> PlantedSite:
    """The full site: at least one planted case of every check a local crawl can see."""
    specs = _section_1_to_4() + _section_5_to_7() + _section_8_to_10() + _fetch_specs()
    specs += resource_specs() + reading_specs()
    specs.append(_home(specs))
    routes = {spec.path: page_response(spec) for spec in specs}
    routes.update(_redirects())
    routes.update(_files(specs))
    routes.update(images())
    expected = frozenset(_expected(specs) | _non_page_expected())
    return PlantedSite(routes=routes, expected=expected, external=external_routes())


def bare_site() -> PlantedSite:
    """One clean page; no robots.txt and no sitemap (both answer 404)."""
    home = PageSpec(path="/", slug="bare home", nav='<a href="/">Home page</a>')
    expected = _expected([home]) | {("robots.missing", "/robots.txt"), ("sitemap.missing", "/")}
    routes = {"/": page_response(home), **images()}
    return PlantedSite(routes=routes, expected=frozenset(expected))


def robots_down_site() -> PlantedSite:
    """robots.txt answers 500, which disallows everything (RFC 9309): nothing is fetched."""
    home = PageSpec(path="/", slug="robots down home", nav='<a href="/">Home page</a>')
    routes = {"/": page_response(home), "/robots.txt": Response(status=500, body=b"down")}
    expected = {("robots.server_error", "/robots.txt"), ("sitemap.missing", "/")}
    return PlantedSite(routes=routes, expected=frozenset(expected))
