"""The rendering benchmark's site: the tests' client-rendered app, written for nginx.

Every page is an app shell whose deferred script fetches the page's JSON and builds
the title, H1, text and links from it (`seology.testing.csr_site`, without the planted
problems): a crawler that does not render finds the home page only.
"""

from __future__ import annotations

from pathlib import Path

from seology.testing.csr_site import client_rendered_site


def write_render_site(root: Path, *, pages: int) -> int:
    """Write the site under `root` (nginx's document root); return the bytes written."""
    site = client_rendered_site(pages, planted=False, seed=1)
    total = 0
    for path, response in site.routes.items():
        target = root / "index.html" if path == "/" else root / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(response.body)
        total += len(response.body)
    return total
