"""Every check of docs/audit-checks.md: its id, severity, a one-line explanation and a fix.

The table is data, read by the audit (severity), the reports (explanation) and the
analysis prompt (fix). Implementations register themselves against these ids in
`seology.audit.checks`; a test pins that every id here has exactly one implementation
and a positive and a negative test case.
"""

from __future__ import annotations

from dataclasses import dataclass

from seology.audit.model import Detail, IssueRecord, Severity


@dataclass(frozen=True, kw_only=True)
class CheckInfo:
    """What a check id means."""

    id: str
    severity: Severity
    summary: str
    fix: str

    @property
    def section(self) -> str:
        """The id's prefix: `title` for `title.missing`."""
        return self.id.split(".", 1)[0]


def _check(check_id: str, severity: Severity, summary: str, fix: str) -> CheckInfo:
    return CheckInfo(id=check_id, severity=severity, summary=summary, fix=fix)


_TABLE: tuple[CheckInfo, ...] = (
    # 1. HTTP, redirects, fetching
    _check("http.4xx", "error", "The URL answers with a client error (4xx).",
           "Restore the page, or redirect it and update the links that point to it."),
    _check("http.5xx", "error", "The URL answers with a server error (5xx).",
           "Fix the server error; check the application and server logs for this URL."),
    _check("http.no_response", "error", "The URL gave no answer (DNS, connect or read failure).",
           "Make sure the host resolves and the server answers within a few seconds."),
    _check("http.3xx_internal", "notice", "An internal URL redirects.",
           "Link straight to the final URL instead of one that redirects."),
    _check("redirect.chain", "warning", "Two or more redirects happen before the final URL.",
           "Redirect the first URL straight to the final one."),
    _check("redirect.loop", "error", "The redirects loop (or exceed 10 hops).",
           "Break the loop: make one URL of the chain answer 200."),
    _check("redirect.broken_target", "error", "A redirect ends on an error or no answer.",
           "Point the redirect at a live page."),
    _check("redirect.meta_refresh", "warning", "The page redirects with a meta refresh.",
           "Use a server-side 301 redirect instead of <meta http-equiv=refresh>."),
    _check("http.blocked_by_robots", "warning", "robots.txt disallows a linked internal URL.",
           "Allow the URL in robots.txt, or stop linking to it."),
    _check("http.slow_response", "warning", "The server took long to send the response headers.",
           "Speed up the server: caching, a faster backend or a CDN."),
    _check("http.page_too_large", "warning", "The HTML document is very large.",
           "Trim the HTML: move inline data, scripts and styles out, paginate long lists."),
    _check("http.page_capped", "notice",
           "The page has more links, images, headings or JSON-LD blocks than the crawl keeps.",
           "Split the page: thousands of links or images on one page help neither visitors "
           "nor crawlers."),
    _check("http.bad_content_type", "notice", "Content-Type is missing or wrong for HTML.",
           "Send `Content-Type: text/html; charset=utf-8` for HTML pages."),
    _check("links.to_broken_internal", "error", "The page links to a broken internal URL.",
           "Fix or remove the link, or restore the target."),
    _check("links.to_redirect", "warning", "The page links to an internal URL that redirects.",
           "Update the link to the redirect's final URL."),
    _check("links.to_broken_external", "warning", "The page links to a broken external URL.",
           "Fix or remove the external link."),
    # 2. Titles and meta descriptions
    _check("title.missing", "error", "The page has no title.",
           "Add a unique, descriptive <title> of 30–60 characters."),
    _check("title.duplicate", "warning", "Several indexable pages share this title.",
           "Give every page its own title that says what is specific to it."),
    _check("title.too_long", "warning", "The title is longer than search results show.",
           "Shorten the title to at most 60 characters, key words first."),
    _check("title.too_short", "notice", "The title is very short.",
           "Lengthen the title to 30–60 characters with what the page is about."),
    _check("title.same_as_h1", "notice", "The title repeats the first H1 exactly.",
           "Vary the title and the H1 to cover more of the page's wording."),
    _check("title.multiple", "warning", "The page has more than one <title>.",
           "Keep exactly one <title> element in the <head>."),
    _check("meta_desc.missing", "warning", "The page has no meta description.",
           "Add a meta description of 70–155 characters that invites the click."),
    _check("meta_desc.duplicate", "warning", "Several indexable pages share this description.",
           "Write a description specific to each page."),
    _check("meta_desc.too_long", "notice", "The meta description is longer than results show.",
           "Shorten the description to at most 155 characters."),
    _check("meta_desc.too_short", "notice", "The meta description is very short.",
           "Lengthen the description to 70–155 characters."),
    _check("meta_desc.multiple", "warning", "The page has more than one meta description.",
           "Keep exactly one meta description."),
    # 3. Headings and content
    _check("h1.missing", "warning", "The page has no H1 with text.",
           "Add one H1 that states the page's topic."),
    _check("h1.multiple", "notice", "The page has more than one H1.",
           "Keep one H1 and demote the others to H2."),
    _check("h1.duplicate", "notice", "Several indexable pages share this H1.",
           "Give each page its own H1."),
    _check("h1.too_long", "notice", "The H1 is very long.",
           "Shorten the H1 to at most 70 characters."),
    _check("headings.non_sequential", "notice", "A heading level is skipped.",
           "Nest headings one level at a time (h1, h2, h3)."),
    _check("content.low_word_count", "warning", "The page has little visible body text.",
           "Add useful text, or merge the page with a related one."),
    _check("content.exact_duplicate", "warning", "Other indexable pages have identical text.",
           "Canonicalise the copies to one page, or make their text distinct."),
    _check("content.near_duplicate", "warning", "Other indexable pages have almost the same text.",
           "Merge the pages or make each substantially distinct; or canonicalise."),
    _check("content.placeholder", "warning", "The page contains placeholder text (lorem ipsum).",
           "Replace the placeholder text with real content."),
    # 4. Images
    _check("img.alt_missing", "warning", "An image has no alt attribute.",
           "Add alt text that describes the image (alt=\"\" for decorative images)."),
    _check("img.alt_too_long", "notice", "An image's alt text is very long.",
           "Keep alt text under 100 characters."),
    _check("img.missing_dimensions", "notice", "An image lacks width or height attributes.",
           "Set width and height so the layout does not shift while loading."),
    _check("img.broken", "error", "An internal image is broken.",
           "Fix the image URL or restore the file."),
    # 5. Canonicals
    _check("canonical.missing", "notice", "The indexable page declares no canonical URL.",
           "Add <link rel=canonical> with the page's own absolute URL."),
    _check("canonical.multiple_conflicting", "error", "The page declares conflicting canonicals.",
           "Declare exactly one canonical URL, in the head or the Link header, not both."),
    _check("canonical.invalid", "error", "The canonical URL cannot be parsed.",
           "Use an absolute http(s) URL as the canonical href."),
    _check("canonical.relative", "warning", "The canonical URL is relative.",
           "Use an absolute URL as the canonical href."),
    _check("canonical.points_to_root", "error", "The canonical points to the site's root.",
           "Point the canonical at the page itself, or at its true equivalent."),
    _check("canonical.to_non_200", "error", "The canonical target redirects or is broken.",
           "Point the canonical at a URL that answers 200."),
    _check("canonical.to_non_indexable", "error", "The canonical target is not indexable.",
           "Point the canonical at an indexable page (no noindex, not blocked)."),
    _check("canonical.chain", "warning", "The canonical target canonicalises elsewhere.",
           "Point the canonical straight at the final canonical URL."),
    _check("canonical.header_html_mismatch", "warning",
           "The Link header and the HTML declare different canonicals.",
           "Make the Link: rel=canonical header and the HTML canonical agree."),
    _check("canonical.outside_head", "warning", "A canonical link is in the <body>.",
           "Move the canonical link into the <head>; search engines ignore it elsewhere."),
    # 6. Indexability and directives
    _check("indexability.noindex", "warning", "The page tells search engines not to index it.",
           "Remove noindex if the page should appear in search results."),
    _check("indexability.nofollow_page", "notice", "The page tells crawlers not to follow links.",
           "Remove the page-level nofollow unless it is intended."),
    _check("indexability.noindex_but_blocked", "warning",
           "The page is noindex but robots.txt blocks crawling it, so noindex is never seen.",
           "Allow crawling in robots.txt so that search engines can see the noindex."),
    _check("directives.outside_head", "warning", "A robots meta tag is in the <body>.",
           "Move the robots meta tag into the <head>."),
    # 7. Links and structure
    _check("links.orphan", "warning", "The sitemap lists the page but no crawled page links to it.",
           "Link to the page from related pages, or drop it from the sitemap."),
    _check("links.dead_end", "notice", "The page has no outgoing links.",
           "Link to related pages so visitors and crawlers can go on."),
    _check("links.internal_nofollow", "notice", "The page has nofollow links to internal URLs.",
           "Remove rel=nofollow from internal links."),
    _check("links.non_descriptive_anchor", "notice", "A link's text does not describe its target.",
           "Use anchor text that says where the link goes, not 'click here'."),
    _check("links.empty_anchor", "notice", "An internal link has no text and no image alt.",
           "Give the link text, or alt text on its image."),
    _check("links.uncrawlable_href", "warning", "A link's href cannot be crawled.",
           "Use a real URL in href; keep javascript: for buttons, not links."),
    _check("links.http_on_https", "warning", "An https page links internally to http URLs.",
           "Link to the https URLs."),
    _check("links.high_crawl_depth", "notice", "The page is many clicks from the start page.",
           "Link to the page from higher up in the site (hub pages, navigation)."),
    _check("links.too_many", "notice", "The page has very many links.",
           "Reduce the links to the ones that help the visitor."),
    # 8. Sitemaps, robots.txt
    _check("sitemap.missing", "warning", "The site has no XML sitemap.",
           "Publish /sitemap.xml and list it in robots.txt with a Sitemap: line."),
    _check("sitemap.parse_error", "error", "A sitemap is not valid XML (or bad gzip).",
           "Fix the sitemap so it validates against the sitemap protocol."),
    _check("sitemap.too_big", "error", "A sitemap file exceeds 50,000 URLs or 50 MB.",
           "Split the sitemap and list the parts in a sitemap index."),
    _check("sitemap.non_200_url", "error", "The sitemap lists a URL that does not answer 200.",
           "List only live, final URLs in the sitemap."),
    _check("sitemap.noindex_url", "error", "The sitemap lists a noindex URL.",
           "Remove noindex pages from the sitemap."),
    _check("sitemap.non_canonical_url", "warning", "The sitemap lists a non-canonical URL.",
           "List the canonical URL instead."),
    _check("sitemap.blocked_url", "warning", "The sitemap lists a URL robots.txt disallows.",
           "Remove the URL from the sitemap or allow it in robots.txt."),
    _check("sitemap.indexable_not_listed", "notice", "An indexable page is in no sitemap.",
           "Add the page to the sitemap."),
    _check("robots.missing", "notice", "/robots.txt does not exist.",
           "Publish a robots.txt, at least with a Sitemap: line."),
    _check("robots.server_error", "error",
           "/robots.txt fails with a server error: crawlers treat the site as disallowed.",
           "Make /robots.txt answer 200 (or 404 if you have none)."),
    _check("robots.invalid", "warning", "robots.txt has lines crawlers cannot understand.",
           "Fix the listed lines: directive: value, rules inside a user-agent group."),
    _check("robots.ai_bots_blocked", "notice", "robots.txt blocks AI crawlers.",
           "Allow the AI crawlers whose answers and citations you want to appear in."),
    # 9. International and language
    _check("hreflang.invalid_code", "error", "An hreflang value is not a valid language code.",
           "Use ISO 639-1 language codes, optionally with an ISO 3166-1 region, or x-default."),
    _check("hreflang.relative_url", "warning", "An hreflang URL is relative.",
           "Use absolute URLs in hreflang annotations."),
    _check("hreflang.missing_return", "error", "An alternate page does not link back.",
           "Add the return hreflang link on every alternate page."),
    _check("hreflang.missing_self", "warning", "The hreflang set lacks the page itself.",
           "Include the page's own URL in its hreflang set."),
    _check("hreflang.missing_x_default", "notice", "The hreflang set has no x-default.",
           "Add an x-default alternate for visitors of other languages."),
    _check("hreflang.to_non_200", "error", "An hreflang alternate redirects or is broken.",
           "Point hreflang at the final, live URLs."),
    _check("hreflang.missing_href", "error", "An hreflang alternate has no URL.",
           "Give every hreflang alternate the absolute URL of its page in `href`."),
    _check("html.lang_missing", "notice", "The <html> element has no lang attribute.",
           "Set <html lang=\"…\"> to the page's language."),
    # 10. Mobile, HTML, structured data, social, security, URLs
    _check("mobile.viewport_missing", "warning", "The page has no usable meta viewport.",
           "Add <meta name=viewport content=\"width=device-width, initial-scale=1\">."),
    _check("html.charset_missing", "notice", "The page declares no character set.",
           "Declare <meta charset=\"utf-8\"> or a charset in Content-Type."),
    _check("schema.parse_error", "error", "A JSON-LD block is not valid JSON.",
           "Fix the JSON-LD so it parses; validate it with a structured data tool."),
    _check("social.og_incomplete", "notice", "Open Graph title, description or image is missing.",
           "Add og:title, og:description and og:image for link previews."),
    _check("security.http_page", "warning", "The page is served over plain http.",
           "Serve the site over https and redirect http to it."),
    _check("security.mixed_content", "error", "An https page loads http resources.",
           "Load every image, script and style over https."),
    _check("security.missing_hsts", "notice", "The https page sends no HSTS header.",
           "Send Strict-Transport-Security on https responses."),
    _check("url.uppercase", "notice", "The URL path has uppercase letters.",
           "Use lowercase URLs (and redirect the uppercase ones)."),
    _check("url.underscore", "notice", "The URL path has underscores.",
           "Use hyphens to separate words in URLs."),
    _check("url.space", "warning", "The URL has a space.",
           "Remove spaces from URLs; use hyphens."),
    _check("url.multiple_slashes", "notice", "The URL path has a double slash.",
           "Remove the repeated slash and redirect the old URL."),
    _check("url.too_long", "notice", "The URL is very long.",
           "Shorten the URL to at most 115 characters."),
    _check("url.parameters", "notice", "The internal URL has query parameters.",
           "Prefer clean paths; canonicalise parameter variants."),
    _check("url.tracking_params", "warning", "Internal links carry tracking parameters.",
           "Remove utm_*, gclid and fbclid from internal links."),
    # 11. JavaScript (rendered crawls: the raw HTML against the rendered DOM)
    _check("js.noindex_only_in_raw", "error", "Noindex in the raw HTML only, not after rendering.",
           "Remove noindex from the server's HTML, or keep it in both: Google may never render."),
    _check("js.nofollow_only_in_raw", "warning", "Nofollow in the raw HTML only.",
           "Make the robots meta tag the same in the server's HTML and after rendering."),
    _check("js.canonical_only_rendered", "warning", "The canonical exists only after rendering.",
           "Send <link rel=canonical> in the server's HTML."),
    _check("js.canonical_mismatch", "error", "Script changes the canonical URL.",
           "Send the same canonical in the server's HTML as the rendered page has."),
    _check("js.title_only_rendered", "warning", "The title exists only after rendering.",
           "Send the <title> in the server's HTML (server-side or static rendering)."),
    _check("js.title_changed", "notice", "Script changes the title.",
           "Send the final title in the server's HTML."),
    _check("js.meta_desc_only_rendered", "warning", "Meta description only after rendering.",
           "Send the meta description in the server's HTML."),
    _check("js.meta_desc_changed", "notice", "Script changes the meta description.",
           "Send the final meta description in the server's HTML."),
    _check("js.h1_only_rendered", "warning", "The first H1 exists only after rendering.",
           "Render the main heading on the server."),
    _check("js.h1_changed", "notice", "Script changes the first H1.",
           "Send the final H1 in the server's HTML."),
    _check("js.links_only_rendered", "warning", "Internal links exist only after rendering.",
           "Put navigation links as <a href> in the server's HTML so crawlers find them."),
    _check("js.content_only_rendered", "warning", "The page's text depends on JavaScript.",
           "Render the main content on the server (SSR, static generation or pre-rendering)."),
    _check("js.blocked_resources", "warning", "robots.txt blocks a script, style or XHR it needs.",
           "Allow crawlers to fetch the resources a page needs to render."),
    _check("js.errors", "notice", "Uncaught JavaScript errors while rendering.",
           "Fix the errors in the browser console; they can stop content from rendering."),
    _check("js.render_failed", "warning", "The page could not be rendered.",
           "Make the page render without hanging, dialogs, popups or script redirects."),
    # 12. Page experience (lab figures from rendered crawls)
    _check("perf.lcp_slow", "warning", "Largest Contentful Paint is slow (lab).",
           "Serve the main content sooner: less script before it, faster data, preloads."),
    _check("perf.cls_high", "warning", "The layout shifts while loading (CLS, lab).",
           "Reserve space for late content (sizes for images, banners, ads)."),
    _check("perf.page_weight", "warning", "The page and its resources are heavy to download.",
           "Compress and resize images, split and trim scripts, drop unused resources."),
    _check("perf.too_many_requests", "notice", "The page needs very many requests to load.",
           "Bundle, sprite or lazy-load resources; remove the ones not needed."),
    _check("perf.render_blocking", "notice", "Many scripts and stylesheets block the first paint.",
           "Load scripts with defer or async and inline the critical CSS."),
)  # fmt: skip

CHECKS: dict[str, CheckInfo] = {info.id: info for info in _TABLE}


def check_info(check_id: str) -> CheckInfo:
    """The registry entry of `check_id` (KeyError for an unknown id: a bug)."""
    return CHECKS[check_id]


def issue(check_id: str, url: str, detail: Detail | None = None) -> IssueRecord:
    """An issue of `check_id` on `url`, with the registry's severity."""
    return IssueRecord(check_id, CHECKS[check_id].severity, url, detail or {})
