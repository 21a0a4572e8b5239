"""Peak memory of a crawl of link-heavy pages (issue 17): the crawl tree, not the site, sets it.

    .venv/bin/python -m bench.hostile.run                     # maxPages 10 and 1,000
    .venv/bin/python -m bench.hostile.run --pages 10 --links 218000

Every page of the served site is ~4.9 MB of nothing but `<a href>` to distinct URLs
(218,000 a page by default, the size the issue's report used), served from memory by a
thread of this process. The crawl runs as `bench.crawl.ours` in a subprocess with the
default settings (parser pool, per-page bounds); its whole process tree (crawl process
and parser processes) is sampled every 50 ms. Prints pages, seconds, and the peak RSS
of the crawl process and of the tree. Target (issue 17): tree under 300 MB at both sizes.
"""

from __future__ import annotations

import argparse
import os

from bench.crawl.run import run_engine
from seology.testing.sites import Response, SiteServer

MARK = b"@@PAGE@@"


def page_template(links: int) -> bytes:
    """A page of `links` anchors; MARK is replaced by the page number (distinct URLs)."""
    anchors = b"".join(b'<a href="/p@@PAGE@@/%d">%d</a>' % (k, k) for k in range(links))
    return b"<html><head><title>Links</title></head><body>" + anchors + b"</body></html>"


def serve(links: int) -> SiteServer:
    template = page_template(links)
    print(f"page: {len(template) / 2**20:.1f} MB, {links} links")

    def page(path: str) -> Response:
        number = path.strip("/").replace("/", "-") or "0"  # every page links elsewhere
        return Response(body=template.replace(MARK, number.encode()))

    return SiteServer({}, fallback=page).start()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, nargs="*", default=[10, 1000])
    parser.add_argument("--links", type=int, default=218_000)
    args = parser.parse_args()
    server = serve(args.links)
    try:
        for pages in args.pages:
            run = run_engine("ours", server.base_url, pages, concurrency=16)
            load = os.getloadavg()[0]
            print(
                f"maxPages {pages:>5}: {run.pages} pages in {run.seconds:.1f} s; peak RSS "
                f"crawl process {run.main_rss:.0f} MB, whole tree {run.tree_rss:.0f} MB "
                f"(PSS {run.tree_pss:.0f}); load {load:.1f}"
            )
    finally:
        server.stop()


if __name__ == "__main__":
    main()
