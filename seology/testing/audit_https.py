"""The planted site over https: mixed content, a missing HSTS header, http→https redirects.

Served by two servers on 127.0.0.1 (one site: the same host): the https one with a
certificate of a local authority (`seology.testing.tls`), and a plain http one that
redirects every path to its https twin. The crawl starts at the http address, as a
user who types the bare domain does. Every page but one sends HSTS.
`{{http_url}}` in pages and in `expected` is the http server's address.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from seology.testing.audit_pages import PNG, PageSpec, page_response
from seology.testing.audit_site import PlantedSite
from seology.testing.sites import BASE_URL_MARK, Fallback, Response, redirect, sitemap_xml, text

HTTP_MARK = "{{http_url}}"
HSTS = {"Strict-Transport-Security": "max-age=63072000; includeSubDomains"}


def _specs() -> list[PageSpec]:
    return [
        PageSpec(path="/secure/mixed", slug="mixed content", headers=HSTS,
                 expect=("security.mixed_content",),
                 image=f'<img src="{HTTP_MARK}/img/photo.png" alt="Over http" width="1" '
                 'height="1">',
                 body=f'<script src="{HTTP_MARK}/js/app.js"></script>'),
        PageSpec(path="/secure/no-hsts", slug="no hsts header",
                 expect=("security.missing_hsts",)),
        PageSpec(path="/secure/http-link", slug="link over http", headers=HSTS,
                 expect=("links.http_on_https", "links.to_redirect"),
                 body=f'<a href="{HTTP_MARK}/secure/target">The target, over http</a>'),
        PageSpec(path="/secure/target", slug="secure target", headers=HSTS),
    ]  # fmt: skip


def https_site() -> PlantedSite:
    """The https variant: its `routes` are the https server's (the http one redirects)."""
    specs = _specs()
    links = "".join(f'<a href="{escape(s.path)}">Go to {escape(s.slug)}</a>' for s in specs)
    specs.append(PageSpec(path="/", slug="secure home", headers=HSTS, nav=links))
    routes = {spec.path: page_response(spec) for spec in specs}
    routes.update({
        "/robots.txt": text(f"User-agent: *\nSitemap: {BASE_URL_MARK}/sitemap.xml\n",
                            templated=True),
        "/sitemap.xml": sitemap_xml([spec.path for spec in specs]),
        "/img/photo.png": Response(body=PNG, content_type="image/png"),
        "/js/app.js": Response(body=b"var app;", content_type="text/javascript"),
    })  # fmt: skip
    expected = {(check_id, spec.path) for spec in specs for check_id in spec.expect}
    # The http→https redirects the crawl meets: the start address and the http link.
    expected |= {("http.3xx_internal", f"{HTTP_MARK}/"),
                 ("http.3xx_internal", f"{HTTP_MARK}/secure/target")}  # fmt: skip
    return PlantedSite(routes=routes, expected=frozenset(expected))


def to_https(https_base: str) -> Fallback:
    """The http server's fallback: every path redirected (301) to the https server."""

    def answer(path: str) -> Response:
        return redirect(https_base + path)

    return answer
