"""A client-rendered site (a single-page app) with JavaScript and page-experience problems.

    site = client_rendered_site()
    with SiteServer(site.routes) as server:
        ...crawl server.url("/") with render="auto" and audit...
        assert js_and_perf_findings == site.expected_urls(server.base_url)

Every page is an app shell: the head carries the page's title and description (as a
server that knows its routes sends them), the body an empty `<div id="root">` and a
deferred `/static/app.js`. The script fetches `/api/pages/<slug>.json` and builds the
title, meta tags, canonical, H1, text and links from it. Raw HTML has no links and no
sitemap, so a crawl that does not render finds the home page only.

Each successfully rendered page has its H1, links and text only after rendering
(`js.h1_only_rendered`, `js.links_only_rendered`, `js.content_only_rendered`); the
planted pages under `/planted/` add one problem each. `expected` lists every `js.*`
and `perf.*` finding an exact audit reports.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

from seology.testing.sites import WORDS, Response, html, robots_txt

APP_JS = """
(async () => {
  const path = location.pathname;
  const slug = path === '/' ? 'index'
    : path.replace(/^\\/|\\/$/g, '').replace(/\\//g, '_');
  const data = await (await fetch('/api/pages/' + slug + '.json')).json();
  const head = document.head;
  function meta(name, value) {
    let tag = head.querySelector('meta[name="' + name + '"]');
    if (value === null) { if (tag) tag.remove(); return; }
    if (value === undefined) return;
    if (!tag) {
      tag = document.createElement('meta'); tag.name = name; head.appendChild(tag);
    }
    tag.content = value;
  }
  if (data.title !== undefined) document.title = data.title;
  meta('description', data.description);
  meta('robots', data.robots);
  if (data.canonical !== undefined) {
    let link = head.querySelector('link[rel="canonical"]');
    if (!link) {
      link = document.createElement('link'); link.rel = 'canonical'; head.appendChild(link);
    }
    link.href = data.canonical;
  }
  const root = document.getElementById('root');
  const links = data.links.map(([href, text]) => `<li><a href="${href}">${text}</a></li>`);
  root.innerHTML = `<h1>${data.h1}</h1>${data.text}<nav><ul>${links.join('')}</ul></nav>`;
  for (const src of data.images || []) {
    const img = document.createElement('img');
    img.src = src; img.alt = 'Figure'; img.width = 1; img.height = 1;
    root.appendChild(img);
  }
  if (data.shift) {
    await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
    await (await fetch('/api/banner.json')).json();
    const banner = document.createElement('div');
    banner.style.height = '600px'; banner.textContent = 'Late banner';
    root.prepend(banner);
  }
  if (data.fail) setTimeout(() => { throw new Error('planted failure: ' + data.fail); }, 0);
})();
"""
ROBOTS_RULES = "Disallow: /private/"
SLOW_JSON_SECONDS = 12.0
BIG_IMAGE_BYTES = 3 * 1024 * 1024 + 50_000
MANY_IMAGES = 101
RENDER_BLOCKING_SCRIPTS = 6
#: Findings of every page that renders its H1, links and text by script.
CLIENT_RENDERED = ("js.h1_only_rendered", "js.links_only_rendered", "js.content_only_rendered")


@dataclass
class Shell:
    """What the raw HTML of one page has; the rest comes from its JSON."""

    title: str | None
    description: str | None
    head: str = ""
    root: str = ""
    body_end: str = ""


@dataclass(frozen=True)
class ClientRenderedSite:
    """Routes to serve, the HTML pages, and the `(check_id, path)` findings expected."""

    routes: dict[str, Response]
    pages: tuple[str, ...]
    expected: frozenset[tuple[str, str]] = field(default_factory=frozenset)

    def expected_urls(self, base_url: str) -> set[tuple[str, str]]:
        return {(check, base_url + path) for check, path in self.expected}


def client_rendered_site(
    pages: int = 8, *, planted: bool = True, seed: int = 0
) -> ClientRenderedSite:
    """`/`, `/p/1…/p/<pages-1>`, and (with `planted`) one page per planted problem."""
    rng = random.Random(seed)  # noqa: S311 - test data, not crypto
    normal = ["/"] + [f"/p/{n}" for n in range(1, pages)]
    plants = _plants() if planted else {}
    paths = normal + list(plants)
    routes: dict[str, Response] = {
        "/robots.txt": robots_txt(ROBOTS_RULES, sitemap=False),
        "/static/app.js": Response(body=APP_JS.encode(), content_type="text/javascript"),
        "/api/banner.json": Response(body=b"{}", content_type="application/json"),
        "/private/widget.js": Response(body=b"void 0;", content_type="text/javascript"),
        "/static/big.jpg": Response(body=b"\xff" * BIG_IMAGE_BYTES, content_type="image/jpeg"),
        "/api/ping": Response(body=b"{}", content_type="application/json"),
    }
    for n in range(MANY_IMAGES):
        routes[f"/static/px/{n}.gif"] = Response(body=_GIF, content_type="image/gif")
    for n in range(RENDER_BLOCKING_SCRIPTS):
        routes[f"/static/lib{n}.js"] = Response(body=b"void 0;", content_type="text/javascript")
    expected: set[tuple[str, str]] = set()
    for n, path in enumerate(paths):
        links = _links(path, n, normal, list(plants) if path == "/" else [], rng)
        data = _data(path, n, links, rng)
        shell = Shell(title=data["title"], description=data["description"])
        findings = set(CLIENT_RENDERED)
        delay = 0.0
        if path in plants:
            findings, delay = plants[path](shell, data)
        routes[path] = html(_shell_html(shell))
        slug = "index" if path == "/" else path.strip("/").replace("/", "_")
        routes[f"/api/pages/{slug}.json"] = Response(
            body=json.dumps(data).encode(), content_type="application/json", delay=delay
        )
        expected |= {(check, path) for check in findings}
    return ClientRenderedSite(routes=routes, pages=tuple(paths), expected=frozenset(expected))


def _links(
    path: str, n: int, normal: list[str], extra: list[str], rng: random.Random
) -> list[tuple[str, str]]:
    """The home page, the next page (all reachable), a few others, and `extra`."""
    targets = {"/", normal[(n + 1) % len(normal)], *rng.sample(normal, min(4, len(normal)))}
    targets |= set(extra)
    targets.discard(path)
    return [(t, f"Read about {t.strip('/') or 'the home page'}") for t in sorted(targets)]


def _data(path: str, n: int, links: list[tuple[str, str]], rng: random.Random) -> dict:
    words = " ".join(rng.choice(WORDS) for _ in range(260))
    return {
        "title": f"Client rendered page {n} about audits",
        "description": f"Page {n} of the client-rendered test site, built by script from JSON.",
        "h1": f"Client rendered page {n}",
        "text": f"<p>{escape(words)}.</p>",
        "links": links,
    }


def _shell_html(shell: Shell) -> str:
    title = f"<title>{escape(shell.title)}</title>" if shell.title is not None else ""
    description = (
        f'<meta name="description" content={quoteattr(shell.description)}>'
        if shell.description is not None
        else ""
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'{title}{description}{shell.head}<script src="/static/app.js" defer></script></head>'
        f'<body><div id="root">{shell.root}</div>{shell.body_end}</body></html>'
    )


Plant = "Callable[[Shell, dict], tuple[set[str], float]]"


def _plants() -> dict[str, object]:
    """Path → a function that plants one problem into the shell or the data."""
    rendered = set(CLIENT_RENDERED)

    def noindex(shell: Shell, data: dict) -> tuple[set[str], float]:
        shell.head = '<meta name="robots" content="noindex">'
        data["robots"] = None
        return rendered | {"js.noindex_only_in_raw"}, 0.0

    def nofollow(shell: Shell, data: dict) -> tuple[set[str], float]:
        shell.head = '<meta name="robots" content="nofollow">'
        data["robots"] = None
        return rendered | {"js.nofollow_only_in_raw"}, 0.0

    def canonical_added(shell: Shell, data: dict) -> tuple[set[str], float]:
        data["canonical"] = "/planted/canonical-added"
        return rendered | {"js.canonical_only_rendered"}, 0.0

    def canonical_changed(shell: Shell, data: dict) -> tuple[set[str], float]:
        shell.head = '<link rel="canonical" href="/p/1">'
        data["canonical"] = "/planted/canonical-changed"
        return rendered | {"js.canonical_mismatch"}, 0.0

    def title_added(shell: Shell, data: dict) -> tuple[set[str], float]:
        shell.title = None
        return rendered | {"js.title_only_rendered"}, 0.0

    def title_changed(shell: Shell, data: dict) -> tuple[set[str], float]:
        shell.title = "The server's own title for this page"
        return rendered | {"js.title_changed"}, 0.0

    def description_added(shell: Shell, data: dict) -> tuple[set[str], float]:
        shell.description = None
        return rendered | {"js.meta_desc_only_rendered"}, 0.0

    def description_changed(shell: Shell, data: dict) -> tuple[set[str], float]:
        shell.description = "The server's own description of this page, which script replaces."
        return rendered | {"js.meta_desc_changed"}, 0.0

    def h1_changed(shell: Shell, data: dict) -> tuple[set[str], float]:
        shell.root = "<h1>Loading the page</h1>"
        return (rendered - {"js.h1_only_rendered"}) | {"js.h1_changed"}, 0.0

    def blocked(shell: Shell, data: dict) -> tuple[set[str], float]:
        shell.body_end = '<script src="/private/widget.js"></script>'
        return rendered | {"js.blocked_resources"}, 0.0

    def script_error(shell: Shell, data: dict) -> tuple[set[str], float]:
        data["fail"] = "uncaught"
        return rendered | {"js.errors"}, 0.0

    def failing(body_end: str) -> object:
        def plant(shell: Shell, data: dict) -> tuple[set[str], float]:
            shell.body_end = body_end
            return {"js.render_failed"}, 0.0

        return plant

    def slow(shell: Shell, data: dict) -> tuple[set[str], float]:
        return rendered | {"perf.lcp_slow"}, SLOW_JSON_SECONDS

    def shifting(shell: Shell, data: dict) -> tuple[set[str], float]:
        data["shift"] = True
        return rendered | {"perf.cls_high"}, 0.0

    def heavy(shell: Shell, data: dict) -> tuple[set[str], float]:
        data["images"] = ["/static/big.jpg"]
        return rendered | {"perf.page_weight"}, 0.0

    def many(shell: Shell, data: dict) -> tuple[set[str], float]:
        data["images"] = [f"/static/px/{n}.gif" for n in range(MANY_IMAGES)]
        return rendered | {"perf.too_many_requests"}, 0.0

    def blocking(shell: Shell, data: dict) -> tuple[set[str], float]:
        shell.head = "".join(
            f'<script src="/static/lib{n}.js"></script>' for n in range(RENDER_BLOCKING_SCRIPTS)
        )
        return rendered | {"perf.render_blocking"}, 0.0

    return {
        "/planted/noindex": noindex,
        "/planted/nofollow": nofollow,
        "/planted/canonical-added": canonical_added,
        "/planted/canonical-changed": canonical_changed,
        "/planted/title-added": title_added,
        "/planted/title-changed": title_changed,
        "/planted/description-added": description_added,
        "/planted/description-changed": description_changed,
        "/planted/h1-changed": h1_changed,
        "/planted/blocked-script": blocked,
        "/planted/script-error": script_error,
        "/planted/hung-script": failing("<script>while (true) {}</script>"),
        "/planted/dialog": failing("<script>alert('Subscribe!')</script>"),
        "/planted/popup": failing("<script>window.open('/p/1')</script>"),
        "/planted/js-redirect": failing("<script>location.href = '/p/2'</script>"),
        "/planted/never-settles": failing(
            "<script>(function poll() { fetch('/api/ping').then(poll); })()</script>"
        ),
        "/planted/slow-content": slow,
        "/planted/layout-shift": shifting,
        "/planted/heavy": heavy,
        "/planted/many-requests": many,
        "/planted/render-blocking": blocking,
    }


_GIF = bytes.fromhex(
    "47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b"
)
