"""Planted pages whose problems are in what they point to, and in how HTML is read.

Resource checks (docs/audit-checks.md "Resources") ask what pages point to without crawling
it: external link targets and images on another host (`external_routes`, served on
127.0.0.2), canonical and hreflang targets reachable only through those tags. The
reading cases follow "Reading HTML as search engines do": hreflang only in `<head>`,
values not trimmed, alternates without href, onclick-only anchors, links in `<svg>`,
case-insensitive rel, `Link:` headers, placeholder text in paragraphs.
"""

from __future__ import annotations

from seology.testing.audit_pages import EXTERNAL_MARK, PNG, PageSpec, alternates
from seology.testing.sites import BASE_URL_MARK, Response, redirect


def resource_specs() -> list[PageSpec]:
    """Pages whose problem is in what they point to: asked by the resource checks only."""
    ext = EXTERNAL_MARK
    return [
        PageSpec(path="/resources/external-links", slug="broken external links",
                 expect=("links.to_broken_external",),
                 body=f'<a href="{ext}/ok">A working site</a> <a href="{ext}/gone">A gone page</a> '
                 f'<a href="{ext}/moved-to-gone">A moved page</a> '
                 f'<a href="{ext}/no-head">A page that refuses HEAD</a>'),
        PageSpec(path="/resources/good-external-links", slug="working external links",
                 body=f'<a href="{ext}/ok">A working site</a> '
                 f'<a href="{ext}/no-head">A page that refuses HEAD</a> '
                 f'<a href="{ext}/moved-to-ok">A moved page that works</a>'),
        PageSpec(path="/resources/broken-images", slug="broken images", expect=("img.broken",),
                 image='<img src="/img/missing.png" alt="Gone" width="1" height="1">'
                 f'<img src="{ext}/img/missing.png" alt="Gone too" width="1" height="1">'),
        PageSpec(path="/resources/good-images", slug="working images",
                 image='<img src="/img/photo.png" alt="Here" width="1" height="1">'
                 f'<img src="{ext}/img/ok.png" alt="There" width="1" height="1">'),
        PageSpec(path="/resources/canonical-to-gone", slug="canonical to a gone page",
                 listed=False, canonical="/resources/canonical-target-gone",
                 expect=("canonical.to_non_200",)),
        PageSpec(path="/resources/hreflang-to-gone", slug="hreflang to a gone page",
                 expect=("hreflang.to_non_200",),
                 head=alternates(("en", "/resources/hreflang-to-gone"),
                                  ("de", "/resources/hreflang-target-gone"),
                                  ("x-default", "/resources/hreflang-to-gone"))),
    ]  # fmt: skip


def reading_specs() -> list[PageSpec]:
    """HTML read as search engines read it (docs/audit-checks.md "Reading HTML")."""
    return [
        # In <body>, an invalid alternate is ignored: nothing to report.
        PageSpec(path="/reading/hreflang-in-body", slug="hreflang in body",
                 body='<link rel="alternate" hreflang="english" href="/nowhere">'),
        PageSpec(path="/reading/x-default-with-space", slug="x-default with a space",
                 expect=("hreflang.invalid_code", "hreflang.missing_x_default"),
                 head=alternates(("en", "/reading/x-default-with-space"),
                                  (" x-default", "/reading/x-default-with-space"))),
        PageSpec(path="/reading/alternate-without-href", slug="alternate without href",
                 expect=("hreflang.missing_href",),
                 head=alternates(("en", "/reading/alternate-without-href"),
                                  ("x-default", "/reading/alternate-without-href"))
                 + '<link rel="alternate" hreflang="de">'),
        PageSpec(path="/reading/onclick-link", slug="onclick link",
                 expect=("links.uncrawlable_href",),
                 body="<a onclick=\"window.open('/redirect/target')\">Open the target</a>"),
        # The canonical's REL and HREF in capitals: still a canonical (no canonical.missing).
        PageSpec(path="/reading/upper-case-rel", slug="upper case rel", canonical=None,
                 head=f'<LINK REL="Canonical" HREF="{BASE_URL_MARK}/reading/upper-case-rel">'),
        # Only an <svg> link leads to the target: it counts (no links.orphan there).
        PageSpec(path="/reading/svg-link", slug="svg link",
                 body='<svg width="10" height="10"><a href="/reading/svg-target">'
                 "<text>To the target</text></a></svg>"),
        PageSpec(path="/reading/svg-target", slug="svg target", linked=False),
        PageSpec(path="/reading/link-header-hreflang", slug="hreflang in a link header",
                 expect=("hreflang.to_non_200",),
                 headers={"Link": f'<{BASE_URL_MARK}/reading/link-header-hreflang>; '
                          'rel="alternate"; hreflang="en", '
                          f'<{BASE_URL_MARK}/reading/link-header-hreflang>; rel=alternate; '
                          f'hreflang="x-default", <{BASE_URL_MARK}/resources/header-target-gone>; '
                          'REL="Alternate"; HrefLang="de"'}),
        PageSpec(path="/content/placeholder-body", slug="placeholder body",
                 extra_words="Lorem ipsum dolor sit amet, consectetur adipiscing elit.",
                 expect=("content.placeholder",)),
    ]  # fmt: skip


def external_routes() -> dict[str, Response]:
    """The other host the planted pages point to: working and broken targets."""
    page = b"<html><body><p>Another site.</p></body></html>"
    return {
        "/ok": Response(body=page),
        "/gone": Response(status=404, body=b"gone"),
        "/moved-to-gone": redirect("/gone"),
        "/moved-to-ok": redirect("/ok", status=302),
        "/no-head": Response(body=page, head_status=405),
        "/img/ok.png": Response(body=PNG, content_type="image/png"),
        "/seite": Response(body=page),
    }


def images() -> dict[str, Response]:
    """The site's own images the pages show (any other /img/… answers 404)."""
    names = ("photo", "logo", "a", "b", "c")
    return {f"/img/{name}.png": Response(body=PNG, content_type="image/png") for name in names}
