"""A crawl's Chromium runs one renderer per tab and nothing it does not use.

Chromium gives every window (each tab is a context, a window of its own) omnibox
popups rendered in a process of their own, and keeps a spare renderer: both are
switched off through the launcher, whose merged feature switch must keep Playwright's
own features too.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from seology.crawler.browser import (
    DISABLED_FEATURES,
    DRIVER_NODE_OPTIONS,
    ENABLED_FEATURES,
    find_chromium,
)
from seology.crawler.fetch import HTML_TYPES, Fetcher, FetchSettings
from seology.crawler.intercept import InterceptRules
from seology.crawler.render import RenderConfig, Renderer
from seology.crawler.safety import AddressBook
from seology.testing.sites import SiteServer, html

pytestmark = pytest.mark.skipif(
    not find_chromium().available, reason="rendering needs Chromium (apt-get install chromium)"
)
PAGE = "<html><body><div id=root></div><script>root.textContent = 'built'</script></body></html>"


def _command_lines(pids: list[int]) -> dict[int, list[str]]:
    lines = {}
    for pid in pids:
        try:
            raw = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        lines[pid] = raw.replace("\0", " ").split()
    return lines


async def _processes_while_rendering(url: str, tabs: int) -> dict[int, list[str]]:
    """Render `tabs` pages at once, then list the browser's processes (still open)."""
    from seology.crawler.browser import marked_processes

    book = AddressBook(allow_private=True)
    rules = InterceptRules(user_agent="SeologyBot", can_fetch=lambda _: True)
    config = RenderConfig(tabs=tabs)
    async with Fetcher(FetchSettings(user_agent="SeologyBot", allow_private=True), book=book) as f:
        raw = await f.fetch(url, body_for=HTML_TYPES)
        path = find_chromium().path or ""
        async with Renderer(
            config, path=path, user_agent="SeologyBot", rules=rules, book=book
        ) as r:
            outputs = await asyncio.gather(*(r.render(raw, site="127.0.0.1") for _ in range(tabs)))
            assert [o.error for o in outputs] == [None] * tabs
            assert r.browser is not None
            processes = _command_lines(marked_processes(r.browser.mark))
            processes.update(_driver())
            return processes


def _driver() -> dict[int, list[str]]:
    """Playwright's driver: the Node.js child of this process, by its environment."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            environ = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if parent == os.getpid() and b"PW_LANG_NAME=python" in environ:
            options = [v for v in environ if v.startswith(b"NODE_OPTIONS=")]
            found[int(entry.name)] = ["driver", *(v.decode() for v in options)]
    return found


def test_one_renderer_per_tab_and_one_feature_switch_of_each_kind() -> None:
    node_options = os.environ.get("NODE_OPTIONS", DRIVER_NODE_OPTIONS)  # an operator's wins
    with SiteServer({"/": html(PAGE)}) as site:
        processes = asyncio.run(_processes_while_rendering(site.url("/"), tabs=3))
    driver = [argv for argv in processes.values() if argv[0] == "driver"]
    assert driver == [["driver", f"NODE_OPTIONS={node_options}"]]  # a small young generation
    kinds = [
        next((a[7:] for a in argv if a.startswith("--type=")), "browser")
        for argv in processes.values()
        if argv[0] != "driver"
    ]
    assert kinds.count("renderer") == 3  # no omnibox popup, no spare
    assert "gpu-process" not in kinds  # in the browser process
    browser = next(argv for argv in processes.values() if "--remote-debugging-pipe" in argv)
    disabled = [a for a in browser if a.startswith("--disable-features=")]
    enabled = [a for a in browser if a.startswith("--enable-features=")]
    assert len(disabled) == 1 and len(enabled) == 1
    disabled_features = disabled[0].split("=", 1)[1].split(",")
    enabled_features = enabled[0].split("=", 1)[1].split(",")
    assert set(DISABLED_FEATURES) < set(disabled_features)  # ours, and Playwright's
    assert set(ENABLED_FEATURES) < set(enabled_features)
