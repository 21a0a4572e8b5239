"""A real HTTP server for crawler tests, demos and benchmarks, and sites to serve on it.

    with SiteServer(generate_site(50)) as server:
        outcome = await crawl(CrawlConfig(start_url=server.base_url + "/", ...), ...)
        assert server.requests.count("/") == 1

`SiteServer` is a ThreadingHTTPServer on 127.0.0.1 (port 0: the OS picks one) in a
daemon thread, serving an in-memory route table that can be replaced while it runs.
Responses can be delayed, hang after the headers, or drip bytes forever, so that
timeouts are tested against real sockets. Bodies and headers marked `templated` have
`{{base_url}}` replaced at request time (robots.txt and sitemaps need absolute URLs,
and the port is only known once the server listens).
"""

from __future__ import annotations

import random
import ssl
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Literal
from xml.sax.saxutils import escape

BASE_URL_MARK = "{{base_url}}"
DRIP_INTERVAL = 0.05
HANG_EXTRA_BYTES = 1_000_000

Headers = Mapping[str, str] | Sequence[tuple[str, str]]
Fallback = Callable[[str], "Response | None"]


@dataclass(frozen=True)
class Response:
    """One canned answer. `behaviour`: "normal"; "hang" (headers, then silence until the
    server stops); "drip" (headers, then a byte every 50 ms forever)."""

    status: int = 200
    body: bytes = b""
    headers: Headers = field(default_factory=dict)
    content_type: str | None = "text/html; charset=utf-8"
    delay: float = 0.0
    behaviour: Literal["normal", "hang", "drip"] = "normal"
    templated: bool = False
    #: What a HEAD request gets instead of `status` (a server that refuses HEAD: 405).
    head_status: int | None = None

    def header_pairs(self) -> list[tuple[str, str]]:
        pairs = list(self.headers.items() if isinstance(self.headers, Mapping) else self.headers)
        names = {k.lower() for k, _ in pairs}
        if self.content_type and "content-type" not in names:
            pairs.append(("Content-Type", self.content_type))
        return pairs


def html(body: str, *, status: int = 200, headers: Headers | None = None) -> Response:
    """An HTML response from text."""
    return Response(status=status, body=body.encode("utf-8"), headers=headers or {})


def redirect(location: str, *, status: int = 301) -> Response:
    """A redirect to `location` (relative or absolute)."""
    return Response(status=status, headers={"Location": location}, content_type=None)


def text(body: str, *, content_type: str = "text/plain", templated: bool = False) -> Response:
    return Response(body=body.encode("utf-8"), content_type=content_type, templated=templated)


class SiteServer:
    """A local site: `with SiteServer(routes) as server: server.base_url …`.

    `routes` maps a path (with query, or without to match any query) to a Response;
    `fallback(path)` answers paths not in the table (dynamic sites); else 404.
    `requests` lists every requested path (with query), in order; `methods` the
    method of each; `answered` the paths whose response was sent, in order. `host`
    127.0.0.2 (…) is another host on the same machine; with `tls` (a server-side
    SSLContext) the site is served over https. `marks` are more placeholders of
    templated bodies and headers (besides {{base_url}}), e.g. another site's URL.
    """

    def __init__(
        self,
        routes: dict[str, Response] | None = None,
        *,
        fallback: Fallback | None = None,
        port: int = 0,
        host: str = "127.0.0.1",
        tls: ssl.SSLContext | None = None,
        marks: Mapping[str, str] | None = None,
    ) -> None:
        self.routes: dict[str, Response] = dict(routes or {})
        self.fallback = fallback
        self.requests: list[str] = []
        self.methods: list[str] = []
        self.answered: list[str] = []
        self.marks = dict(marks or {})
        self.scheme = "https" if tls else "http"
        self._stopping = threading.Event()
        self._httpd = _Server((host, port), _Handler)
        if tls is not None:
            # The handshake happens in each connection's own thread (on its first read),
            # not in the accepting one, where clients would queue behind each other.
            self._httpd.socket = tls.wrap_socket(
                self._httpd.socket, server_side=True, do_handshake_on_connect=False
            )
        self._httpd.site = self
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:<port>` (no trailing slash; https and the host as served)."""
        host, port = self._httpd.server_address[:2]
        return f"{self.scheme}://{host}:{port}"

    def url(self, path: str = "/") -> str:
        return self.base_url + path

    def start(self) -> SiteServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; hanging and dripping responses end too."""
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> SiteServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType
    ) -> None:
        self.stop()

    def lookup(self, path: str) -> Response:
        """The response for `path`: exact match, then without the query, then fallback."""
        found = self.routes.get(path) or self.routes.get(path.split("?", 1)[0])
        if found is None and self.fallback is not None:
            found = self.fallback(path)
        return found or Response(status=404, body=b"<h1>Not found</h1>")

    def count(self, path: str) -> int:
        """How many times `path` was requested."""
        return self.requests.count(path)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 256
    site: SiteServer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_GET(self) -> None:
        self._serve(with_body=True)

    def do_HEAD(self) -> None:
        self._serve(with_body=False)

    def log_message(self, format: str, *args: object) -> None:
        """Silence the default stderr access log."""

    def _serve(self, *, with_body: bool) -> None:
        site = self.server.site
        site.requests.append(self.path)
        site.methods.append(self.command)
        response = site.lookup(self.path)
        if response.delay and site._stopping.wait(response.delay):
            return
        if not with_body and response.head_status is not None:
            response = Response(status=response.head_status, content_type=None)
        body = _render(response.body, response.templated, site.base_url, site.marks)
        try:
            self._send_head(response, body, site.base_url)
            if with_body:
                self._send_body(response, body, site._stopping)
            site.answered.append(self.path)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _send_head(self, response: Response, body: bytes, base_url: str) -> None:
        self.send_response(response.status)
        for name, value in response.header_pairs():
            for mark, filled in {BASE_URL_MARK: base_url, **self.server.site.marks}.items():
                value = value.replace(mark, filled)
            self.send_header(name, value)
        extra = HANG_EXTRA_BYTES if response.behaviour != "normal" else 0
        self.send_header("Content-Length", str(len(body) + extra))
        self.end_headers()

    def _send_body(self, response: Response, body: bytes, stopping: threading.Event) -> None:
        self.wfile.write(body)
        self.wfile.flush()
        if response.behaviour == "hang":
            stopping.wait()
        elif response.behaviour == "drip":
            while not stopping.wait(DRIP_INTERVAL):
                self.wfile.write(b" ")
                self.wfile.flush()
        if response.behaviour != "normal":
            self.close_connection = True


def _render(
    body: bytes, templated: bool, base_url: str, marks: Mapping[str, str] | None = None
) -> bytes:
    if not templated:
        return body
    for mark, value in {BASE_URL_MARK: base_url, **(marks or {})}.items():
        body = body.replace(mark.encode(), value.encode())
    return body


# --- Generated sites ---------------------------------------------------------------

WORDS = [
    "search",
    "engine",
    "crawl",
    "index",
    "page",
    "link",
    "title",
    "content",
    "audit",
    "site",
    "ranking",
    "keyword",
    "query",
    "result",
    "speed",
    "mobile",
    "image",
    "heading",
    "canonical",
    "sitemap",
    "robots",
    "structured",
    "data",
    "schema",
    "snippet",
    "anchor",
    "internal",
    "external",
    "redirect",
    "status",
    "server",
    "cache",
    "render",
    "organic",
    "traffic",
    "visibility",
    "authority",
    "backlink",
    "domain",
    "path",
    "parameter",
    "duplicate",
]


def sitemap_xml(paths: Sequence[str]) -> Response:
    """A urlset listing `paths` as absolute URLs on this server."""
    entries = "".join(f"<url><loc>{BASE_URL_MARK}{escape(p)}</loc></url>" for p in paths)
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>'
    )
    return text(xml, content_type="application/xml", templated=True)


def robots_txt(rules: str = "", *, sitemap: bool = True) -> Response:
    """`User-agent: *` with `rules` (e.g. "Disallow: /private/"), and a Sitemap line."""
    body = f"User-agent: *\n{rules}\n"
    if sitemap:
        body += f"Sitemap: {BASE_URL_MARK}/sitemap.xml\n"
    return text(body, templated=True)


def page_html(
    *, title: str | None, body: str, description: str | None = None, head: str = ""
) -> str:
    """A small, valid HTML page; None leaves the title or description out."""
    title_tag = f"<title>{escape(title)}</title>" if title is not None else ""
    desc_tag = f'<meta name="description" content="{escape(description)}">' if description else ""
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"{title_tag}{desc_tag}{head}</head><body>{body}</body></html>"
    )


def paragraphs(rng: random.Random, words: int) -> str:
    """`words` words of filler prose in paragraphs of about 60 words."""
    chosen = [rng.choice(WORDS) for _ in range(words)]
    chunks = [" ".join(chosen[i : i + 60]) for i in range(0, len(chosen), 60)]
    return "".join(f"<p>{chunk}.</p>" for chunk in chunks)


def generate_site(
    pages: int = 30,
    *,
    seed: int = 0,
    page_bytes: int | tuple[int, int] | None = None,
    with_sitemap: bool = True,
    with_robots: bool = True,
) -> dict[str, Response]:
    """A linked site of `pages` HTML pages: `/` and `/page/<n>`.

    Every page links to the next one (so all are reachable from `/`) and to 8 random
    others; the sitemap lists them all. `page_bytes` pads each page to about that size
    (a `(low, high)` pair: a random size in that range for each page).
    """
    rng = random.Random(seed)  # noqa: S311 - test data, not crypto
    paths = ["/"] + [f"/page/{n}" for n in range(1, pages)]
    routes = {path: _generated_page(rng, n, paths, page_bytes) for n, path in enumerate(paths)}
    if with_sitemap:
        routes["/sitemap.xml"] = sitemap_xml(paths)
    if with_robots:
        routes["/robots.txt"] = robots_txt(sitemap=with_sitemap)
    return routes


def _generated_page(
    rng: random.Random, n: int, paths: list[str], page_bytes: int | tuple[int, int] | None
) -> Response:
    if isinstance(page_bytes, tuple):
        page_bytes = rng.randint(*page_bytes)
    targets = {paths[(n + 1) % len(paths)]} | set(rng.sample(paths, min(8, len(paths))))
    nav = "".join(f'<li><a href="{t}">Go to {t}</a></li>' for t in sorted(targets))
    words = max(250, (page_bytes or 0) // 7)
    body = f"<nav><ul>{nav}</ul></nav><h1>Page {n}</h1>{paragraphs(rng, words)}"
    title = f"Generated page number {n} about search engine audits"
    description = f"Page {n} of the generated test site, with filler text and links."
    return html(page_html(title=title, description=description, body=body))


def calendar_fallback(path: str) -> Response | None:
    """An infinite link space: `/calendar?month=N` links to N-1 and N+1, forever."""
    if not path.startswith("/calendar"):
        return None
    value = path.rsplit("month=", 1)[-1] if "month=" in path else "0"
    month = int(value) if value.lstrip("-").isdigit() else 0
    links = "".join(f'<a href="/calendar?month={m}">Month {m}</a>' for m in (month - 1, month + 1))
    body = f"<h1>Calendar month {month}</h1>{links}"
    return html(page_html(title=f"Events calendar month {month}", body=body))


# --- The demo site -------------------------------------------------------------------


def demo_site() -> dict[str, Response]:
    """A small shop-and-blog site with real SEO problems, for `seology up --demo`.

    Problems on purpose: a missing title, duplicate titles, a too-long title, a missing
    meta description, a missing H1, several H1s, images without alt, a broken internal
    link (404), a redirect chain, a noindex page, thin content, a canonical to another
    page, a page disallowed by robots.txt, a 500, an orphan listed only in the sitemap.
    """
    rng = random.Random(7)  # noqa: S311 - demo data
    routes = {path: html(page_html(**spec(rng))) for path, spec in _DEMO_PAGES.items()}
    routes["/old-offer"] = redirect("/older-offer")
    routes["/older-offer"] = redirect("/offers", status=302)
    routes["/status/unavailable"] = html(page_html(title="Oops", body="<h1>Error</h1>"), status=500)
    routes["/files/price-list.pdf"] = Response(
        body=b"%PDF-1.4 demo", content_type="application/pdf"
    )
    routes["/robots.txt"] = robots_txt("Disallow: /private/")
    routes["/sitemap.xml"] = sitemap_xml(_DEMO_SITEMAP)
    return routes


def _good(
    title: str, h1: str, words: int = 320, extra: str = ""
) -> Callable[[random.Random], dict[str, str | None]]:
    def build(rng: random.Random) -> dict[str, str | None]:
        body = f"{_DEMO_NAV}<h1>{h1}</h1>{paragraphs(rng, words)}{extra}"
        description = f"{title}: everything about it on the Demo Shop, explained plainly for you."
        return {"title": title, "description": description, "body": body}

    return build


def _with(
    base: Callable[[random.Random], dict[str, str | None]], **changes: str | None
) -> Callable[[random.Random], dict[str, str | None]]:
    def build(rng: random.Random) -> dict[str, str | None]:
        return {**base(rng), **changes}

    return build


_DEMO_NAV = (
    '<nav><a href="/">Home</a> <a href="/products">Products</a> <a href="/blog">Blog</a> '
    '<a href="/about">About us</a> <a href="/contact">Contact</a></nav>'
)
_PRODUCT_LINKS = "".join(f'<li><a href="/products/{n}">Product {n}</a></li>' for n in range(1, 7))
_POST_LINKS = "".join(f'<li><a href="/blog/post-{n}">Post {n}</a></li>' for n in range(1, 9))
_HOME_EXTRA = (
    f"<ul>{_PRODUCT_LINKS}{_POST_LINKS}</ul>"
    '<a href="/old-offer">Our offers</a> <a href="/private/admin">Admin</a> '
    '<a href="/files/price-list.pdf">Price list</a> <a href="/landing/noindex">Landing</a>'
)
_DEMO_PAGES: dict[str, Callable[[random.Random], dict[str, str | None]]] = {
    "/": _good("Demo Shop: quality tools and guides for your garden", "Welcome", extra=_HOME_EXTRA),
    "/about": _good(
        "About the Demo Shop team and our story since 2010",
        "About us",
        extra='<a href="/status/unavailable">Status</a>',
    ),
    "/contact": _good(
        "Contact the Demo Shop customer service team today",
        "Contact",
        extra="<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit.</p>",
    ),
    "/products": _good(
        "All products of the Demo Shop garden tools range",
        "Products",
        extra=f"<ul>{_PRODUCT_LINKS}</ul>",
    ),
    "/offers": _good("Current offers and discounts at the Demo Shop store", "Offers"),
    "/products/1": _good("Garden spade with ash handle | Demo Shop products", "Garden spade"),
    "/products/2": _good("Products | Demo Shop", "Pruning shears"),
    "/products/3": _good("Products | Demo Shop", "Watering can"),
    "/products/4": _with(
        _good("Wheelbarrow with pneumatic tyre | Demo Shop", "Wheelbarrow"), description=None
    ),
    "/products/5": _good(
        "Professional heavy-duty stainless steel garden hoe with ergonomic handle, "
        "lifetime warranty and free delivery | Demo Shop",
        "Garden hoe",
    ),
    "/products/6": _good(
        "Compost bin, 300 litres, recycled plastic | Demo Shop",
        "Compost bin",
        extra='<a href="/products/discontinued">Older model</a>',
    ),
    "/blog": _good(
        "The Demo Shop blog: gardening tips and tool guides",
        "Blog",
        extra=f"<ul>{_POST_LINKS}</ul>",
    ),
    "/blog/post-1": _with(_good("", "How to sharpen a spade"), title=None),
    "/blog/post-2": _good(
        "Ten spring jobs for your vegetable garden this year",
        "Spring jobs",
        extra="<h1>Also: summer jobs</h1>",
    ),
    "/blog/post-3": _with(
        _good("Choosing a wheelbarrow: a buyer's guide for 2026", ""),
        body=f"{_DEMO_NAV}<h2>Choosing a wheelbarrow</h2><p>Short intro.</p>"
        + "<p>Pick the right tyre, the right tray and the right frame.</p>" * 40,
    ),
    "/blog/post-4": _with(
        _good("Quick tip: oil your shears after every use", "Quick tip"),
        body=f"{_DEMO_NAV}<h1>Quick tip</h1><p>Oil your shears.</p>",
    ),
    "/blog/post-5": _good(
        "Photo guide: our favourite tools in the shed",
        "Photo guide",
        extra='<img src="/img/shed.jpg"><img src="/img/rake.jpg" alt="">'
        '<img src="/img/hoe.jpg" alt="A garden hoe" width="400" height="300">',
    ),
    "/blog/post-6": _with(
        _good("How to sharpen a spade (print version)", "How to sharpen a spade"),
        head='<link rel="canonical" href="/blog/post-1">',
    ),
    "/blog/post-7": _good(
        "Why we test every tool before it goes on sale",
        "Testing tools",
        extra='<a href="/blog/missing-post">Read the follow-up</a>',
    ),
    "/blog/post-8": _good(
        "Winter storage for garden tools and machines",
        "Winter storage",
        extra='<a href="/blog/post-1">click here</a>',
    ),
    "/landing/noindex": _with(
        _good("Spring campaign landing page for garden tools", "Spring campaign"),
        head='<meta name="robots" content="noindex, follow">',
    ),
    "/private/admin": _good("Admin area of the Demo Shop (staff only)", "Admin"),
    "/orphan-guide": _good("The complete guide to garden tool maintenance", "Maintenance guide"),
}
_DEMO_SITEMAP = [
    "/",
    "/about",
    "/contact",
    "/products",
    "/blog",
    "/offers",
    *(f"/products/{n}" for n in range(1, 7)),
    *(f"/blog/post-{n}" for n in range(1, 9)),
    "/landing/noindex",
    "/old-offer",
    "/orphan-guide",
]
