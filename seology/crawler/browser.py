"""Headless Chromium for one crawl: find the binary, launch it, and make sure it ends.

The browser is the machine's (Debian's `chromium` package, or one `playwright install
chromium` put in place; `SEOLOGY_CHROMIUM_PATH` overrides): nothing is downloaded at run
time. Each crawl launches its own browser (Playwright gives it a fresh profile
directory) with a mark in its environment that every process of that browser
inherits: `close()` ends them through Playwright, and if that does not finish (a
wedged renderer, a dead driver), kills whatever still carries the mark. So no
Chromium process outlives its crawl.

Network: every request of a page is answered by the crawler (`intercept.py`), never by
Chromium's own network stack. As a second wall, Chromium is pointed at a proxy that
does not exist, so a request that escapes interception (a prefetch, a beacon) fails
instead of reaching the network.

Memory: each tab is a window of its own (`Browser`), and Chromium gives every window
its omnibox popups, web pages in a renderer process of their own even headless: one
renderer per tab that renders nothing. The browser also keeps a spare renderer, a GPU
process and a network-service process. `DISABLED_FEATURES`, `ENABLED_FEATURES` and
`--in-process-gpu` remove those processes. Playwright passes its own
`--disable-features` and `--enable-features` (features its automation needs), and
Chromium reads only the last switch of a name, so Chromium is started through a
launcher (`launcher_script`) that merges every such switch into one: Playwright's
features and ours both hold. Playwright's driver (a Node.js process) keeps a young
generation of 16 MB a semi-space by default and lets it fill between collections; it
is given 2 MB (`DRIVER_NODE_OPTIONS`) unless `NODE_OPTIONS` is set already.
docs/internals/rendering.md has the figures.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import shlex
import shutil
import signal
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from seology.core.errors import RenderingUnavailable
from seology.core.logs import get_logger

if TYPE_CHECKING:
    from playwright.async_api import Browser as PlaywrightBrowser
    from playwright.async_api import BrowserContext, Playwright

#: Chromium switches for a headless crawl on a shared server.
LAUNCH_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--proxy-server=http://127.0.0.1:9",
    "--proxy-bypass-list=<-loopback>",
    "--in-process-gpu",
)
#: Chromium features switched off: the omnibox popups of every window and the spare
#: renderer (processes a crawl never uses).
DISABLED_FEATURES = ("WebUIOmniboxPopup", "WebUIOmniboxAimPopup", "SpareRendererForSitePerProcess")
#: Chromium features switched on: the network service in the browser process (every
#: request of a page is answered by the crawler through interception anyway).
ENABLED_FEATURES = ("NetworkServiceInProcess2",)
#: Node.js options of Playwright's driver process: a small young generation.
DRIVER_NODE_OPTIONS = "--max-semi-space-size=2"
#: Starts Chromium with every `--disable-features` and `--enable-features` switch merged
#: into one of each (Chromium reads only the last of a name). POSIX sh; `{binary}` is
#: the real Chromium, quoted.
LAUNCHER = """#!/bin/sh
disabled=""
enabled=""
for arg do
    shift
    case "$arg" in
        --disable-features=*) disabled="${{disabled:+$disabled,}}${{arg#--disable-features=}}" ;;
        --enable-features=*) enabled="${{enabled:+$enabled,}}${{arg#--enable-features=}}" ;;
        *) set -- "$@" "$arg" ;;
    esac
done
[ -n "$disabled" ] && set -- "$@" "--disable-features=$disabled"
[ -n "$enabled" ] && set -- "$@" "--enable-features=$enabled"
exec {binary} "$@"
"""
DEBIAN_CHROMIUM = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
MARK_VARIABLE = "SEOLOGY_CRAWL_BROWSER"
INSTALL_HINT = (
    "Install Chromium on the worker: `apt-get install chromium` (Debian/Ubuntu) or "
    "`playwright install chromium`, or set SEOLOGY_CHROMIUM_PATH to a Chromium binary."
)
CLOSE_TIMEOUT_SECONDS = 10.0
VIEWPORT = {"width": 1280, "height": 800}


@dataclass(frozen=True)
class Availability:
    """Can this machine render? `path` is the browser found; `reason` why not."""

    path: str | None
    reason: str | None = None

    @property
    def available(self) -> bool:
        return self.reason is None


def find_chromium(configured: str | None = None) -> Availability:
    """The Chromium binary to use, or why rendering is unavailable (with how to fix it)."""
    try:
        import playwright  # noqa: F401 - only its presence is checked here
    except ImportError:
        return Availability(None, f"the playwright package is not installed. {INSTALL_HINT}")
    if configured:
        if _executable(configured):
            return Availability(configured)
        reason = f"SEOLOGY_CHROMIUM_PATH={configured} is not an executable. {INSTALL_HINT}"
        return Availability(None, reason)
    for path in (*DEBIAN_CHROMIUM, *_playwright_browsers()):
        if _executable(path):
            return Availability(path)
    return Availability(None, f"no Chromium browser was found. {INSTALL_HINT}")


def _executable(path: str) -> bool:
    return Path(path).is_file() and os.access(path, os.X_OK)


def _playwright_browsers() -> list[str]:
    """Chromium builds that `playwright install chromium` downloaded, newest first."""
    configured = os.environ.get("PLAYWRIGHT_BROWSERS_PATH")
    root = Path(configured) if configured else Path.home() / ".cache/ms-playwright"
    return sorted((str(p) for p in root.glob("chromium-*/chrome-linux*/chrome")), reverse=True)


class Browser:
    """One Chromium and its Playwright driver; each tab gets its own context from it.

    A tab per context, not tabs of one context: tabs of one window are foreground one
    at a time, and a background tab stops painting (no LCP, no layout shifts), while
    every context is a window of its own.
    """

    def __init__(self, path: str, *, user_agent: str, extra_args: tuple[str, ...] = ()) -> None:
        self.path, self.user_agent, self.extra_args = path, user_agent, extra_args
        #: In the environment of every process of this browser: how `close` finds them.
        self.mark = f"{MARK_VARIABLE}={secrets.token_hex(8)}"
        self.playwright: Playwright | None = None
        self.browser: PlaywrightBrowser | None = None
        self.version: str | None = None
        self.launcher_dir: str | None = None

    async def start(self) -> None:
        """Launch; RenderingUnavailable if Chromium does not start."""
        from playwright.async_api import Error, async_playwright

        name, value = self.mark.split("=", 1)
        self.launcher_dir = tempfile.mkdtemp(prefix="seology-chromium-")
        features = [
            f"--disable-features={','.join(DISABLED_FEATURES)}",
            f"--enable-features={','.join(ENABLED_FEATURES)}",
        ]
        # The driver reads its environment when it starts; this process's is the only
        # way in. Another NODE_OPTIONS (the operator's) is left as it is.
        os.environ.setdefault("NODE_OPTIONS", DRIVER_NODE_OPTIONS)
        try:
            self.playwright = await async_playwright().start()
            self.browser = await self.playwright.chromium.launch(
                executable_path=launcher_script(self.path, self.launcher_dir),
                headless=True,
                args=[*LAUNCH_ARGS, *features, *self.extra_args],
                env={**os.environ, name: value},
                handle_sigint=False,
                timeout=30_000,
            )
        except Error as exc:
            await self.close()
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
            raise RenderingUnavailable(f"Chromium at {self.path} did not start: {first}") from exc
        self.version = self.browser.version

    async def new_context(self) -> BrowserContext:
        """A fresh context (cookies, storage, window) for one tab."""
        assert self.browser is not None
        return await self.browser.new_context(
            user_agent=self.user_agent, service_workers="block", viewport=VIEWPORT
        )

    async def close(self) -> None:
        """Close the browser and the driver; kill what is left of them."""
        try:
            async with asyncio.timeout(CLOSE_TIMEOUT_SECONDS):
                if self.browser is not None:
                    await self.browser.close()
                if self.playwright is not None:
                    await self.playwright.stop()
        except Exception as exc:  # whatever failed, the kill below ends the rest
            get_logger().warning(f"Chromium did not close cleanly: {exc!r} (action=render_close)")
        finally:
            self.browser = self.playwright = None
            kill_marked(self.mark)
            if self.launcher_dir is not None:
                shutil.rmtree(self.launcher_dir, ignore_errors=True)
                self.launcher_dir = None


def launcher_script(binary: str, folder: str) -> str:
    """Write the feature-merging launcher of `binary` into `folder` (private to this
    browser); return its path, which Playwright starts as the browser."""
    path = Path(folder) / "chromium"
    path.write_text(LAUNCHER.format(binary=shlex.quote(binary)), encoding="utf-8")
    path.chmod(0o700)
    return str(path)


def marked_processes(mark: str = MARK_VARIABLE) -> list[int]:
    """Ids of the processes of a browser marked `mark` (default: any crawl's browser).

    The processes whose environment holds the mark (the browser, its crash handler),
    and all their descendants (zygotes and renderers start with a clean environment).
    """
    needle = mark.encode()
    parents: dict[int, int] = {}
    found: set[int] = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            parents[int(entry.name)] = int(stat[1])
            if needle in (entry / "environ").read_bytes():
                found.add(int(entry.name))
    frontier = list(found)
    while frontier:
        pid = frontier.pop()
        children = [child for child, parent in parents.items() if parent == pid]
        frontier.extend(c for c in children if c not in found)
        found.update(children)
    return sorted(found)


def kill_marked(mark: str) -> None:
    """SIGKILL every process of the browser marked `mark`, by process id."""
    for pid in marked_processes(mark):
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
