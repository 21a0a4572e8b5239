"""Rendering pages in a crawl's browser: a few tabs, a time limit, failures as data.

    async with Renderer(config, path=..., rules=..., book=...) as renderer:
        output = await renderer.render(raw, site=site)   # never raises for a page

The browser starts on the first page that needs it (a server-rendered site under
`auto` never starts one). `config.tabs` pages render at once, each in a tab that is
reused for `config.tab_pages` pages, then closed and replaced (a renderer's memory
grows with what it ran). A page renders until the `load` event and then until its
network has been idle for `config.idle_ms` (the DOM a search engine would see), all
within `config.page_timeout`. A hung script, a page that never settles, a dialog, a
popup, a navigation away by script or a renderer crash ends that page's render with
an `error` and the tab is thrown away (closed in the background, so that the other
tabs never wait for a stuck renderer); the crawl goes on. A browser that dies is
started again for the next page (at most three times).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from seology.core.errors import RenderingUnavailable
from seology.crawler.browser import Browser
from seology.crawler.fetch import FetchResult
from seology.crawler.intercept import Interceptor, InterceptRules, PageLoad
from seology.crawler.records import PerfFacts
from seology.crawler.safety import AddressBook

if TYPE_CHECKING:
    from playwright.async_api import BrowserContext, Dialog, Page

MAX_JS_ERRORS = 10
TAB_CLOSE_SECONDS = 30.0
MAX_BROWSER_STARTS = 3
PENDING_POLL_SECONDS = 0.05

#: Collects Largest Contentful Paint and Cumulative Layout Shift from the page's start,
#: and turns `window.open` into a recorded no-op (a popup fails the render either way,
#: and this way it is known before the DOM is read, not when a new window shows up).
PERF_SCRIPT = """
(() => {
  const perf = {lcp: null, cls: 0};
  Object.defineProperty(window, '__seologyPerf', {value: perf});
  const popups = [];
  Object.defineProperty(window, '__seologyPopups', {value: popups});
  window.open = function (url) { popups.push(String(url || 'about:blank')); return null; };
  let pending = 0;
  Object.defineProperty(window, '__seologyPending', {get: () => pending});
  const done = () => { pending -= 1; };
  const realFetch = window.fetch;
  window.fetch = function (...args) {
    pending += 1;
    const answer = realFetch.apply(this, args);
    answer.then(done, done);
    return answer;
  };
  const realSend = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.send = function (...args) {
    pending += 1;
    this.addEventListener('loadend', done, {once: true});
    return realSend.apply(this, args);
  };
  const lcp = (entries) => {
    for (const e of entries) perf.lcp = e.renderTime || e.loadTime || e.startTime;
  };
  const cls = (entries) => {
    for (const e of entries) if (!e.hadRecentInput) perf.cls += e.value;
  };
  const observers = [];
  try {
    const paints = new PerformanceObserver((list) => lcp(list.getEntries()));
    paints.observe({type: 'largest-contentful-paint', buffered: true});
    const shifts = new PerformanceObserver((list) => cls(list.getEntries()));
    shifts.observe({type: 'layout-shift', buffered: true});
    observers.push([paints, lcp], [shifts, cls]);
  } catch (e) {}
  // Entries recorded but not yet handed to the callbacks (their delivery is a task of
  // its own, late on a loaded machine): READ_PAGE takes them before it reads.
  Object.defineProperty(window, '__seologyFlushPerf', {value: () => {
    for (const [observer, take] of observers) take(observer.takeRecords());
  }});
})();
"""
#: The DOM as HTML and the lab figures, once the page has painted: two frames, then (a
#: contentful page whose LCP entry is still on its way from the compositor) up to a
#: second more. One call, not `page.content()` and another: each is a round trip.
#: `{pending}` instead while the page's own fetch/XHR calls are unanswered: the
#: interceptor hears of a request only once Chromium and the driver have passed it on,
#: which on a loaded machine can be later than the network-idle window.
READ_PAGE = """
() => new Promise((done) => {
  if (window.__seologyPending > 0) {
    done({pending: window.__seologyPending});
    return;
  }
  const perf = window.__seologyPerf || {lcp: null, cls: null};
  const started = performance.now();
  const read = () => {  // called by settle, just after it took the pending entries
    const type = document.doctype;
    const doctype = type ? new XMLSerializer().serializeToString(type) : '';
    const popups = window.__seologyPopups || [];
    done({perf, popups, html: doctype + document.documentElement.outerHTML});
  };
  const settle = () => {
    if (window.__seologyFlushPerf) window.__seologyFlushPerf();
    const waiting = perf.lcp === null && document.body && document.body.innerText.trim();
    if (!waiting || performance.now() - started > 1000) read();
    else setTimeout(settle, 50);
  };
  const bound = setTimeout(settle, 500);
  requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(() => {
    clearTimeout(bound);
    settle();
  }, 0)));
})
"""


@dataclass(frozen=True, kw_only=True)
class RenderConfig:
    """How a crawl renders; `CrawlConfig.render_config` fills it from the settings."""

    chromium_path: str | None = None
    tabs: int = 4
    tab_pages: int = 20
    page_timeout: float = 15.0
    idle_ms: int = 250
    third_party: bool = True
    essential_only: bool = False
    #: More Chromium switches (tests use a small V8 heap to crash a renderer quickly).
    extra_args: tuple[str, ...] = ()


@dataclass
class RenderOutput:
    """A page's render: the DOM as HTML, or why there is none, and what loading saw."""

    html: str | None = None
    error: str | None = None
    duration_ms: float = 0.0
    js_errors: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    perf: PerfFacts | None = None


@dataclass
class _Tab:
    context: BrowserContext
    page: Page
    uses: int = 0
    load: PageLoad | None = None


class Renderer:
    """The browser of one crawl and its tabs; use as an async context manager."""

    def __init__(
        self,
        config: RenderConfig,
        *,
        path: str,
        user_agent: str,
        rules: InterceptRules,
        book: AddressBook,
    ) -> None:
        self.config, self.path, self.user_agent = config, path, user_agent
        self.interceptor = Interceptor(rules, book, connections=config.tabs * 6)
        self.slots = asyncio.Semaphore(config.tabs)
        self.idle: list[_Tab] = []
        self.browser: Browser | None = None
        self.starting = asyncio.Lock()
        self.starts = 0
        self.version: str | None = None
        self.chores: set[asyncio.Future[None]] = set()

    async def __aenter__(self) -> Renderer:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the browser (killing what does not close) and the resource client."""
        await self._stop_browser()
        await self.interceptor.aclose()

    async def start(self) -> None:
        """Launch the browser now (RenderingUnavailable if it cannot start)."""
        async with self.starting:
            if self.browser is not None:
                return
            if self.starts >= MAX_BROWSER_STARTS:
                raise RenderingUnavailable(f"Chromium stopped working {self.starts} times")
            self.starts += 1
            browser = Browser(
                self.path, user_agent=self.user_agent, extra_args=self.config.extra_args
            )
            await browser.start()
            self.browser, self.version = browser, browser.version

    async def render(
        self, raw: FetchResult, *, site: str, navigation_expected: bool = False
    ) -> RenderOutput:
        """Render the page `raw` fetched; failures come back in `RenderOutput.error`.

        Raises RenderingUnavailable only when the browser cannot be started at all.
        """
        url = raw.final_url or raw.url
        load = PageLoad(url=url, raw=raw, site=site, navigation_expected=navigation_expected)
        async with self.slots:
            started = time.perf_counter()
            tab = await self._tab()
            output = await self._render_in(tab, load)
        output.error = load.failure
        output.js_errors, output.blocked = load.js_errors, load.blocked
        output.duration_ms = round((time.perf_counter() - started) * 1000, 1)
        if output.error is not None:  # a failure after the DOM was read voids it too
            output.html, output.perf = None, None
        elif output.perf is not None:
            output.perf.requests = load.requests
            output.perf.transferred_bytes = load.transferred_bytes
            output.perf.complete = not self.interceptor.rules.essential_only
        return output

    async def _render_in(self, tab: _Tab, load: PageLoad) -> RenderOutput:
        from playwright.async_api import Error

        from_browser = self.browser
        tab.load, tab.uses = load, tab.uses + 1
        output = RenderOutput()
        try:
            async with asyncio.timeout(self.config.page_timeout):
                output = await self._load(tab.page, load)
        except TimeoutError:
            load.fail(
                f"not rendered within {self.config.page_timeout:g} s (a script that never "
                "ends, or a network that never goes idle)"
            )
        except Error as exc:
            load.fail(f"renderer error: {_first_line(exc)}")
        finally:
            tab.load = None
        await self._release(tab, from_browser, healthy=load.failure is None)
        return output

    async def _load(self, page: Page, load: PageLoad) -> RenderOutput:
        """Navigate, wait for load and network idle, read the DOM and the lab figures."""
        await _unless_failed(page.goto(load.url, wait_until="load"), load)
        quiet = self.config.idle_ms / 1000
        read: dict[str, Any] = await self._settled_read(page, load, quiet)
        while load.failure is None and read.get("pending"):
            await _unless_failed(asyncio.sleep(max(quiet, PENDING_POLL_SECONDS)), load)
            read = await self._settled_read(page, load, quiet)
        if load.failure is not None:
            return RenderOutput()
        if read.get("popups"):
            load.fail(f"the page opened a popup window ({str(read['popups'][0])[:200]})")
            return RenderOutput()
        figures = read.get("perf") or {}
        perf = PerfFacts(lcp_ms=_number(figures.get("lcp")), cls=_number(figures.get("cls")))
        return RenderOutput(html=str(read.get("html") or ""), perf=perf)

    async def _settled_read(self, page: Page, load: PageLoad, quiet: float) -> dict[str, Any]:
        """READ_PAGE once the network is idle ({} if the page failed meanwhile)."""
        await _unless_failed(load.network_idle(quiet), load)
        return {} if load.failure is not None else await page.evaluate(READ_PAGE)

    async def _tab(self) -> _Tab:
        """An idle tab, or a new one (starting the browser if need be)."""
        while self.idle:
            tab = self.idle.pop()
            if not tab.page.is_closed():
                return tab
        if self.browser is None:
            await self.start()
        assert self.browser is not None
        context = await self.browser.new_context()
        await context.add_init_script(PERF_SCRIPT)
        await context.route("**/*", _refuse)  # pages not ours (popups) load nothing
        tab = _Tab(context, await context.new_page())
        self._watch(tab)
        await tab.page.route(
            "**/*", lambda route, request: self.interceptor.handle(tab.load, route, request)
        )
        return tab

    def _watch(self, tab: _Tab) -> None:
        """A tab's events, reported to the page it is rendering at the time."""

        def on_error(error: Exception) -> None:
            if tab.load is not None and len(tab.load.js_errors) < MAX_JS_ERRORS:
                tab.load.js_errors.append(_first_line(error)[:300])

        def on_dialog(dialog: Dialog) -> None:
            if tab.load is not None:
                tab.load.fail(
                    f"the page opened a JavaScript dialog ({dialog.type}): {dialog.message[:200]!r}"
                )
            self._background(dialog.dismiss())

        def on_popup(popup: Page) -> None:
            if tab.load is not None:
                tab.load.fail(f"the page opened a popup window ({popup.url[:200]})")
            self._background(popup.close())

        def on_crash(_: Page) -> None:
            if tab.load is not None:
                tab.load.fail("the renderer crashed")

        tab.page.on("pageerror", on_error)
        tab.page.on("dialog", on_dialog)
        tab.page.on("popup", on_popup)
        tab.page.on("crash", on_crash)

    def _background(self, step: Any) -> None:
        """Run `step` (a dialog's dismissal, a popup's close) without waiting for it."""
        task = asyncio.ensure_future(_quietly(step))
        self.chores.add(task)
        task.add_done_callback(self.chores.discard)

    async def _release(self, tab: _Tab, browser: Browser | None, *, healthy: bool) -> None:
        """Back to the idle tabs, or closed: when worn out, or after a failure.

        A tab goes back as it is: the next page's navigation replaces the document (its
        requests meanwhile are refused: the tab renders no page), one round trip less
        than blanking it first.
        """
        if browser is not self.browser:  # the browser was restarted meanwhile
            return
        if healthy and tab.uses < self.config.tab_pages:
            self.idle.append(tab)
            return
        if healthy:
            # Worn out: closed before its slot is free, so that its renderer is gone
            # before the next tab's starts (the crawl's memory peak is one renderer per
            # tab, not one more while an old one closes).
            await _quietly(_close_within(tab.context, TAB_CLOSE_SECONDS))
            return
        # Failed: closed in the background, as a tab whose renderer is stuck in a script
        # can take long to close on a loaded machine and the other tabs need not wait for
        # it (what never closes goes with the browser at the end of the crawl).
        self._background(_close_within(tab.context, TAB_CLOSE_SECONDS))

    async def _stop_browser(self) -> None:
        browser, self.browser, self.idle = self.browser, None, []
        if browser is not None:
            await browser.close()


async def _unless_failed(step: Any, load: PageLoad) -> None:
    """Await `step`, unless the page fails first (a dialog, a popup, a crash)."""
    task = asyncio.ensure_future(step)
    failed = asyncio.ensure_future(load.failed.wait())
    try:
        await asyncio.wait({task, failed}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for pending in (task, failed):
            if not pending.done():
                pending.cancel()
                with contextlib.suppress(BaseException):
                    await pending
    if task.done() and not task.cancelled() and load.failure is None:
        task.result()  # a navigation error propagates


async def _close_within(context: BrowserContext, seconds: float) -> None:
    async with asyncio.timeout(seconds):
        await context.close()


async def _refuse(route: Any, request: Any) -> None:
    with contextlib.suppress(Exception):
        await route.abort("blockedbyclient")


async def _quietly(step: Any) -> None:
    with contextlib.suppress(Exception):
        await step


def _number(value: object) -> float | None:
    return round(float(value), 4) if isinstance(value, int | float) else None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
